"""POST /api/auth/token, refresh, logout, me, change-password and register."""

from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEvent
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/auth/token"


def login(client, username, password=PASSWORD):
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json")


def bearer(access_token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token}")
    return client


# --- token --------------------------------------------------------------------------------------------


def test_token_with_json_returns_tokens_and_user(api_client, qa_user):
    response = login(api_client, "qa1")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 30 * 60
    assert body["user"] == {
        "id": qa_user.pk,
        "username": "qa1",
        "email": "qa1@example.com",
        "full_name": "Quinn QA",
        "role": "QA",
    }
    me = bearer(body["access_token"]).get("/api/auth/me")
    assert me.status_code == 200
    assert me.json()["username"] == "qa1"


def test_token_accepts_form_encoded_body(api_client, qa_user):
    response = api_client.post(
        TOKEN_URL, urlencode({"username": "qa1", "password": PASSWORD}), content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert response.json()["user"]["username"] == "qa1"


def test_token_accepts_email_as_username_case_insensitively(api_client, qa_user):
    response = login(api_client, "QA1@Example.com")

    assert response.status_code == 200
    assert response.json()["user"]["id"] == qa_user.pk


def test_wrong_password_is_401_with_the_contract_message(api_client, qa_user):
    response = login(api_client, "qa1", "Wrong-Password-1")

    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect username or password", "error_code": "INVALID_CREDENTIALS"}


def test_unknown_user_gets_the_same_401_as_a_wrong_password(api_client, db):
    response = login(api_client, "nobody", "Whatever-1")

    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect username or password", "error_code": "INVALID_CREDENTIALS"}


def test_missing_fields_are_a_422(api_client, db):
    response = api_client.post(TOKEN_URL, {"username": "qa1"}, format="json")

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body", "password"], "msg": "This field is required.", "type": "value_error.required"}
    ]


def test_successful_login_records_last_login(api_client, qa_user):
    assert qa_user.last_login is None
    login(api_client, "qa1")
    qa_user.refresh_from_db()
    assert qa_user.last_login is not None


# --- lockout ------------------------------------------------------------------------------------------


@pytest.mark.requirement("21CFR11.10(d)", "21CFR11.300(d)", "ANNEX11.12")
def test_five_failures_lock_the_account_for_fifteen_minutes(api_client, qa_user):
    from django.utils import timezone

    for attempt in range(4):
        response = login(api_client, "qa1", "Wrong-Password-1")
        assert response.json()["error_code"] == "INVALID_CREDENTIALS", attempt
    before = timezone.now()
    fifth = login(api_client, "qa1", "Wrong-Password-1")

    assert fifth.status_code == 401
    assert fifth.json()["error_code"] == "ACCOUNT_LOCKED"
    assert "locked" in fifth.json()["detail"].lower()
    qa_user.refresh_from_db()
    minutes = (qa_user.locked_until - before).total_seconds() / 60
    assert 14.9 < minutes <= 15.1

    # Even the right password is refused while locked.
    locked = login(api_client, "qa1")
    assert locked.status_code == 401
    assert locked.json()["error_code"] == "ACCOUNT_LOCKED"
    assert locked.json()["locked_until"].endswith("Z")


def test_lock_expires_after_the_lockout_period(api_client, qa_user):
    from datetime import timedelta

    from django.utils import timezone

    User.objects.filter(pk=qa_user.pk).update(locked_until=timezone.now() - timedelta(seconds=1))

    assert login(api_client, "qa1").status_code == 200


def test_lockout_threshold_and_duration_are_configurable(api_client, qa_user, settings):
    from django.utils import timezone

    settings.LOGIN_MAX_FAILED_ATTEMPTS = 2
    settings.LOGIN_LOCKOUT_MINUTES = 60
    login(api_client, "qa1", "Wrong-Password-1")
    response = login(api_client, "qa1", "Wrong-Password-1")

    assert response.json()["error_code"] == "ACCOUNT_LOCKED"
    qa_user.refresh_from_db()
    assert (qa_user.locked_until - timezone.now()).total_seconds() > 59 * 60


def test_successful_login_resets_the_failure_count(api_client, qa_user):
    for _ in range(4):
        login(api_client, "qa1", "Wrong-Password-1")
    qa_user.refresh_from_db()
    assert qa_user.failed_login_count == 4

    assert login(api_client, "qa1").status_code == 200
    qa_user.refresh_from_db()
    assert qa_user.failed_login_count == 0

    # Four more failures do not lock: the count started again from zero.
    for _ in range(4):
        assert login(api_client, "qa1", "Wrong-Password-1").json()["error_code"] == "INVALID_CREDENTIALS"
    assert login(api_client, "qa1").status_code == 200


def test_failures_on_one_account_do_not_lock_another(api_client, qa_user, basic_user):
    for _ in range(5):
        login(api_client, "qa1", "Wrong-Password-1")

    assert login(api_client, "user1").status_code == 200


# --- deactivated users --------------------------------------------------------------------------------


def test_deactivated_user_cannot_log_in(api_client, qa_user):
    User.objects.filter(pk=qa_user.pk).update(is_active=False)

    response = login(api_client, "qa1")

    assert response.status_code == 401
    assert response.json()["detail"] == "Incorrect username or password"


@pytest.mark.requirement("21CFR11.10(d)")
def test_deactivated_user_cannot_use_an_existing_access_token(api_client, admin_user, qa_user, client_for):
    tokens = login(api_client, "qa1").json()
    assert bearer(tokens["access_token"]).get("/api/auth/me").status_code == 200

    assert client_for(admin_user).delete(f"/api/users/{qa_user.pk}?reason=Left+the+company").status_code == 204

    response = bearer(tokens["access_token"]).get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["error_code"] == "AUTHENTICATION_FAILED"
    refresh = api_client.post("/api/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert refresh.status_code == 401


# --- refresh ------------------------------------------------------------------------------------------


def test_refresh_rotates_and_the_old_refresh_token_is_rejected(api_client, qa_user):
    first = login(api_client, "qa1").json()

    response = api_client.post("/api/auth/refresh", {"refresh_token": first["refresh_token"]}, format="json")

    assert response.status_code == 200
    second = response.json()
    assert second["token_type"] == "bearer"
    assert second["refresh_token"] != first["refresh_token"]
    assert bearer(second["access_token"]).get("/api/auth/me").status_code == 200

    third = api_client.post("/api/auth/refresh", {"refresh_token": second["refresh_token"]}, format="json")
    assert third.status_code == 200


@pytest.mark.requirement("21CFR11.300(c)")
def test_a_rotated_refresh_token_presented_again_revokes_its_whole_sign_in(api_client, qa_user):
    """Two parties hold the same refresh token (it was stolen): the family and the access tokens go."""
    first = login(api_client, "qa1").json()
    other_device = login(api_client, "qa1").json()
    second = api_client.post("/api/auth/refresh", {"refresh_token": first["refresh_token"]}, format="json").json()
    third = api_client.post("/api/auth/refresh", {"refresh_token": second["refresh_token"]}, format="json").json()

    replay = api_client.post("/api/auth/refresh", {"refresh_token": first["refresh_token"]}, format="json")

    assert replay.status_code == 401
    assert replay.json()["error_code"] == "TOKEN_REUSED"
    # Every descendant of the stolen token is revoked, and so are the access tokens issued so far.
    successor = api_client.post("/api/auth/refresh", {"refresh_token": third["refresh_token"]}, format="json")
    assert successor.status_code == 401
    assert bearer(third["access_token"]).get("/api/auth/me").status_code == 401
    # Another sign-in of the same user keeps its refresh token.
    kept = api_client.post("/api/auth/refresh", {"refresh_token": other_device["refresh_token"]}, format="json")
    assert kept.status_code == 200
    event = AuditEvent.objects.filter(action="token_reuse").order_by("sequence").first()
    assert event.resource_id == qa_user.pk
    assert event.new_values["revoked_refresh_tokens"] == 1


def test_refresh_rejects_garbage_and_access_tokens(api_client, qa_user):
    tokens = login(api_client, "qa1").json()

    garbage = api_client.post("/api/auth/refresh", {"refresh_token": "not-a-token"}, format="json")
    access = api_client.post("/api/auth/refresh", {"refresh_token": tokens["access_token"]}, format="json")
    missing = api_client.post("/api/auth/refresh", {}, format="json")

    assert garbage.status_code == 401
    assert access.status_code == 401
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "refresh_token"]


# --- logout -------------------------------------------------------------------------------------------


def test_logout_blacklists_the_refresh_token(api_client, qa_user):
    tokens = login(api_client, "qa1").json()
    client = bearer(tokens["access_token"])

    response = client.post("/api/auth/logout", {"refresh_token": tokens["refresh_token"]}, format="json")

    assert response.status_code == 204
    refresh = api_client.post("/api/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert refresh.status_code == 401


def test_logout_without_a_token_revokes_every_refresh_token_of_the_user(api_client, qa_user):
    one = login(api_client, "qa1").json()
    two = login(api_client, "qa1").json()

    assert bearer(one["access_token"]).post("/api/auth/logout", {}, format="json").status_code == 204

    for tokens in (one, two):
        assert api_client.post("/api/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json").status_code == 401


def test_logout_cannot_revoke_someone_elses_token(api_client, qa_user, basic_user):
    theirs = login(api_client, "user1").json()
    mine = login(api_client, "qa1").json()

    bearer(mine["access_token"]).post("/api/auth/logout", {"refresh_token": theirs["refresh_token"]}, format="json")

    assert api_client.post("/api/auth/refresh", {"refresh_token": theirs["refresh_token"]}, format="json").status_code == 200


def test_logout_revokes_the_access_tokens_at_once(api_client, qa_user):
    tokens = login(api_client, "qa1").json()
    other_device = login(api_client, "qa1").json()
    client = bearer(tokens["access_token"])
    assert client.get("/api/auth/me").status_code == 200

    assert client.post("/api/auth/logout", {"refresh_token": tokens["refresh_token"]}, format="json").status_code == 204

    after = client.get("/api/auth/me")
    assert after.status_code == 401
    assert after.json()["error_code"] == "AUTHENTICATION_FAILED"
    # The other sign-in gets a new access token with its refresh token; its old one is revoked too.
    assert bearer(other_device["access_token"]).get("/api/auth/me").status_code == 401
    renewed = api_client.post("/api/auth/refresh", {"refresh_token": other_device["refresh_token"]}, format="json")
    assert bearer(renewed.json()["access_token"]).get("/api/auth/me").status_code == 200


@pytest.mark.requirement("21CFR11.300(c)")
def test_logout_everywhere_revokes_every_access_token_even_with_redis_down(api_client, qa_user):
    from django.test import override_settings

    from qms.tests.test_api_hardening import UNREACHABLE_REDIS

    one = login(api_client, "qa1").json()
    two = login(api_client, "qa1").json()

    with override_settings(CACHES=UNREACHABLE_REDIS):
        assert bearer(one["access_token"]).post("/api/auth/logout", {}, format="json").status_code == 204
        assert bearer(two["access_token"]).get("/api/auth/me").status_code == 401
        assert bearer(one["access_token"]).get("/api/auth/me").status_code == 401


@pytest.mark.requirement("21CFR11.300(c)")
def test_deactivation_and_password_change_revoke_access_tokens(api_client, admin_user, qa_user, basic_user, client_for):
    qa_tokens = login(api_client, "qa1").json()
    user_tokens = login(api_client, "user1").json()

    changed = bearer(qa_tokens["access_token"]).post(
        "/api/auth/change-password", {"current_password": PASSWORD, "new_password": "Another-Horse-42"}, format="json"
    )
    client_for(admin_user).delete(f"/api/users/{basic_user.pk}?reason=Left+the+company+in+May")

    assert changed.status_code == 200
    assert bearer(qa_tokens["access_token"]).get("/api/auth/me").status_code == 401
    assert bearer(changed.json()["access_token"]).get("/api/auth/me").status_code == 200
    assert bearer(user_tokens["access_token"]).get("/api/auth/me").status_code == 401
    assert User.objects.get(pk=basic_user.pk).token_version == 1


def test_logout_needs_authentication(api_client, db):
    assert api_client.post("/api/auth/logout", {}, format="json").status_code == 401


# --- me -----------------------------------------------------------------------------------------------


def test_me_returns_role_effective_permissions_and_groups(qa_user, client_for):
    from accounts.models import Group

    group = Group.objects.create(name="Sterile Manufacturing")
    group.members.add(qa_user)

    response = client_for(qa_user).get("/api/auth/me")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == qa_user.pk
    assert body["role"] == "QA"
    assert body["groups"] == [{"id": group.pk, "name": "Sterile Manufacturing"}]
    assert "documents.approve" in body["permissions"]
    assert "audit.view" not in body["permissions"]
    assert body["permissions"] == sorted(body["permissions"])
    assert "password" not in body


def test_me_without_a_token_is_401(api_client, db):
    response = api_client.get("/api/auth/me")

    assert response.status_code == 401
    assert response.json()["error_code"] == "NOT_AUTHENTICATED"


def test_me_with_a_tampered_token_is_401(api_client, qa_user):
    access = login(api_client, "qa1").json()["access_token"]

    response = bearer(access[:-3] + ("aaa" if not access.endswith("aaa") else "bbb")).get("/api/auth/me")

    assert response.status_code == 401


# --- change password ----------------------------------------------------------------------------------


def change_password(client, current, new):
    return client.post("/api/auth/change-password", {"current_password": current, "new_password": new}, format="json")


def test_change_password_returns_new_tokens_and_revokes_old_ones(api_client, qa_user):
    old = login(api_client, "qa1").json()

    response = change_password(bearer(old["access_token"]), PASSWORD, "New-Password-42")

    assert response.status_code == 200
    new = response.json()
    assert bearer(new["access_token"]).get("/api/auth/me").status_code == 200
    # Every token issued before the change stops working, even within the same second.
    assert bearer(old["access_token"]).get("/api/auth/me").status_code == 401
    assert api_client.post("/api/auth/refresh", {"refresh_token": old["refresh_token"]}, format="json").status_code == 401
    assert api_client.post("/api/auth/refresh", {"refresh_token": new["refresh_token"]}, format="json").status_code == 200
    assert login(api_client, "qa1").status_code == 401
    assert login(api_client, "qa1", "New-Password-42").status_code == 200


def test_change_password_with_a_wrong_current_password_is_401_and_counts_toward_lockout(qa_user, client_for):
    response = change_password(client_for(qa_user), "Wrong-Password-1", "New-Password-42")

    assert response.status_code == 401
    assert response.json()["error_code"] == "INVALID_CURRENT_PASSWORD"
    qa_user.refresh_from_db()
    assert qa_user.failed_login_count == 1
    assert qa_user.check_password(PASSWORD)


def test_change_password_is_refused_while_the_account_is_locked(qa_user, client_for):
    from datetime import timedelta

    from django.utils import timezone

    client = client_for(qa_user)
    User.objects.filter(pk=qa_user.pk).update(locked_until=timezone.now() + timedelta(minutes=5))

    response = change_password(client, PASSWORD, "New-Password-42")

    assert response.status_code == 401
    assert response.json()["error_code"] == "ACCOUNT_LOCKED"
    qa_user.refresh_from_db()
    assert qa_user.check_password(PASSWORD)


def test_five_wrong_current_passwords_lock_the_account(api_client, qa_user, client_for):
    client = client_for(qa_user)
    for _ in range(5):
        change_password(client, "Wrong-Password-1", "New-Password-42")

    assert login(api_client, "qa1").json()["error_code"] == "ACCOUNT_LOCKED"
    assert change_password(client, PASSWORD, "New-Password-42").json()["error_code"] == "ACCOUNT_LOCKED"


@pytest.mark.parametrize(
    ("new_password", "rule"),
    [
        ("short1A", "at least 8 characters"),
        ("lowercase-only-42", "upper-case letter"),
        ("UPPERCASE-ONLY-42", "lower-case letter"),
        ("No-Digits-Here", "digit"),
        ("12345678", "entirely numeric"),
        ("Password1", "too common"),
    ],
)
@pytest.mark.requirement("21CFR11.300(b)")
def test_change_password_policy_violations_are_422_with_the_rule(qa_user, client_for, new_password, rule):
    response = change_password(client_for(qa_user), PASSWORD, new_password)

    assert response.status_code == 422
    body = response.json()
    assert body["error_code"] == "VALIDATION_ERROR"
    [item] = body["detail"]
    assert item["loc"] == ["body", "new_password"]
    assert rule in item["msg"]
    assert item["type"] == "value_error.password"
    qa_user.refresh_from_db()
    assert qa_user.check_password(PASSWORD)


def test_change_password_reports_every_failed_rule(qa_user, client_for):
    msg = change_password(client_for(qa_user), PASSWORD, "abc").json()["detail"][0]["msg"]

    assert "at least 8 characters" in msg
    assert "upper-case letter" in msg
    assert "digit" in msg


def test_change_password_needs_authentication(api_client, db):
    assert change_password(api_client, PASSWORD, "New-Password-42").status_code == 401


# --- register -----------------------------------------------------------------------------------------

REGISTRATION = {"username": "newbie", "email": "newbie@example.com", "full_name": "New Bie", "password": "Fresh-Start-77"}


def test_register_is_403_when_registration_is_disabled(api_client, db, settings):
    settings.REGISTRATION_ENABLED = False

    response = api_client.post("/api/auth/register", REGISTRATION, format="json")

    assert response.status_code == 403
    assert response.json()["error_code"] == "REGISTRATION_DISABLED"
    assert not User.objects.filter(username="newbie").exists()


def test_register_creates_a_user_with_the_default_role_when_enabled(api_client, db, settings):
    settings.REGISTRATION_ENABLED = True

    response = api_client.post("/api/auth/register", REGISTRATION, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "newbie"
    assert body["role"] == "User"
    assert login(api_client, "newbie@example.com", "Fresh-Start-77").status_code == 200


def test_register_applies_the_password_policy_and_unique_names(api_client, basic_user, settings):
    settings.REGISTRATION_ENABLED = True

    weak = api_client.post("/api/auth/register", {**REGISTRATION, "password": "weakpass"}, format="json")
    taken = api_client.post("/api/auth/register", {**REGISTRATION, "username": "USER1"}, format="json")
    bad_email = api_client.post("/api/auth/register", {**REGISTRATION, "email": "not-an-email"}, format="json")

    assert weak.status_code == 422
    assert weak.json()["detail"][0]["loc"] == ["body", "password"]
    assert taken.status_code == 409
    assert taken.json()["error_code"] == "USERNAME_TAKEN"
    assert bad_email.status_code == 422
    assert bad_email.json()["detail"][0]["loc"] == ["body", "email"]
