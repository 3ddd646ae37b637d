"""Pages of the accounts app."""

from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("password/change/", views.password_change, name="password-change"),
    path("session/keepalive/", views.session_keepalive, name="session-keepalive"),
    path("admin-users/", views.user_admin, name="user-admin"),
    path("admin-users/<int:pk>/deactivate/", views.user_deactivate, name="user-deactivate"),
    path("admin-users/groups/<int:pk>/add-member/", views.group_add_member, name="group-add-member"),
    path("admin-users/groups/<int:pk>/remove-member/<int:user_id>/", views.group_remove_member, name="group-remove-member"),
]
