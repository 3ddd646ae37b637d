"""The Prometheus scrape endpoint (outside /api/: scrapers expect /metrics)."""

from django.urls import path

from . import api

urlpatterns = [path("metrics", api.prometheus_metrics, name="prometheus-metrics")]
