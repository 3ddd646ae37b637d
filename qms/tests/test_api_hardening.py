"""Nothing under /api/ answers 500 or HTML: bad query values, bad ids, deep or huge bodies, an
unreachable cache, unknown paths, unsupported methods and server errors all become JSON errors."""

import json
import logging

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(admin_user, client_for):
    return client_for(admin_user)


def error_of(response):
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()


# --- query parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/documents/?owner=abc", "/api/users/?group_id=x", "/api/templates/?document_type=1.5"])
def test_an_invalid_filter_value_is_a_422_located_in_the_query(admin_client, path):
    response = admin_client.get(path)

    assert response.status_code == 422
    [item] = error_of(response)["detail"]
    assert item["loc"][0] == "query"
    assert item["loc"][1] == path.split("?")[1].split("=")[0]


@pytest.mark.parametrize("path", ["/api/audit/", "/api/audit/export", "/api/signatures/", "/api/documents/"])
@pytest.mark.parametrize(
    "value",
    [
        "2025-01-01T00:00:00+16:00",  # PostgreSQL takes offsets up to 15:59
        "2025-01-01T00:00:00-23:59",
        "0001-01-01T00:00:00+01:00",  # year 0 in UTC
        "0000-01-01",
        "10000-01-01",
        "2025-13-01",
    ],
)
def test_date_time_filters_refuse_values_the_database_cannot_take(admin_client, path, value):
    response = admin_client.get(path, {"date_to": value})

    assert response.status_code == 422, response.content[:300]
    [item] = error_of(response)["detail"]
    assert item["loc"] == ["query", "date_to"]


@pytest.mark.parametrize("path", ["/api/audit/", "/api/signatures/", "/api/documents/"])
def test_date_time_filters_accept_the_extremes_the_database_can_take(admin_client, path):
    for params in (
        {"date_to": "9999-12-31"},
        {"date_from": "0001-01-01"},
        {"date_to": "2025-01-01T00:00:00+15:59"},
        {"date_from": "2025-01-01T00:00:00-15:59"},
    ):
        assert admin_client.get(path, params).status_code == 200, params


# --- ids in paths --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/users/abc"),
        ("patch", "/api/users/abc"),
        ("put", "/api/users/abc/role"),
        ("get", "/api/users/1x/permissions"),
        ("post", "/api/users/abc/unlock"),
        ("get", "/api/documents/abc"),
        ("post", "/api/documents/abc/approve"),
        ("get", "/api/documents/%20/download"),
        ("get", "/api/documents/1.5/versions"),
        ("get", "/api/groups/x/"),
        ("get", "/api/roles/admin"),
        ("get", "/api/workflow-templates/abc"),
        ("get", "/api/templates/abc"),
        ("get", "/api/document-types/SOP"),
    ],
)
def test_a_non_numeric_id_is_a_json_404(admin_client, method, path):
    response = getattr(admin_client, method)(path, {}, format="json")

    assert response.status_code == 404
    assert error_of(response)["error_code"] == "NOT_FOUND"


def test_an_id_beyond_64_bits_is_a_404(admin_client):
    response = admin_client.get("/api/users/99999999999999999999999")

    assert response.status_code == 404
    assert error_of(response)["error_code"] == "NOT_FOUND"


# --- bodies --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/groups/", "/api/deviations/", "/api/capa/", "/api/training/", "/api/webhooks/"])
def test_json_nested_fifty_thousand_levels_deep_is_a_400(admin_client, path):
    body = "[" * 50_000 + "]" * 50_000

    response = admin_client.post(path, data=body, content_type="application/json")

    assert response.status_code == 400
    assert error_of(response)["error_code"] == "MALFORMED_REQUEST"


def test_every_api_view_parses_json_with_the_depth_limit():
    from django.urls import get_resolver
    from rest_framework.parsers import JSONParser as UnlimitedJSONParser

    from qms.api.parsers import JSONParser

    def views(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from views(pattern.url_patterns)
            else:
                yield pattern.callback

    unlimited = []
    for callback in views(get_resolver().url_patterns):
        view_class = getattr(callback, "cls", None)
        for parser in getattr(view_class, "parser_classes", ()):
            if issubclass(parser, UnlimitedJSONParser) and not issubclass(parser, JSONParser):
                unlimited.append(view_class.__name__)
    assert unlimited == []


def test_json_nested_beyond_the_limit_is_a_400_even_when_python_could_parse_it(admin_client):
    from qms.api.parsers import MAX_JSON_DEPTH

    body = {"name": "Deep", "description": "x", "member_ids": []}
    nested = body
    for _ in range(MAX_JSON_DEPTH + 1):
        nested["x"] = {}
        nested = nested["x"]

    response = admin_client.post("/api/groups/", data=json.dumps(body), content_type="application/json")

    assert response.status_code == 400
    assert "nested deeper" in error_of(response)["detail"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_a_body_over_the_configured_size_is_a_413(admin_client, content_type):
    body = json.dumps({"name": "x" * 2000}) if content_type == "application/json" else "name=" + "x" * 2000

    response = admin_client.post("/api/groups/", data=body, content_type=content_type)

    assert response.status_code == 413
    assert error_of(response)["error_code"] == "REQUEST_TOO_LARGE"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_chunked_json_body_over_the_size_is_a_413_too(admin_client):
    from io import BytesIO

    from qms.api.parsers import JSONParser, RequestTooLarge

    with pytest.raises(RequestTooLarge):
        JSONParser().parse(BytesIO(b'{"name": "' + b"x" * 2000 + b'"}'), "application/json", {})


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_multipart_fields_over_the_size_are_a_413(admin_client):
    response = admin_client.post("/api/groups/", {"name": "G", "description": "x" * 2000}, format="multipart")

    assert response.status_code == 413
    assert error_of(response)["error_code"] == "REQUEST_TOO_LARGE"


# --- an unreachable cache ------------------------------------------------------------------------

UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


def test_the_api_keeps_serving_without_rate_limits_when_redis_is_down(admin_client, api_client, caplog, monkeypatch):
    from qms.api import throttling

    monkeypatch.setattr(throttling, "_last_outage_log", [float("-inf")])
    caplog.set_level(logging.WARNING, logger="qms.api")
    with override_settings(CACHES=UNREACHABLE_REDIS):
        responses = [admin_client.get("/api/users/") for _ in range(3)]
        anonymous = api_client.get("/api/auth/me")
        sign_in = api_client.post("/api/auth/token", {"username": "admin1", "password": "wrong"}, format="json")

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert anonymous.status_code == 401
    assert sign_in.status_code == 401
    outage_logs = [r for r in caplog.records if "Rate limits are not enforced" in r.getMessage()]
    assert len(outage_logs) == 1  # once per interval, not once per request


# --- errors Django answers -------------------------------------------------------------------------


@pytest.mark.parametrize("debug", [True, False])
def test_unknown_api_paths_are_json_404_and_pages_stay_html(client, settings, debug):
    settings.DEBUG = debug

    api = client.get("/api/no-such-thing/")
    page = client.get("/no-such-page/")

    assert api.status_code == 404
    assert error_of(api) == {"detail": "Not found.", "error_code": "NOT_FOUND"}
    assert "X-Request-ID" in api
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.requirement("QMS-API-CONVENTIONS")
def test_a_server_error_under_api_is_json(admin_client, settings, monkeypatch, debug):
    from accounts import selectors

    settings.DEBUG = debug

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "user_list", broken)
    admin_client.raise_request_exception = False

    response = admin_client.get("/api/users/")

    assert response.status_code == 500
    body = error_of(response)
    assert body["error_code"] == "INTERNAL_ERROR"
    assert "boom" not in body["detail"]


def test_trace_is_405_for_everyone(api_client, admin_client):
    for client in (api_client, admin_client):
        for path in ("/api/users/", "/api/auth/me", "/api/health", "/api/documents/"):
            response = client.generic("TRACE", path)
            assert response.status_code == 405, (path, response.status_code)
            assert error_of(response)["error_code"] == "METHOD_NOT_ALLOWED"


def test_a_method_an_endpoint_lacks_is_405_before_authentication(api_client):
    response = api_client.delete("/api/auth/me")

    assert response.status_code == 405
    assert error_of(response)["error_code"] == "METHOD_NOT_ALLOWED"
