"""Pages of the search app."""

from django.urls import path

from . import views

app_name = "search"

urlpatterns = [
    path("", views.search_page, name="page"),
    path("status/", views.status_page, name="status"),
]
