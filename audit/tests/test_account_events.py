"""Every account event of the foundation reaches the audit trail with actor, IP and request id."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, GroupFactory
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

IP = "203.0.113.7"


def _client(user=None) -> APIClient:
    from rest_framework_simplejwt.tokens import RefreshToken

    client = APIClient(REMOTE_ADDR=IP)
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def _last(action: str, **filters) -> AuditEvent:
    event = AuditEvent.objects.filter(action=action, **filters).order_by("-sequence").first()
    assert event is not None, f"no {action} event recorded"
    return event


def _assert_context(event: AuditEvent, request_id: str):
    assert event.ip_address == IP
    assert event.request_id == request_id


def test_login_is_audited_with_actor_ip_and_request_id(basic_user):
    response = _client().post("/api/auth/token", {"username": "user1", "password": DEFAULT_PASSWORD}, HTTP_X_REQUEST_ID="login-1")
    assert response.status_code == 200
    event = _last("login")
    assert (event.actor_id, event.actor_username, event.actor_full_name) == (basic_user.pk, "user1", "Uma User")
    assert (event.resource_type, event.resource_id) == ("user", basic_user.pk)
    _assert_context(event, "login-1")


def test_failed_login_for_a_known_account_is_audited(basic_user):
    response = _client().post("/api/auth/token", {"username": "user1", "password": "wrong"}, HTTP_X_REQUEST_ID="bad-1")
    assert response.status_code == 401
    event = _last("login_failed")
    assert event.actor_id is None and event.actor_username == "user1"
    assert (event.resource_type, event.resource_id) == ("user", basic_user.pk)
    _assert_context(event, "bad-1")


@pytest.mark.requirement("21CFR11.300(d)")
def test_failed_login_for_an_unknown_account_records_the_attempted_username(db):
    response = _client().post("/api/auth/token", {"username": "mallory", "password": "guess"}, HTTP_X_REQUEST_ID="bad-2")
    assert response.status_code == 401
    event = _last("login_failed")
    assert event.actor_username == "mallory" and event.actor_id is None and event.resource_id is None
    _assert_context(event, "bad-2")


@pytest.mark.requirement("21CFR11.300(d)")
def test_lockout_is_audited(basic_user):
    client = _client()
    for attempt in range(settings.LOGIN_MAX_FAILED_ATTEMPTS):
        client.post("/api/auth/token", {"username": "user1", "password": "wrong"}, HTTP_X_REQUEST_ID=f"try-{attempt}")
    event = _last("lockout")
    assert (event.resource_type, event.resource_id) == ("user", basic_user.pk)
    assert "locked_until" in event.new_values
    _assert_context(event, f"try-{settings.LOGIN_MAX_FAILED_ATTEMPTS - 1}")


def test_logout_is_audited(basic_user):
    response = _client(basic_user).post("/api/auth/logout", {}, HTTP_X_REQUEST_ID="out-1")
    assert response.status_code == 204
    event = _last("logout")
    assert event.actor_id == basic_user.pk
    _assert_context(event, "out-1")


def test_password_change_is_audited(basic_user):
    response = _client(basic_user).post(
        "/api/auth/change-password",
        {"current_password": DEFAULT_PASSWORD, "new_password": "Another-Horse-77"},
        HTTP_X_REQUEST_ID="pw-1",
    )
    assert response.status_code == 200
    event = _last("password_change")
    assert event.actor_id == basic_user.pk and event.resource_id == basic_user.pk
    assert "Another-Horse-77" not in str(event.new_values) + event.summary
    _assert_context(event, "pw-1")


@pytest.mark.requirement("21CFR11.10(e)", "ANNEX11.9")
def test_user_creation_update_role_change_and_deactivation_are_audited(admin_user):
    client = _client(admin_user)
    response = client.post(
        "/api/users/",
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "password": "Fresh-Start-42",
            "full_name": "Nia Newbie",
            "role": "User",
        },
        HTTP_X_REQUEST_ID="u-1",
    )
    assert response.status_code == 201, response.data
    user_id = response.data["id"]
    created = _last("create", resource_type="user", resource_id=user_id)
    assert created.actor_id == admin_user.pk and created.new_values["username"] == "newbie"
    assert "Fresh-Start-42" not in str(created.new_values)
    _assert_context(created, "u-1")

    response = client.patch(
        f"/api/users/{user_id}", {"department": "QC", "reason": "Transfer to another site"}, HTTP_X_REQUEST_ID="u-2"
    )
    assert response.status_code == 200, response.data
    updated = _last("update", resource_type="user", resource_id=user_id)
    assert (updated.old_values, updated.new_values, updated.reason) == (
        {"department": ""},
        {"department": "QC"},
        "Transfer to another site",
    )
    _assert_context(updated, "u-2")

    response = client.put(
        f"/api/users/{user_id}/role",
        {"role": "QA", "reason": "Promotion to QA manager", "password": DEFAULT_PASSWORD},
        HTTP_X_REQUEST_ID="u-3",
    )
    assert response.status_code == 200, response.data
    role_change = _last("permission_change", resource_type="user", resource_id=user_id)
    assert role_change.old_values == {"role": "User"} and role_change.new_values == {"role": "QA"}
    _assert_context(role_change, "u-3")

    response = client.post(
        f"/api/users/{user_id}/permissions",
        {"codename": "audit.view", "effect": "grant", "reason": "inspection support"},
        HTTP_X_REQUEST_ID="u-4",
    )
    assert response.status_code == 200, response.data
    grant = _last("permission_change", resource_type="user", resource_id=user_id)
    assert grant.new_values == {"audit.view": "grant"} and grant.reason == "inspection support"
    _assert_context(grant, "u-4")

    response = client.delete(f"/api/users/{user_id}", {"reason": "left the company"}, HTTP_X_REQUEST_ID="u-5")
    assert response.status_code == 204
    deactivated = _last("deactivate", resource_type="user", resource_id=user_id)
    assert deactivated.new_values == {"is_active": False} and deactivated.actor_id == admin_user.pk
    _assert_context(deactivated, "u-5")
    assert User.objects.get(pk=user_id).is_active is False


@pytest.mark.requirement("ANNEX11.10", "ANNEX11.12")
def test_role_permission_changes_are_audited(admin_user):
    from accounts.models import Role

    role = Role.objects.get(name="Auditor")
    codenames = sorted(role.permissions.values_list("codename", flat=True))
    response = _client(admin_user).put(
        f"/api/roles/{role.pk}/permissions",
        {"permissions": codenames[:-1], "reason": "least privilege", "password": DEFAULT_PASSWORD},
        HTTP_X_REQUEST_ID="r-1",
    )
    assert response.status_code == 200, response.data
    event = _last("permission_change", resource_type="role", resource_id=role.pk)
    assert event.old_values == {"permissions": codenames} and event.new_values == {"permissions": codenames[:-1]}
    _assert_context(event, "r-1")


def test_group_changes_are_audited(admin_user, basic_user):
    client = _client(admin_user)
    response = client.post("/api/groups/", {"name": "Packaging", "description": "Line 2"}, HTTP_X_REQUEST_ID="g-1")
    assert response.status_code == 201, response.data
    group_id = response.data["id"]
    _assert_context(_last("create", resource_type="group", resource_id=group_id), "g-1")

    client.post(f"/api/groups/{group_id}/add-member", {"user_id": basic_user.pk}, HTTP_X_REQUEST_ID="g-2")
    added = _last("update", resource_type="group", resource_id=group_id)
    assert added.new_values == {"member_added": "user1"}
    _assert_context(added, "g-2")

    client.delete(f"/api/groups/{group_id}/remove-member/{basic_user.pk}", HTTP_X_REQUEST_ID="g-3")
    removed = _last("update", resource_type="group", resource_id=group_id)
    assert removed.old_values == {"member_removed": "user1"}
    _assert_context(removed, "g-3")

    response = client.delete(f"/api/groups/{group_id}", HTTP_X_REQUEST_ID="g-4")
    assert response.status_code == 204
    deleted = _last("delete", resource_type="group", resource_id=group_id)
    assert deleted.old_values["name"] == "Packaging"
    _assert_context(deleted, "g-4")


def test_page_sign_in_and_sign_out_are_audited(client, basic_user):
    response = client.post(
        "/login/", {"username": "user1", "password": DEFAULT_PASSWORD}, REMOTE_ADDR=IP, HTTP_X_REQUEST_ID="page-1"
    )
    assert response.status_code == 302
    _assert_context(_last("login"), "page-1")
    client.post("/logout/", REMOTE_ADDR=IP, HTTP_X_REQUEST_ID="page-2")
    event = _last("logout")
    assert event.actor_id == basic_user.pk
    _assert_context(event, "page-2")


def test_every_account_event_keeps_the_chain_valid(admin_user):
    from audit.services import verify_chain

    GroupFactory()
    _client().post("/api/auth/token", {"username": "admin1", "password": DEFAULT_PASSWORD})
    _client().post("/api/auth/token", {"username": "admin1", "password": "nope"})
    assert verify_chain().valid
    assert AuditEvent.objects.filter(action__in=["login", "login_failed"]).count() == 2
