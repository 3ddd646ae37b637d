"""GET /api/health: liveness and readiness for load balancers and the Docker healthcheck.

The database and Redis (when configured) decide `status`. Apps report the services their features
depend on with `register_dependency("vector_store", check)` from their AppConfig.ready() (qms
imports no app): each is listed as connected or disconnected, and its outage degrades that feature
only, so it leaves `status` healthy.
"""

from collections.abc import Callable

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
    vector_store = serializers.ChoiceField(
        choices=CONNECTION_STATES,
        required=False,
        help_text="Chroma (embedded or CHROMA_URL); when disconnected search answers from keywords only "
        "(`semantic: false`) and indexing waits; the status stays healthy",
    )


_DEPENDENCIES: dict[str, Callable[[], bool]] = {}


def register_dependency(name: str, reachable: Callable[[], bool]) -> None:
    """Reports `name` as connected or disconnected (a degraded feature, never an unhealthy status)."""
    _DEPENDENCIES[name] = reachable


def dependency_states() -> dict[str, str]:
    states = {}
    for name, reachable in _DEPENDENCIES.items():
        try:
            states[name] = "connected" if reachable() else "disconnected"
        except Exception:  # noqa: BLE001 - a failing check means the dependency is away
            states[name] = "disconnected"
    return states


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
        body.update(dependency_states())
        healthy = database == "connected" and redis_state in (None, "connected")
        if not healthy:
            body["status"] = "unhealthy"
        return Response(body, status=200 if healthy else 503)
