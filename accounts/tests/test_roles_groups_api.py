"""Roles, the permission catalogue, role-permission changes, and groups as the contract lists them."""

import pytest

from accounts.models import Group, Role
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


# --- roles --------------------------------------------------------------------------------------------


def test_roles_list_with_user_counts(admin_user, make_user, client_for):
    make_user("QA")
    make_user("QA")

    body = client_for(admin_user).get("/api/roles/").json()

    by_name = {r["name"]: r for r in body["items"]}
    assert list(by_name) == ["Admin", "Auditor", "QA", "QA Manager", "User"]
    assert by_name["QA"]["user_count"] == 2
    assert by_name["Admin"]["user_count"] == 1
    assert by_name["QA"]["description"]


def test_role_detail_lists_its_permissions(auditor, client_for):
    qa = Role.objects.get(name="QA")

    response = client_for(auditor).get(f"/api/roles/{qa.pk}")

    assert response.status_code == 200
    codenames = [p["codename"] for p in response.json()["permissions"]]
    assert "documents.approve" in codenames
    assert codenames == sorted(codenames)
    assert all(p["description"] for p in response.json()["permissions"])


def test_permission_catalogue(auditor, client_for):
    body = client_for(auditor).get("/api/permissions/").json()

    assert len(body) >= 30
    assert {"id", "codename", "description", "domain"} == set(body[0])
    audit = client_for(auditor).get("/api/permissions/?domain=audit").json()
    assert {p["codename"] for p in audit} == {"audit.view", "audit.export", "audit.verify"}


def test_admin_replaces_a_roles_permissions_and_holders_feel_it(admin_user, basic_user, client_for):
    role = Role.objects.get(name="User")
    user_client = client_for(basic_user)
    assert user_client.get("/api/roles/").status_code == 403

    response = client_for(admin_user).put(
        f"/api/roles/{role.pk}/permissions",
        {"permissions": ["documents.view", "roles.view"], "reason": "Pilot of the new process", "password": PASSWORD},
        format="json",
    )

    assert response.status_code == 200
    assert [p["codename"] for p in response.json()["permissions"]] == ["documents.view", "roles.view"]
    assert user_client.get("/api/roles/").status_code == 200
    me = user_client.get("/api/auth/me").json()
    assert me["permissions"] == ["documents.view", "roles.view"]


def test_role_permission_changes_are_admin_only_and_validated(admin_user, qa_manager, client_for):
    role = Role.objects.get(name="QA")
    before = set(role.permissions.values_list("codename", flat=True))

    denied = client_for(qa_manager).put(f"/api/roles/{role.pk}/permissions", {"permissions": []}, format="json")
    unknown = client_for(admin_user).put(
        f"/api/roles/{role.pk}/permissions",
        {"permissions": ["made.up"], "reason": "Correction after review", "password": PASSWORD},
        format="json",
    )
    missing = client_for(admin_user).put(f"/api/roles/{role.pk}/permissions", {}, format="json")

    assert denied.status_code == 403
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "permissions"]
    assert "made.up" in unknown.json()["detail"][0]["msg"]
    assert missing.status_code == 422
    assert set(role.permissions.values_list("codename", flat=True)) == before


# --- groups -------------------------------------------------------------------------------------------


@pytest.fixture
def groups(basic_user, qa_user):
    qa = Group.objects.create(name="Quality Assurance", description="QA department")
    qa.members.add(qa_user)
    production = Group.objects.create(name="Production", description="Manufacturing")
    production.members.add(basic_user, qa_user)
    Group.objects.create(name="Empty")
    return {"qa": qa, "production": production}


def test_admins_list_every_group(admin_user, groups, client_for):
    body = client_for(admin_user).get("/api/groups/").json()

    assert [g["name"] for g in body["items"]] == ["Empty", "Production", "Quality Assurance"]
    production = body["items"][1]
    assert production["member_count"] == 2
    assert {m["username"] for m in production["members"]} == {"user1", "qa1"}
    assert body["total"] == 3


def test_members_see_only_their_groups(basic_user, groups, client_for):
    client = client_for(basic_user)

    body = client.get("/api/groups/").json()

    assert [g["name"] for g in body["items"]] == ["Production"]
    assert client.get(f"/api/groups/{groups['production'].pk}").status_code == 200
    assert client.get(f"/api/groups/{groups['qa'].pk}").status_code == 404


def test_groups_sort(admin_user, groups, client_for):
    body = client_for(admin_user).get("/api/groups/?sort=name desc").json()

    assert [g["name"] for g in body["items"]] == ["Quality Assurance", "Production", "Empty"]


def test_admin_creates_updates_and_deletes_a_group(admin_user, basic_user, client_for):
    client = client_for(admin_user)

    created = client.post(
        "/api/groups/", {"name": "Validation", "description": "CSV team", "member_ids": [basic_user.pk]}, format="json"
    )
    assert created.status_code == 201
    group_id = created.json()["id"]
    assert [m["username"] for m in created.json()["members"]] == ["user1"]

    updated = client.put(f"/api/groups/{group_id}", {"name": "Computer System Validation"}, format="json")
    assert updated.status_code == 200
    assert updated.json()["name"] == "Computer System Validation"
    assert updated.json()["description"] == "CSV team"

    patched = client.patch(f"/api/groups/{group_id}/", {"description": "GAMP 5"}, format="json")
    assert patched.json()["description"] == "GAMP 5"

    assert client.delete(f"/api/groups/{group_id}").status_code == 204
    assert not Group.objects.filter(pk=group_id).exists()
    assert client.get(f"/api/groups/{group_id}").status_code == 404


def test_group_writes_are_for_group_managers(basic_user, groups, client_for):
    client = client_for(basic_user)
    production = groups["production"].pk

    assert client.post("/api/groups/", {"name": "Mine"}, format="json").status_code == 403
    assert client.put(f"/api/groups/{production}", {"name": "Renamed"}, format="json").status_code == 403
    assert client.delete(f"/api/groups/{production}").status_code == 403
    assert client.post(f"/api/groups/{production}/add-member", {"user_id": basic_user.pk}, format="json").status_code == 403
    assert client.delete(f"/api/groups/{production}/remove-member/{basic_user.pk}").status_code == 403
    assert Group.objects.get(pk=production).name == "Production"


def test_group_name_conflicts_and_validation(admin_user, groups, client_for):
    client = client_for(admin_user)

    duplicate = client.post("/api/groups/", {"name": "production"}, format="json")
    rename_clash = client.put(f"/api/groups/{groups['qa'].pk}", {"name": "Production"}, format="json")
    unknown_member = client.post("/api/groups/", {"name": "New", "member_ids": [999999]}, format="json")
    blank = client.post("/api/groups/", {"name": ""}, format="json")

    assert duplicate.status_code == 409
    assert duplicate.json()["error_code"] == "GROUP_EXISTS"
    assert rename_clash.status_code == 409
    assert unknown_member.status_code == 422
    assert unknown_member.json()["detail"][0]["loc"] == ["body", "member_ids"]
    assert blank.status_code == 422


def test_add_and_remove_members(admin_user, basic_user, groups, client_for):
    client = client_for(admin_user)
    qa_group = groups["qa"].pk

    added = client.post(f"/api/groups/{qa_group}/add-member", {"user_id": basic_user.pk}, format="json")
    again = client.post(f"/api/groups/{qa_group}/add-member", {"user_id": basic_user.pk}, format="json")
    unknown = client.post(f"/api/groups/{qa_group}/add-member", {"user_id": 999999}, format="json")

    assert added.status_code == 200
    assert {m["username"] for m in added.json()["members"]} == {"qa1", "user1"}
    assert again.status_code == 409
    assert again.json()["error_code"] == "ALREADY_MEMBER"
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "user_id"]

    removed = client.delete(f"/api/groups/{qa_group}/remove-member/{basic_user.pk}")
    not_member = client.delete(f"/api/groups/{qa_group}/remove-member/{basic_user.pk}")

    assert removed.status_code == 200
    assert [m["username"] for m in removed.json()["members"]] == ["qa1"]
    assert not_member.status_code == 404


def test_deactivated_users_cannot_be_added_to_groups(admin_user, make_user, groups, client_for):
    gone = make_user("User", is_active=False)

    response = client_for(admin_user).post(f"/api/groups/{groups['qa'].pk}/add-member", {"user_id": gone.pk}, format="json")

    assert response.status_code == 422


def test_group_list_query_count_does_not_grow_with_the_page_size(admin_user, make_user, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    users = [make_user("User") for _ in range(4)]
    for i in range(12):
        Group.objects.create(name=f"Group {i:02d}").members.add(*users[: i % 4 + 1])
    client = client_for(admin_user)

    counts = []
    for size in (2, 12):
        with CaptureQueriesContext(connection) as ctx:
            assert len(client.get(f"/api/groups/?page_size={size}").json()["items"]) == size
        counts.append(len(ctx.captured_queries))

    assert counts[0] == counts[1], counts
