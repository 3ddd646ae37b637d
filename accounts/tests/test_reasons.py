"""A change to an existing account's or role's access needs a reason, whichever door it comes through
(API, pages, admin): role, activation, staff access, grants and revocations, role permissions, unlocking."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role, User, UserPermissionOverride
from audit.models import AuditEvent
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _reason_error(response):
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"][0]["loc"] == ["body", "reason"], body
    return body


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("put", "/api/users/{id}/role", {"role": "QA"}),
        ("put", "/api/users/{id}/role", {"role": "QA", "reason": "   "}),
        ("patch", "/api/users/{id}", {"role": "QA"}),
        ("patch", "/api/users/{id}", {"is_active": False}),
        ("delete", "/api/users/{id}", None),
        ("post", "/api/users/{id}/permissions", {"codename": "audit.view", "effect": "grant"}),
        ("post", "/api/users/{id}/unlock", {}),
        ("put", "/api/roles/{role}/permissions", {"permissions": ["documents.view"]}),
    ],
)
@pytest.mark.requirement("ANNEX11.9", "ANNEX11.12")
def test_access_changes_without_a_reason_are_422_and_change_nothing(client_for, admin_user, basic_user, method, path, body):
    before = AuditEvent.objects.count()
    role = Role.objects.get(name="User")
    url = path.format(id=basic_user.pk, role=role.pk)

    _reason_error(getattr(client_for(admin_user), method)(url, body, format="json"))

    basic_user.refresh_from_db()
    assert basic_user.is_active and basic_user.role.name == "User"
    assert not UserPermissionOverride.objects.exists()
    assert role.permissions.count() > 1
    assert AuditEvent.objects.count() == before


def test_removing_a_grant_needs_a_reason_given_in_the_query_or_body(client_for, admin_user, basic_user):
    client = client_for(admin_user)
    url = f"/api/users/{basic_user.pk}/permissions"
    client.post(url, {"codename": "audit.view", "effect": "grant", "reason": "inspection"}, format="json")

    _reason_error(client.delete(f"{url}/audit.view"))
    assert client.delete(f"{url}/audit.view", {"reason": "inspection over"}, format="json").status_code == 200

    event = AuditEvent.objects.filter(action="permission_change").order_by("-sequence").first()
    assert event.reason == "inspection over" and event.new_values == {"audit.view": None}


def test_deactivation_reason_from_the_query_string_reaches_the_audit_trail(client_for, admin_user, basic_user):
    response = client_for(admin_user).delete(f"/api/users/{basic_user.pk}?reason=Left+the+company")

    assert response.status_code == 204
    event = AuditEvent.objects.get(action="deactivate")
    assert event.reason == "Left the company"


def test_profile_edits_and_unchanged_access_fields_need_no_reason(client_for, admin_user, basic_user):
    own = client_for(basic_user).patch(f"/api/users/{basic_user.pk}", {"department": "QC"}, format="json")
    same_role = client_for(admin_user).patch(f"/api/users/{basic_user.pk}", {"role": "User", "is_active": True}, format="json")

    assert own.status_code == 200 and same_role.status_code == 200


def test_openapi_documents_the_reason_rule(client):
    schema = client.get("/openapi.json").json()
    delete = schema["paths"]["/api/users/{id}"]["delete"]
    assert "reason" in [p["name"] for p in delete["parameters"]]
    assert "reason is required" in delete["description"].lower()
    role_body = schema["components"]["schemas"]["UserRoleRequest"]
    assert "reason" in role_body["required"]
    for path, method in [
        ("/api/users/{id}/role", "put"),
        ("/api/users/{id}/permissions", "post"),
        ("/api/roles/{id}/permissions", "put"),
        ("/api/users/{id}", "patch"),
    ]:
        assert "reason" in schema["paths"][path][method]["description"], path


# --- pages --------------------------------------------------------------------------------------------


def test_the_users_page_asks_for_a_reason_to_deactivate(client, admin_user, basic_user):
    client.force_login(admin_user)
    page = client.get("/admin-users/").content.decode()
    assert 'name="reason" required' in page

    refused = client.post(f"/admin-users/{basic_user.pk}/deactivate/", {"reason": ""}, follow=True)
    assert "reason is required" in refused.content.decode()
    assert User.objects.get(pk=basic_user.pk).is_active

    client.post(f"/admin-users/{basic_user.pk}/deactivate/", {"reason": "Contract ended"})
    assert not User.objects.get(pk=basic_user.pk).is_active
    assert AuditEvent.objects.get(action="deactivate").reason == "Contract ended"


# --- Django admin -------------------------------------------------------------------------------------


@pytest.fixture
def superuser(make_user):
    return make_user("Admin", username="root", is_staff=True, is_superuser=True)


def _user_form(user, **changes):
    data = {
        "username": user.username,
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role_id,
        "department": user.department,
        "office_location": user.office_location,
        "is_active": "on",
        "permission_overrides-TOTAL_FORMS": "0",
        "permission_overrides-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_admin_role_change_needs_a_reason_typed_into_the_form(client, superuser, basic_user):
    client.force_login(superuser)
    qa = Role.objects.get(name="QA")
    url = f"/admin/accounts/user/{basic_user.pk}/change/"

    refused = client.post(url, _user_form(basic_user, role=qa.pk))
    assert refused.status_code == 200 and "A reason is required" in refused.content.decode()
    assert User.objects.get(pk=basic_user.pk).role.name == "User"

    no_password = client.post(url, _user_form(basic_user, role=qa.pk, reason="Joined the QA team"), follow=True)
    assert "Your password is required" in no_password.content.decode()
    assert User.objects.get(pk=basic_user.pk).role.name == "User"

    done = client.post(url, _user_form(basic_user, role=qa.pk, reason="Joined the QA team", your_password=PASSWORD))
    assert done.status_code == 302
    assert User.objects.get(pk=basic_user.pk).role.name == "QA"
    assert AuditEvent.objects.get(action="permission_change").reason == "Joined the QA team"


def test_admin_actions_ask_for_the_reason_first(client, superuser, basic_user):
    client.force_login(superuser)
    User.objects.filter(pk=basic_user.pk).update(locked_until=timezone.now() + timedelta(minutes=5))
    action = {"action": "deactivate_accounts", "_selected_action": [basic_user.pk]}

    confirm = client.post("/admin/accounts/user/", action)
    assert confirm.status_code == 200 and 'name="reason"' in confirm.content.decode()
    assert User.objects.get(pk=basic_user.pk).is_active

    client.post("/admin/accounts/user/", {**action, "reason": "Left the site", "apply": "Confirm"})
    assert not User.objects.get(pk=basic_user.pk).is_active
    assert AuditEvent.objects.get(action="deactivate").reason == "Left the site"


def test_admin_role_permissions_need_a_reason(client, superuser):
    client.force_login(superuser)
    role = Role.objects.get(name="Auditor")
    kept = list(role.permissions.values_list("pk", flat=True))[:2]
    url = f"/admin/accounts/role/{role.pk}/change/"

    refused = client.post(url, {"name": role.name, "description": role.description, "permissions": kept})
    assert refused.status_code == 200 and role.permissions.count() > 2

    wrong = {"permissions": kept, "reason": "Least privilege", "your_password": "not-my-password"}
    client.post(url, {"name": role.name, "description": role.description, **wrong})
    assert role.permissions.count() > 2
    assert AuditEvent.objects.filter(action="reauthentication_failed").count() == 1

    right = {"permissions": kept, "reason": "Least privilege", "your_password": PASSWORD}
    client.post(url, {"name": role.name, "description": role.description, **right})
    assert sorted(role.permissions.values_list("pk", flat=True)) == sorted(kept)
    assert AuditEvent.objects.get(action="permission_change", resource_type="role").reason == "Least privilege"


def test_admin_grants_need_a_reason_and_cannot_be_deleted_without_one(client, superuser, basic_user):
    from accounts.models import Permission

    client.force_login(superuser)
    perm = Permission.objects.get(codename="audit.view")
    refused = client.post(
        "/admin/accounts/userpermissionoverride/add/",
        {"user": basic_user.pk, "permission": perm.pk, "effect": "grant", "reason": ""},
    )
    assert refused.status_code == 200 and not UserPermissionOverride.objects.exists()

    client.post(
        "/admin/accounts/userpermissionoverride/add/",
        {"user": basic_user.pk, "permission": perm.pk, "effect": "grant", "reason": "Inspection"},
    )
    override = UserPermissionOverride.objects.get()
    assert override.reason == "Inspection"
    assert client.get(f"/admin/accounts/userpermissionoverride/{override.pk}/delete/").status_code == 403
