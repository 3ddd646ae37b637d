"""Pagination envelope, sorting, error envelopes, 422 shape, malformed JSON, X-Request-ID, CORS."""

import logging

import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(admin_user, client_for):
    return client_for(admin_user)


@pytest.fixture
def many_users(make_user):
    return [make_user("User", username=f"u{i:02d}", full_name=f"Person {25 - i:02d}") for i in range(25)]


# --- pagination ---------------------------------------------------------------------------------------


def test_default_page_is_twenty_items_with_totals(admin_client, many_users):
    body = admin_client.get("/api/users/").json()

    assert (body["page"], body["page_size"], body["total"], body["pages"]) == (1, 20, 26, 2)
    assert len(body["items"]) == 20


def test_page_and_page_size_select_a_slice(admin_client, many_users):
    body = admin_client.get("/api/users/?page=3&page_size=10").json()

    assert (body["page"], body["page_size"], body["total"], body["pages"]) == (3, 10, 26, 3)
    assert [u["username"] for u in body["items"]] == ["u19", "u20", "u21", "u22", "u23", "u24"]


def test_a_page_past_the_end_is_empty_with_real_totals(admin_client, many_users):
    body = admin_client.get("/api/users/?page=9").json()

    assert body["items"] == []
    assert (body["page"], body["total"], body["pages"]) == (9, 26, 2)


def test_an_empty_list_has_zero_pages(admin_client):
    body = admin_client.get("/api/users/?q=nobody-matches-this").json()

    assert body == {"items": [], "page": 1, "page_size": 20, "total": 0, "pages": 0}


@pytest.mark.parametrize(
    ("query", "loc", "msg"),
    [
        ("page_size=101", ["query", "page_size"], "at most 100"),
        ("page_size=0", ["query", "page_size"], "at least 1"),
        ("page=0", ["query", "page"], "at least 1"),
        ("page=abc", ["query", "page"], "integer"),
    ],
)
def test_bad_paging_parameters_are_422_in_the_query(admin_client, query, loc, msg):
    response = admin_client.get(f"/api/users/?{query}")

    assert response.status_code == 422
    [item] = response.json()["detail"]
    assert item["loc"] == loc
    assert msg in item["msg"]


def test_page_size_100_is_allowed(admin_client):
    assert admin_client.get("/api/users/?page_size=100").json()["page_size"] == 100


# --- sorting ------------------------------------------------------------------------------------------


def test_sort_by_field_and_direction(admin_client, many_users):
    def names(sort):
        return [u["username"] for u in admin_client.get("/api/users/", {"sort": sort, "page_size": 100}).json()["items"]]

    assert names("full_name asc")[:3] == ["admin1", "u24", "u23"]  # "Ada Admin", "Person 01", "Person 02"
    assert names("full_name desc")[:3] == ["u00", "u01", "u02"]
    assert names("-username")[0] == "u24"
    assert names("username")[0] == "admin1"
    assert names("date_joined desc") == list(reversed(names("date_joined asc")))


def test_unknown_sort_field_or_direction_is_a_422(admin_client):
    for sort in ("password desc", "username sideways", "username asc extra"):
        response = admin_client.get("/api/users/", {"sort": sort})
        assert response.status_code == 422, sort
        [item] = response.json()["detail"]
        assert item["loc"] == ["query", "sort"]
        assert "username" in item["msg"]  # lists the allowed fields


# --- errors -------------------------------------------------------------------------------------------


@pytest.mark.requirement("QMS-API-CONVENTIONS")
def test_validation_errors_are_422_with_loc_msg_type(admin_client):
    response = admin_client.post("/api/users/", {"username": "", "email": "nope"}, format="json")

    assert response.status_code == 422
    body = response.json()
    assert body["error_code"] == "VALIDATION_ERROR"
    assert isinstance(body["detail"], list)
    by_loc = {tuple(item["loc"]): item for item in body["detail"]}
    assert set(by_loc) == {("body", "username"), ("body", "email"), ("body", "password")}
    for item in body["detail"]:
        assert set(item) == {"loc", "msg", "type"}
        assert item["type"].startswith("value_error")
    assert by_loc[("body", "email")]["msg"] == "Enter a valid email address."


def test_nested_list_errors_carry_the_index(admin_client):
    response = admin_client.post("/api/groups/", {"name": "G", "member_ids": [1, "x"]}, format="json")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "member_ids", 1]


def test_malformed_json_is_a_400(admin_client):
    response = admin_client.post("/api/groups/", data='{"name": ', content_type="application/json")

    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "MALFORMED_REQUEST"
    assert "JSON parse error" in body["detail"]


def test_unsupported_media_type_is_415(admin_client):
    response = admin_client.post("/api/groups/", data="name=x", content_type="text/plain")

    assert response.status_code == 415
    assert response.json()["error_code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_not_found_and_method_not_allowed_use_the_envelope(admin_client):
    missing = admin_client.get("/api/groups/424242")
    wrong_method = admin_client.delete("/api/auth/me")

    assert missing.status_code == 404
    assert set(missing.json()) == {"detail", "error_code"}
    assert missing.json()["error_code"] == "NOT_FOUND"
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error_code"] == "METHOD_NOT_ALLOWED"


def test_domain_errors_are_translated_once(admin_client, admin_user):
    response = admin_client.delete(f"/api/users/{admin_user.pk}")

    assert response.status_code == 409
    assert response.json() == {"detail": "You cannot deactivate your own account.", "error_code": "SELF_DEACTIVATION"}


def test_item_paths_work_with_and_without_a_trailing_slash(admin_client, admin_user):
    assert admin_client.get(f"/api/users/{admin_user.pk}").status_code == 200
    assert admin_client.get(f"/api/users/{admin_user.pk}/").status_code == 200
    assert admin_client.get("/api/auth/me/").status_code == 200
    assert admin_client.get("/api/users").status_code == 200


def test_timestamps_are_iso_8601_utc(admin_client, admin_user):
    joined = admin_client.get(f"/api/users/{admin_user.pk}").json()["date_joined"]

    assert joined.endswith("Z")
    assert "T" in joined


# --- request ids --------------------------------------------------------------------------------------


def test_every_response_gets_a_generated_request_id(api_client, admin_client):
    ids = {
        api_client.get("/api/health")["X-Request-ID"],
        api_client.get("/api/auth/me")["X-Request-ID"],  # 401
        admin_client.get("/api/users/")["X-Request-ID"],
        api_client.get("/login/")["X-Request-ID"],  # pages too
    }

    assert len(ids) == 4
    assert all(len(i) == 32 for i in ids)


def test_a_client_request_id_is_propagated(api_client, db):
    response = api_client.get("/api/health", HTTP_X_REQUEST_ID="trace-abc.123:4")

    assert response["X-Request-ID"] == "trace-abc.123:4"


def test_a_malformed_client_request_id_is_replaced(api_client, db):
    response = api_client.get("/api/health", HTTP_X_REQUEST_ID="bad id <script>")

    assert response["X-Request-ID"] != "bad id <script>"
    assert len(response["X-Request-ID"]) == 32


def test_the_request_id_reaches_the_logs(api_client, qa_user, caplog):
    from qms.middleware import RequestIDLogFilter

    caplog.set_level(logging.INFO, logger="qms.accounts")
    response = api_client.post(
        "/api/auth/token", {"username": "qa1", "password": "wrong"}, format="json", HTTP_X_REQUEST_ID="req-42"
    )

    assert response["X-Request-ID"] == "req-42"
    # The filter on the console handler stamps each record with the id of its request.
    records = [r for r in caplog.records if r.name == "qms.accounts"]
    assert records
    assert all(getattr(r, "request_id", None) == "req-42" for r in records)
    outside = logging.LogRecord("x", logging.INFO, __file__, 1, "outside", None, None)
    RequestIDLogFilter().filter(outside)
    assert outside.request_id == "-"
    # django.request logs errors after the middleware has returned; the id comes from the request.
    late = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Unauthorized", None, None)
    late.request = response.wsgi_request
    RequestIDLogFilter().filter(late)
    assert late.request_id == "req-42"


# --- CORS ---------------------------------------------------------------------------------------------


def test_cors_allows_the_configured_origin(api_client, db):
    response = api_client.get("/api/health", HTTP_ORIGIN="http://localhost:3000")

    assert response["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert "X-Request-ID" in response["Access-Control-Expose-Headers"]


def test_cors_preflight_for_the_token_endpoint(api_client, db):
    response = api_client.options(
        "/api/auth/token",
        HTTP_ORIGIN="http://localhost:3000",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,authorization",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert "authorization" in response["Access-Control-Allow-Headers"]


def test_cors_ignores_other_origins_and_follows_the_setting(api_client, db, settings):
    assert "Access-Control-Allow-Origin" not in api_client.get("/api/health", HTTP_ORIGIN="https://evil.example")

    settings.CORS_ALLOWED_ORIGINS = ["https://qms.example.com"]
    allowed = api_client.get("/api/health", HTTP_ORIGIN="https://qms.example.com")
    assert allowed["Access-Control-Allow-Origin"] == "https://qms.example.com"


def test_cors_origins_come_from_backend_cors_origins(monkeypatch):
    import environ

    monkeypatch.setenv("BACKEND_CORS_ORIGINS", "https://a.example.com,https://b.example.com")
    assert environ.Env().list("BACKEND_CORS_ORIGINS") == ["https://a.example.com", "https://b.example.com"]


def test_users_are_never_deleted_by_the_api(admin_client, basic_user):
    admin_client.delete(f"/api/users/{basic_user.pk}")

    assert User.objects.filter(pk=basic_user.pk).exists()
