"""Account administration cannot lock itself out, sensitive changes re-authenticate, reasons say
why, every free-text field has a maximum, and the services check their own permissions."""

import pytest

from accounts import services
from accounts.models import Permission, Role, User, UserPermissionOverride
from audit.models import AuditEvent
from conftest import PASSWORD
from qms.errors import Conflict, PermissionDenied

pytestmark = pytest.mark.django_db

FIVE_MB = "x" * (5 * 1024 * 1024)


def refused_as_last_admin(response):
    assert response.status_code == 409, response.content[:300]
    assert response.json()["error_code"] == "LAST_ADMIN"


# --- the last administrator ------------------------------------------------------------------------


@pytest.mark.requirement("QMS-ACC-ADMIN")
def test_the_last_admin_cannot_demote_themself(admin_user, client_for):
    response = client_for(admin_user).put(
        f"/api/users/{admin_user.pk}/role", {"role": "QA", "reason": "Handing over the system", "password": PASSWORD}
    )

    refused_as_last_admin(response)
    assert User.objects.get(pk=admin_user.pk).role.name == "Admin"
    assert not AuditEvent.objects.filter(action="permission_change").exists()


@pytest.mark.requirement("QMS-ACC-ADMIN")
def test_the_admin_role_cannot_be_emptied(admin_user, client_for):
    role = Role.objects.get(name="Admin")
    before = role.permissions.count()

    response = client_for(admin_user).put(
        f"/api/roles/{role.pk}/permissions", {"permissions": [], "reason": "Reorganising the roles", "password": PASSWORD}
    )

    refused_as_last_admin(response)
    assert role.permissions.count() == before


@pytest.mark.parametrize("codename", ["users.manage", "roles.manage"])
def test_the_last_admin_cannot_lose_an_administration_permission_by_revocation(admin_user, client_for, codename):
    response = client_for(admin_user).post(
        f"/api/users/{admin_user.pk}/permissions",
        {"codename": codename, "effect": "revoke", "reason": "Least privilege review"},
    )

    refused_as_last_admin(response)
    assert not UserPermissionOverride.objects.exists()


def test_removing_the_grant_that_makes_the_last_admin_is_refused(make_user, client_for):
    manager = make_user("QA Manager", username="boss")
    for codename in ("users.manage", "roles.manage"):
        services.set_permission_override(
            actor=None, user=manager, codename=codename, effect="grant", reason="Stand-in administrator"
        )

    response = client_for(manager).delete(f"/api/users/{manager.pk}/permissions/roles.manage?reason=No+longer+needed")

    refused_as_last_admin(response)
    assert UserPermissionOverride.objects.filter(user=manager).count() == 2


def test_deactivating_or_demoting_the_last_admin_is_refused_for_the_system_too(admin_user):
    with pytest.raises(Conflict) as deactivation:
        services.deactivate_user(actor=None, user=admin_user, reason="Scheduled account cleanup")
    with pytest.raises(Conflict) as demotion:
        services.update_user(actor=None, user=admin_user, changes={"role": "User"}, reason="Scheduled role cleanup")

    assert deactivation.value.error_code == demotion.value.error_code == "LAST_ADMIN"
    admin_user.refresh_from_db()
    assert admin_user.is_active and admin_user.role.name == "Admin"


def test_with_another_active_admin_the_change_goes_through(admin_user, make_user, client_for):
    other = make_user("Admin", username="admin2")

    response = client_for(admin_user).put(
        f"/api/users/{other.pk}/role", {"role": "QA", "reason": "Moved to the QA team", "password": PASSWORD}
    )

    assert response.status_code == 200
    assert response.json()["role"] == "QA"
    # Now admin1 is the last one.
    refused_as_last_admin(
        client_for(admin_user).put(
            f"/api/users/{admin_user.pk}/role", {"role": "QA", "reason": "Handing over the system", "password": PASSWORD}
        )
    )


def test_an_active_superuser_counts_as_an_administrator(admin_user, make_user, client_for):
    make_user("User", username="root", is_superuser=True)

    response = client_for(admin_user).put(
        f"/api/users/{admin_user.pk}/role", {"role": "QA", "reason": "Handing over the system", "password": PASSWORD}
    )

    assert response.status_code == 200


def test_an_inactive_admin_does_not_count(admin_user, make_user, client_for):
    make_user("Admin", username="gone", is_active=False)

    refused_as_last_admin(
        client_for(admin_user).put(
            f"/api/users/{admin_user.pk}/role", {"role": "QA", "reason": "Handing over the system", "password": PASSWORD}
        )
    )


# --- re-authentication -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, body",
    [
        ("/api/users/{user}/role", {"role": "QA", "reason": "Joined the QA team"}),
        ("/api/users/{user}", {"role": "QA", "reason": "Joined the QA team"}),
        ("/api/roles/{role}/permissions", {"permissions": ["documents.view"], "reason": "Least privilege review"}),
    ],
)
def test_role_changes_need_the_actors_password(admin_user, basic_user, client_for, path, body):
    client = client_for(admin_user)
    role = Role.objects.get(name="User")
    url = path.format(user=basic_user.pk, role=role.pk)
    method = client.patch if path == "/api/users/{user}" else client.put
    permissions_before = role.permissions.count()

    missing = method(url, body)
    wrong = method(url, {**body, "password": "not-my-password"})

    assert missing.status_code == 422
    assert ["body", "password"] in [item["loc"] for item in missing.json()["detail"]]
    assert wrong.status_code == 401
    assert wrong.json()["error_code"] == "REAUTHENTICATION_FAILED"
    admin_user.refresh_from_db()
    assert admin_user.failed_login_count == 1  # counts toward lockout
    assert AuditEvent.objects.filter(action="reauthentication_failed", resource_id=admin_user.pk).count() == 1
    assert User.objects.get(pk=basic_user.pk).role.name == "User"
    assert role.permissions.count() == permissions_before

    done = method(url, {**body, "password": PASSWORD})
    assert done.status_code == 200


def test_wrong_passwords_on_role_changes_lock_the_account(admin_user, basic_user, client_for, settings):
    settings.LOGIN_MAX_FAILED_ATTEMPTS = 3
    client = client_for(admin_user)
    body = {"role": "QA", "reason": "Joined the QA team", "password": "guess"}

    codes = [client.put(f"/api/users/{basic_user.pk}/role", body).json()["error_code"] for _ in range(4)]

    assert codes == ["REAUTHENTICATION_FAILED", "REAUTHENTICATION_FAILED", "ACCOUNT_LOCKED", "ACCOUNT_LOCKED"]
    assert User.objects.get(pk=admin_user.pk).is_locked()


# --- reasons ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["0", "x", "because"])
def test_a_reason_must_say_something(admin_user, basic_user, client_for, reason):
    response = client_for(admin_user).delete(f"/api/users/{basic_user.pk}", {"reason": reason})

    assert response.status_code == 422
    [item] = response.json()["detail"]
    assert item["loc"] == ["body", "reason"]
    assert "at least 10 characters" in item["msg"]
    assert User.objects.get(pk=basic_user.pk).is_active


def test_the_minimum_reason_length_is_a_setting(admin_user, basic_user, client_for, settings):
    settings.REASON_MIN_LENGTH = 3

    assert client_for(admin_user).delete(f"/api/users/{basic_user.pk}", {"reason": "Left"}).status_code == 204


# --- text maximums -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, body, field",
    [
        ("post", "/api/groups/", {"name": "Big", "description": FIVE_MB}, "description"),
        ("patch", "/api/users/{me}", {"full_name": "x" * 201}, "full_name"),
        ("post", "/api/users/{me}/unlock", {"reason": "x" * 2001}, "reason"),
        ("post", "/api/auth/change-password", {"current_password": PASSWORD, "new_password": "A1" * 65}, "new_password"),
        ("post", "/api/signatures/", {"document_id": 1, "signature_type": "review", "intent": FIVE_MB}, "intent"),
        (
            "post",
            "/api/workflow-templates/",
            {"name": "W", "description": FIVE_MB, "states": [], "transitions": []},
            "description",
        ),
        ("post", "/api/document-types/", {"name": "T", "code": "T", "description": FIVE_MB}, "description"),
        ("post", "/api/documents/upload", {"title": "T", "description": FIVE_MB}, "description"),
        ("post", "/api/templates/use", {"template_id": 1, "description": FIVE_MB}, "description"),
    ],
)
def test_free_text_over_its_maximum_is_a_422(admin_user, client_for, method, path, body, field):
    data_format = "multipart" if path.endswith("/upload") else "json"

    response = getattr(client_for(admin_user), method)(path.format(me=admin_user.pk), body, format=data_format)

    assert response.status_code == 422, response.content[:300]
    items = response.json()["detail"]
    assert ["body", field] in [item["loc"] for item in items]
    assert any("no more than" in item["msg"] for item in items if item["loc"] == ["body", field])


def test_the_text_maximums_are_in_the_schema(client):
    schema = client.get("/openapi.json").json()["components"]["schemas"]

    assert schema["GroupWriteRequest"]["properties"]["description"]["maxLength"] == 10_000
    assert schema["SignatureCreateRequest"]["properties"]["intent"]["maxLength"] == 2000
    assert schema["MetadataUpdateRequest"]["properties"]["description"]["maxLength"] == 10_000


# --- permissions in the services ---------------------------------------------------------------------


SERVICE_CALLS = {
    "create_user": lambda actor, target: services.create_user(
        actor=actor, username="new", email="new@example.com", password="Strong-Pass-51"
    ),
    "update_user": lambda actor, target: services.update_user(actor=actor, user=target, changes={"full_name": "Renamed"}),
    "deactivate_user": lambda actor, target: services.deactivate_user(actor=actor, user=target, reason="Left the company"),
    "set_user_role": lambda actor, target: services.set_user_role(
        actor=actor, user=target, role="QA", reason="Joined the QA team", password=PASSWORD
    ),
    "unlock_user": lambda actor, target: services.unlock_user(actor=actor, user=target, reason="Verified by phone"),
    "set_permission_override": lambda actor, target: services.set_permission_override(
        actor=actor, user=target, codename="audit.view", effect="grant", reason="Inspection support"
    ),
    "create_role": lambda actor, target: services.create_role(actor=actor, name="Reviewer"),
    "update_role": lambda actor, target: services.update_role(actor=actor, role=target.role, changes={"description": "d"}),
    "set_role_permissions": lambda actor, target: services.set_role_permissions(
        actor=actor, role=target.role, codenames=["documents.view"], reason="Least privilege review", password=PASSWORD
    ),
    "create_group": lambda actor, target: services.create_group(actor=actor, name="Sneaky"),
}


@pytest.mark.parametrize("name", sorted(SERVICE_CALLS))
@pytest.mark.requirement("21CFR11.10(g)", "QMS-ACC-RBAC")
def test_each_service_checks_its_own_permission(name, auditor, basic_user):
    with pytest.raises(PermissionDenied):
        SERVICE_CALLS[name](auditor, basic_user)


@pytest.mark.parametrize("name", sorted(SERVICE_CALLS))
def test_the_system_may_call_every_service(name, admin_user, basic_user):
    SERVICE_CALLS[name](None, basic_user)


def test_the_catalogue_collects_each_apps_permissions():
    from accounts import catalog
    from audit import permissions as audit_permissions
    from documents import permissions as documents_permissions

    assert set(audit_permissions.PERMISSIONS) <= set(catalog.PERMISSIONS)
    assert set(documents_permissions.PERMISSIONS) <= set(catalog.PERMISSIONS)
    assert set(catalog.PERMISSIONS) == set(Permission.objects.values_list("codename", flat=True))
