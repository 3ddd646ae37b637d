"""Rate limits: X-RateLimit-* headers, 429 with Retry-After; per IP on sign-in, per user elsewhere."""

import pytest

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    """Tight limits for the test. DRF binds SimpleRateThrottle.THROTTLE_RATES at import; our throttles
    read the current REST_FRAMEWORK setting instead, so overriding the setting is enough."""

    def set_rates(**rates):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"auth": "100/min", "user": "100/min", "anon": "100/min", **rates},
        }

    return set_rates


def token(client, ip="10.0.0.1", password=PASSWORD):
    return client.post("/api/auth/token", {"username": "qa1", "password": password}, format="json", REMOTE_ADDR=ip)


def test_token_endpoint_reports_its_limit_and_remaining(api_client, qa_user, rates):
    rates(auth="3/min")

    responses = [token(api_client) for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert [r["X-RateLimit-Limit"] for r in responses] == ["3", "3", "3"]
    assert [r["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0"]
    assert all(1 <= int(r["X-RateLimit-Reset"]) <= 60 for r in responses)


def test_token_endpoint_is_429_with_retry_after_past_the_limit(api_client, qa_user, rates):
    rates(auth="3/min")
    for _ in range(3):
        token(api_client, password="Wrong-Password-1")  # failures count too

    response = token(api_client)

    assert response.status_code == 429
    body = response.json()
    assert body["error_code"] == "RATE_LIMITED"
    assert 1 <= body["retry_after"] <= 61
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["X-RateLimit-Limit"] == "3"
    assert response["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(response["X-RateLimit-Reset"]) <= 60


def test_the_token_limit_is_per_client_ip(api_client, qa_user, rates):
    rates(auth="2/min")
    token(api_client, ip="10.0.0.1")
    token(api_client, ip="10.0.0.1")

    assert token(api_client, ip="10.0.0.1").status_code == 429
    assert token(api_client, ip="10.0.0.2").status_code == 200


def test_refresh_and_register_share_the_auth_limit(api_client, qa_user, rates):
    rates(auth="2/min")
    token(api_client)
    api_client.post("/api/auth/register", {}, format="json", REMOTE_ADDR="10.0.0.1")

    response = api_client.post("/api/auth/refresh", {"refresh_token": "x"}, format="json", REMOTE_ADDR="10.0.0.1")

    assert response.status_code == 429


def test_the_default_auth_rate_is_ten_per_minute(api_client, qa_user):
    response = token(api_client)

    assert response["X-RateLimit-Limit"] == "10"
    assert response["X-RateLimit-Remaining"] == "9"


def test_authenticated_use_is_limited_per_user(make_user, client_for, rates):
    rates(user="2/min")
    first, second = make_user("User"), make_user("User")
    client = client_for(first)

    ok = [client.get("/api/auth/me") for _ in range(2)]
    limited = client.get("/api/auth/me")

    assert [r["X-RateLimit-Remaining"] for r in ok] == ["1", "0"]
    assert limited.status_code == 429
    assert "Retry-After" in limited
    assert client_for(second).get("/api/auth/me").status_code == 200


def test_anonymous_use_of_public_endpoints_is_limited_per_ip(db, rates):
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory
    from rest_framework.views import APIView

    from qms.api.permissions import PUBLIC

    class PublicView(APIView):
        required_permissions = {"get": PUBLIC}

        def get(self, request):
            return Response({"ok": True})

    rates(anon="1/min")
    view, factory = PublicView.as_view(), APIRequestFactory()

    first = view(factory.get("/public", REMOTE_ADDR="10.0.0.7"))
    second = view(factory.get("/public", REMOTE_ADDR="10.0.0.7"))
    other_ip = view(factory.get("/public", REMOTE_ADDR="10.0.0.8"))

    assert (first.status_code, second.status_code, other_ip.status_code) == (200, 429, 200)


def test_health_is_never_rate_limited(api_client, db, rates):
    rates(anon="1/min", user="1/min", auth="1/min")

    assert [api_client.get("/api/health").status_code for _ in range(3)] == [200, 200, 200]
