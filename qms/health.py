"""GET /api/health: liveness and readiness for load balancers and the Docker healthcheck."""

from django.conf import settings
from django.db import connections
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from qms.api.permissions import PUBLIC

from . import __version__

CONNECTION_STATES = ["connected", "disconnected"]


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["healthy", "unhealthy"])
    database = serializers.ChoiceField(choices=CONNECTION_STATES)
    version = serializers.CharField()
    redis = serializers.ChoiceField(choices=CONNECTION_STATES, required=False, help_text="Only when REDIS_URL is set")


def database_status() -> str:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return "disconnected"
    return "connected"


def redis_status() -> str | None:
    if not settings.REDIS_URL:
        return None
    try:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
    except Exception:
        return "disconnected"
    return "connected"


class HealthView(APIView):
    authentication_classes: list = []
    required_permissions = {"get": PUBLIC}
    throttle_classes: list = []

    @extend_schema(tags=["health"], responses={200: HealthSerializer, 503: HealthSerializer})
    def get(self, request):
        database = database_status()
        body = {"status": "healthy", "database": database, "version": __version__}
        redis_state = redis_status()
        if redis_state is not None:
            body["redis"] = redis_state
        healthy = database == "connected" and redis_state in (None, "connected")
        if not healthy:
            body["status"] = "unhealthy"
        return Response(body, status=200 if healthy else 503)
