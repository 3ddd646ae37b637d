"""Monitoring: the JSON metrics for administrators and the Prometheus endpoint for scrapers holding
the token or calling from an allowed network. The health endpoint stays public and unchanged."""

import pytest

from notifications.models import WebhookDelivery, WebhookSubscription

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("QMS-MONITORING")]


def test_administrators_read_the_json_metrics(client_for, admin_user):
    client = client_for(admin_user)
    client.get("/api/documents/")
    client.get("/api/documents/abc")
    subscription = WebhookSubscription.objects.create(url="https://example.com/h", events=["*"], secret="s")
    WebhookDelivery.objects.create(
        subscription=subscription, event_id=1, event_name="deviation.closed", payload={}, status="failed"
    )

    body = client.get("/api/monitoring/metrics").json()

    documents = body["requests"]["by_group"]["documents"]
    assert documents["requests"] >= 2 and documents["client_errors"] >= 1
    assert documents["mean_ms"] is not None and documents["p95_ms"] is not None
    assert body["background"]["webhooks_failed"] == 1
    assert body["health"]["database"] == "connected" and body["health"]["chroma"] in ("connected", "disconnected")
    assert set(body["search_index"]) == {"pending", "failed", "lag_seconds"}
    assert body["celery"]["eager"] in (True, False)


@pytest.mark.parametrize("role", ["QA Manager", "Auditor", "User"])
def test_other_roles_may_not_read_the_metrics(client_for, make_user, role):
    assert client_for(make_user(role)).get("/api/monitoring/metrics").status_code == 403


def test_prometheus_scrape_needs_the_token(client, settings):
    settings.METRICS_TOKEN = "scrape-secret-123"
    client.get("/api/health")

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret-123")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert 'qms_http_requests_total{group="health",method="GET",status="2xx"}' in text
    assert "qms_http_request_duration_seconds_bucket" in text
    assert 'qms_dependency_up{dependency="database"} 1.0' in text
    assert "qms_outbox_failed" in text and "qms_search_index_lag_seconds" in text


def test_prometheus_scrape_from_an_allowed_network(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.2.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.5").status_code == 401
    settings.METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics", REMOTE_ADDR="10.2.3.4").status_code == 401  # nothing set: nobody


def test_the_health_endpoint_is_unchanged(api_client):
    response = api_client.get("/api/health")
    assert response.status_code == 200 and response.json()["status"] == "healthy"
