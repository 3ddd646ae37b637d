"""GET/POST /api/users/, GET/PATCH/DELETE /api/users/{id}, role, grants and revocations, unlock."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Group, User
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_USER = {"username": "jdoe", "email": "jdoe@example.com", "full_name": "Jane Doe", "password": "Strong-Pass-51", "role": "QA"}


# --- create -------------------------------------------------------------------------------------------


def test_admin_creates_a_user_with_a_role_by_name(admin_user, client_for, api_client):
    response = client_for(admin_user).post("/api/users/", NEW_USER, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "jdoe"
    assert body["role"] == "QA"
    assert body["is_active"] is True
    assert "password" not in body
    login = api_client.post("/api/auth/token", {"username": "jdoe", "password": "Strong-Pass-51"}, format="json")
    assert login.status_code == 200


@pytest.mark.parametrize("role", ["QA Manager", "QA", "User", "Auditor"])
def test_only_user_administrators_create_users(make_user, client_for, role):
    response = client_for(make_user(role)).post("/api/users/", NEW_USER, format="json")

    assert response.status_code == 403
    assert not User.objects.filter(username="jdoe").exists()


@pytest.mark.requirement("21CFR11.300(a)")
def test_create_user_validation(admin_user, basic_user, client_for):
    client = client_for(admin_user)

    unknown_role = client.post("/api/users/", {**NEW_USER, "role": "Wizard"}, format="json")
    weak = client.post("/api/users/", {**NEW_USER, "password": "password"}, format="json")
    missing = client.post("/api/users/", {"username": "x"}, format="json")
    duplicate = client.post("/api/users/", {**NEW_USER, "email": "USER1@example.com"}, format="json")

    assert unknown_role.status_code == 422
    assert unknown_role.json()["detail"][0]["loc"] == ["body", "role"]
    assert "QA Manager" in unknown_role.json()["detail"][0]["msg"]
    assert weak.status_code == 422
    assert weak.json()["detail"][0]["loc"] == ["body", "password"]
    assert missing.status_code == 422
    assert {tuple(i["loc"]) for i in missing.json()["detail"]} == {("body", "email"), ("body", "password")}
    assert duplicate.status_code == 409
    assert duplicate.json()["error_code"] == "EMAIL_TAKEN"


# --- list ---------------------------------------------------------------------------------------------


def test_list_is_an_envelope_sorted_by_username(admin_user, make_user, client_for):
    for name in ("carol", "alice", "bob"):
        make_user("User", username=name)

    body = client_for(admin_user).get("/api/users/").json()

    assert set(body) == {"items", "page", "page_size", "total", "pages"}
    assert [u["username"] for u in body["items"]] == ["admin1", "alice", "bob", "carol"]
    assert (body["page"], body["page_size"], body["total"], body["pages"]) == (1, 20, 4, 1)


def test_list_filters_by_role_activity_group_and_text(admin_user, make_user, client_for):
    qa = make_user("QA", username="quality", full_name="Quinn Quality")
    make_user("User", username="worker", is_active=False)
    group = Group.objects.create(name="Line 1")
    group.members.add(qa)
    client = client_for(admin_user)

    def names(query):
        return [u["username"] for u in client.get(f"/api/users/?{query}").json()["items"]]

    assert names("role=qa") == ["quality"]
    assert names("is_active=false") == ["worker"]
    assert names(f"group_id={group.pk}") == ["quality"]
    assert names("q=quinn") == ["quality"]


def test_list_query_count_does_not_grow_with_the_page_size(admin_user, make_user, client_for, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    groups = [Group.objects.create(name=f"G{i}") for i in range(3)]
    for i in range(30):
        user = make_user("QA" if i % 2 else "User", username=f"u{i:02d}")
        user.groups.add(*groups[: i % 3 + 1])
    client = client_for(admin_user)

    counts = {}
    for size in (2, 10, 31):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/api/users/?page_size={size}")
        assert response.status_code == 200
        assert len(response.json()["items"]) == size
        counts[size] = len(ctx.captured_queries)

    assert counts[2] == counts[10] == counts[31], counts
    assert counts[31] <= 8, counts


# --- retrieve and update ------------------------------------------------------------------------------


def test_a_user_sees_their_own_profile_but_not_others(basic_user, make_user, client_for):
    other = make_user("User", username="other")
    client = client_for(basic_user)

    assert client.get(f"/api/users/{basic_user.pk}").json()["username"] == "user1"
    denied = client.get(f"/api/users/{other.pk}")
    assert denied.status_code == 403
    assert denied.json()["error_code"] == "PERMISSION_DENIED"


def test_user_viewers_see_any_profile_and_unknown_ids_are_404(qa_user, basic_user, client_for):
    client = client_for(qa_user)

    assert client.get(f"/api/users/{basic_user.pk}/").json()["username"] == "user1"
    missing = client.get("/api/users/999999")
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "NOT_FOUND"


def test_a_user_edits_their_own_profile(basic_user, client_for):
    response = client_for(basic_user).patch(
        f"/api/users/{basic_user.pk}", {"full_name": "Uma Updated", "department": "QC", "office_location": "Basel"}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["full_name"], body["department"], body["office_location"]) == ("Uma Updated", "QC", "Basel")
    assert body["row_version"] == 2


def test_a_user_cannot_edit_someone_else_nor_their_own_role_or_activity(basic_user, make_user, client_for):
    other = make_user("User", username="other")
    client = client_for(basic_user)

    assert client.patch(f"/api/users/{other.pk}", {"full_name": "Hacked"}, format="json").status_code == 403
    own_role = client.patch(f"/api/users/{basic_user.pk}", {"role": "Admin"}, format="json")
    own_activity = client.patch(f"/api/users/{basic_user.pk}", {"is_active": False}, format="json")

    assert own_role.status_code == 403
    assert own_activity.status_code == 403
    basic_user.refresh_from_db()
    assert basic_user.role.name == "User"
    assert basic_user.is_active


def test_a_user_viewer_without_users_manage_cannot_edit_others(qa_manager, basic_user, client_for):
    response = client_for(qa_manager).patch(f"/api/users/{basic_user.pk}", {"full_name": "Nope"}, format="json")

    assert response.status_code == 403


def test_admin_changes_role_and_activity(admin_user, basic_user, client_for):
    client = client_for(admin_user)

    response = client.patch(
        f"/api/users/{basic_user.pk}",
        {"role": "QA Manager", "reason": "Promotion to QA lead", "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["role"] == "QA Manager"

    response = client.put(
        f"/api/users/{basic_user.pk}/role", {"role": "Auditor", "reason": "Moved to audit", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["role"] == "Auditor"

    response = client.patch(f"/api/users/{basic_user.pk}", {"is_active": False, "reason": "Left the company"}, format="json")
    assert response.json()["is_active"] is False
    assert response.json()["deactivated_at"] is not None


def test_stale_row_version_is_a_409(basic_user, client_for):
    client = client_for(basic_user)
    client.patch(f"/api/users/{basic_user.pk}", {"full_name": "First"}, format="json")

    response = client.patch(f"/api/users/{basic_user.pk}", {"full_name": "Second", "row_version": 1}, format="json")

    assert response.status_code == 409
    assert response.json()["error_code"] == "VERSION_CONFLICT"
    assert response.json()["current_row_version"] == 2


def test_put_on_a_user_is_not_allowed(admin_user, client_for):
    response = client_for(admin_user).put(f"/api/users/{admin_user.pk}", {"full_name": "x"}, format="json")

    assert response.status_code == 405
    assert response.json()["error_code"] == "METHOD_NOT_ALLOWED"


# --- delete = deactivate ------------------------------------------------------------------------------


@pytest.mark.requirement("21CFR11.100", "21CFR11.300(a)")
def test_delete_deactivates_and_keeps_the_row(admin_user, basic_user, client_for, api_client):
    response = client_for(admin_user).delete(f"/api/users/{basic_user.pk}", {"reason": "Left the company"}, format="json")

    assert response.status_code == 204
    row = User.objects.get(pk=basic_user.pk)
    assert row.is_active is False
    assert row.deactivated_at is not None
    login = api_client.post("/api/auth/token", {"username": "user1", "password": PASSWORD}, format="json")
    assert login.status_code == 401
    # Still listed for administrators (the audit trail refers to it).
    listed = client_for(admin_user).get("/api/users/?is_active=false").json()["items"]
    assert [u["username"] for u in listed] == ["user1"]


def test_delete_is_for_user_administrators_and_not_on_oneself(admin_user, qa_manager, basic_user, client_for):
    assert client_for(qa_manager).delete(f"/api/users/{basic_user.pk}").status_code == 403
    own = client_for(admin_user).delete(f"/api/users/{admin_user.pk}")

    assert own.status_code == 409
    assert own.json()["error_code"] == "SELF_DEACTIVATION"
    assert User.objects.get(pk=basic_user.pk).is_active


# --- grants and revocations, unlock -------------------------------------------------------------------


def test_admin_grants_and_revokes_single_codenames(admin_user, basic_user, client_for):
    client = client_for(admin_user)
    url = f"/api/users/{basic_user.pk}/permissions"

    granted = client.post(
        url, {"codename": "documents.approve", "effect": "grant", "reason": "Deputy for the QA lead"}, format="json"
    )
    revoked = client.post(url, {"codename": "ai.use", "effect": "revoke", "reason": "No AI on GMP data"}, format="json")

    assert granted.status_code == 200
    body = revoked.json()
    assert body["role"] == "User"
    assert body["grants"] == ["documents.approve"]
    assert body["revocations"] == ["ai.use"]
    assert "documents.approve" in body["effective"] and "ai.use" not in body["effective"]
    assert "ai.use" in body["role_permissions"]

    removed = client.delete(f"{url}/ai.use?reason=Policy+changed")
    assert removed.status_code == 200
    assert removed.json()["revocations"] == []
    assert "ai.use" in removed.json()["effective"]
    assert client.get(url).json()["grants"] == ["documents.approve"]


def test_grant_validation_and_permission(admin_user, basic_user, qa_manager, client_for):
    url = f"/api/users/{basic_user.pk}/permissions"

    unknown = client_for(admin_user).post(
        url, {"codename": "nuclear.launch", "effect": "grant", "reason": "Correction after review"}, format="json"
    )
    bad_effect = client_for(admin_user).post(
        url, {"codename": "ai.use", "effect": "maybe", "reason": "Correction after review"}, format="json"
    )
    not_admin = client_for(qa_manager).post(url, {"codename": "ai.use", "effect": "grant"}, format="json")
    nothing_to_remove = client_for(admin_user).delete(f"{url}/ai.use?reason=Correction+after+review")

    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "codename"]
    assert bad_effect.status_code == 422
    assert not_admin.status_code == 403
    assert nothing_to_remove.status_code == 404


def test_admin_unlocks_a_locked_account(admin_user, basic_user, client_for, api_client):
    User.objects.filter(pk=basic_user.pk).update(locked_until=timezone.now() + timedelta(minutes=10), failed_login_count=0)
    assert client_for(admin_user).get(f"/api/users/{basic_user.pk}").json()["is_locked"] is True

    response = client_for(admin_user).post(
        f"/api/users/{basic_user.pk}/unlock", {"reason": "Phoned the help desk"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["is_locked"] is False
    assert api_client.post("/api/auth/token", {"username": "user1", "password": PASSWORD}, format="json").status_code == 200


def test_superusers_hold_every_permission(make_user, client_for):
    root = make_user(None, username="root", is_superuser=True)

    me = client_for(root).get("/api/auth/me").json()

    from accounts.catalog import PERMISSIONS

    assert me["permissions"] == sorted(PERMISSIONS)
    assert (
        client_for(root)
        .put(
            f"/api/users/{root.pk}/role",
            {"role": "QA", "reason": "Demonstration of the change", "password": PASSWORD},
            format="json",
        )
        .status_code
        == 200
    )
