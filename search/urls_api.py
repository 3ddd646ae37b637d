"""API routes of the search app (mounted under /api/)."""

from django.urls import re_path
from drf_spectacular.utils import extend_schema, extend_schema_view

from qms.api.routers import publish_with_slash

from . import api

# The contract writes GET /api/search/?q=...; the schema publishes that form, both are served.
publish_with_slash("/api/search/")


@extend_schema_view(get=extend_schema(exclude=True))
class SearchWithoutSlashView(api.SearchView):
    pass


urlpatterns = [
    re_path(r"^search/$", api.SearchView.as_view(), name="search"),
    re_path(r"^search$", SearchWithoutSlashView.as_view()),
    re_path(r"^search/status/?$", api.SearchStatusView.as_view(), name="search-status"),
    # A deviation helper served by search (the deviations app does not depend on it).
    re_path(r"^deviations/similar/?$", api.SimilarDeviationsView.as_view(), name="deviation-similar"),
]
