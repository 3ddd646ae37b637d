"""API route of monitoring (mounted under /api/)."""

from django.urls import re_path

from . import api

urlpatterns = [re_path(r"^monitoring/metrics/?$", api.MetricsView.as_view(), name="monitoring-metrics")]
