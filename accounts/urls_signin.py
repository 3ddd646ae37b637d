"""Sign-in and sign-out pages (mounted at the site root, un-namespaced: `login` and `logout`)."""

from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
]
