"""GET /api/monitoring/metrics (JSON, for administrators) and GET /metrics (Prometheus, for a
scraper holding METRICS_TOKEN or calling from METRICS_ALLOWED_NETWORKS)."""

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from qms.api.schema import error_responses

from . import metrics


class EndpointGroupSerializer(serializers.Serializer):
    requests = serializers.IntegerField()
    client_errors = serializers.IntegerField()
    server_errors = serializers.IntegerField()
    mean_ms = serializers.FloatField(allow_null=True)
    p95_ms = serializers.FloatField(allow_null=True, help_text="Upper bound of the latency bucket holding the 95th percentile")


class RequestsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_group = serializers.DictField(child=EndpointGroupSerializer(), help_text="Per endpoint group (/api/<group>/..., pages)")


class CelerySerializer(serializers.Serializer):
    eager = serializers.BooleanField(help_text="Tasks run in-process (no broker)")
    queue_depth = serializers.IntegerField(allow_null=True, help_text="Messages waiting (Redis broker only)")


class BackgroundSerializer(serializers.Serializer):
    outbox_pending = serializers.IntegerField()
    outbox_failed = serializers.IntegerField(help_text="Event deliveries to a handler that failed for good")
    webhooks_pending = serializers.IntegerField()
    webhooks_failed = serializers.IntegerField()
    emails_pending = serializers.IntegerField()
    emails_failed = serializers.IntegerField()


class IndexSerializer(serializers.Serializer):
    pending = serializers.IntegerField()
    failed = serializers.IntegerField()
    lag_seconds = serializers.FloatField()


class MetricsSerializer(serializers.Serializer):
    timestamp = serializers.DateTimeField()
    uptime_seconds = serializers.FloatField()
    requests = RequestsSerializer()
    celery = CelerySerializer()
    background = BackgroundSerializer()
    search_index = IndexSerializer()
    health = serializers.DictField(child=serializers.CharField(), help_text="database, redis, chroma: connected/disconnected")


class MetricsView(APIView):
    required_permissions = {"get": "system.admin"}

    @extend_schema(
        tags=["monitoring"],
        summary="System metrics",
        description="Request counts and latencies per endpoint group (this process since it started), Celery "
        "queue depth, background work pending and failed (event outbox, webhooks, emails), search index lag, and "
        "the health of the database, Redis and the vector store. Administrators (system.admin) only.",
        responses={200: MetricsSerializer, **error_responses(401, 403)},
    )
    def get(self, request):
        return Response(MetricsSerializer(metrics.summary()).data)


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    networks = settings.METRICS_ALLOWED_NETWORKS
    if networks:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(n, strict=False) for n in networks)
    return False


@require_GET
def prometheus_metrics(request):
    if not _allowed(request):
        return JsonResponse(
            {
                "detail": "Send Authorization: Bearer <METRICS_TOKEN> or call from METRICS_ALLOWED_NETWORKS.",
                "error_code": "NOT_AUTHENTICATED",
            },
            status=401 if not request.headers.get("Authorization") else 403,
        )
    return HttpResponse(generate_latest(metrics.scrape_registry()), content_type=CONTENT_TYPE_LATEST)
