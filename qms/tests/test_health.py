"""GET /api/health: 200 when the database (and Redis, when configured) answers, 503 otherwise."""

import pytest
from django.db.utils import ConnectionHandler

from qms import health

pytestmark = pytest.mark.django_db


def test_healthy(api_client, settings):
    response = api_client.get("/api/health")

    assert response.status_code == 200
    expected = {"status": "healthy", "database": "connected", "version": "1.0.0", "vector_store": "connected"}
    if settings.REDIS_URL:
        expected["redis"] = "connected"
    assert response.json() == expected


def test_health_needs_no_authentication_and_accepts_a_trailing_slash(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer garbage")

    assert api_client.get("/api/health/").status_code == 200


@pytest.fixture
def unreachable_database(settings, monkeypatch, tmp_path):
    """A real connection to a database that cannot be reached (no server, or no such file)."""
    config = dict(settings.DATABASES["default"])
    if config["ENGINE"].endswith("sqlite3"):
        config["NAME"] = str(tmp_path / "missing-dir" / "db.sqlite3")
    else:
        config.update(HOST="127.0.0.1", PORT=1, OPTIONS={**config.get("OPTIONS", {}), "connect_timeout": 2})
    handler = ConnectionHandler({"default": config})
    monkeypatch.setattr(health, "connections", handler)
    yield
    handler.close_all()


def test_503_when_the_database_is_unreachable(api_client, unreachable_database, settings):
    settings.REDIS_URL = ""

    response = api_client.get("/api/health")

    assert response.status_code == 503
    body = response.json()
    assert {k: body[k] for k in ("status", "database", "version")} == {
        "status": "unhealthy",
        "database": "disconnected",
        "version": "1.0.0",
    }


def test_503_when_redis_is_configured_but_down(api_client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = api_client.get("/api/health")

    assert response.status_code == 503
    assert response.json()["redis"] == "disconnected"
    assert response.json()["database"] == "connected"
    assert response.json()["status"] == "unhealthy"


def test_redis_is_not_reported_when_not_configured(api_client, settings):
    settings.REDIS_URL = ""

    assert "redis" not in api_client.get("/api/health").json()


def test_an_unreachable_vector_store_is_reported_but_leaves_the_service_healthy(api_client, settings):
    from search import vectorstore

    settings.CHROMA_URL = "http://127.0.0.1:9"
    vectorstore.reset_client()
    try:
        response = api_client.get("/api/health")
    finally:
        vectorstore.reset_client()

    assert response.status_code == 200
    assert response.json()["vector_store"] == "disconnected" and response.json()["status"] == "healthy"
