"""URL routing: the REST API under /api/, its schema and docs, the admin, and the pages.

Each app contributes `urls_api.py` (mounted under /api/) and `urls.py` (pages).
"""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import health, views

api_patterns = [
    re_path(r"^health/?$", health.HealthView.as_view(), name="health"),
    path("", include("accounts.urls_api")),
    path("", include("audit.urls_api")),
    path("", include("workflows.urls_api")),
    path("", include("documents.urls_api")),
    path("", include("training.urls_api")),
    path("", include("deviations.urls_api")),
    path("", include("capa.urls_api")),
    path("", include("search.urls_api")),
    path("", include("ai.urls_api")),
    path("", include("dashboard.urls_api")),
    path("", include("notifications.urls_api")),
    path("", include("monitoring.urls_api")),
]

urlpatterns = [
    path("api/", include(api_patterns)),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi-schema"),
    path("docs", views.offline_only(SpectacularSwaggerView.as_view(url_name="openapi-schema")), name="swagger-ui"),
    path(
        "redoc",
        views.offline_only(SpectacularRedocView.as_view(url_name="openapi-schema", template_name="api/redoc.html")),
        name="redoc",
    ),
    path("admin/", admin.site.urls),
    path("", views.home, name="home"),
    path("", include("accounts.urls_signin")),
    path("", include("accounts.urls")),
    path("audit/", include("audit.urls")),
    path("documents/", include("documents.urls")),
    path("training/", include("training.urls")),
    path("deviations/", include("deviations.urls")),
    path("capa/", include("capa.urls")),
    path("imports/", include("imports.urls")),
    path("validation/", include("validation.urls")),
    path("search/", include("search.urls")),
    path("assistant/", include("ai.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("notifications/", include("notifications.urls")),
    path("", include("monitoring.urls")),
]

handler404 = "qms.views.page_not_found"
