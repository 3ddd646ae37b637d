"""API routes of the search app (mounted under /api/)."""

from django.urls import re_path

from . import api

urlpatterns = [
    re_path(r"^search/?$", api.SearchView.as_view(), name="search"),
    re_path(r"^search/status/?$", api.SearchStatusView.as_view(), name="search-status"),
]
