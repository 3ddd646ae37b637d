"""Pages of notifications (mounted at /notifications/)."""

from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/read", views.mark_read, name="mark-read"),
    path("read-all", views.mark_all_read, name="mark-all-read"),
    path("preferences", views.preferences, name="preferences"),
    path("bell", views.bell, name="bell"),
]
