"""Pages of the dashboard (mounted under /dashboard/)."""

from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.page, name="page"),
    path("lists/<slug:name>/", views.work_list, name="work-list"),
]
