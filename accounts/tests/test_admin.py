"""Django admin: administrators change accounts through the services; read-only users (Auditor) only look."""

import pytest

from accounts import services
from accounts.models import Role, User
from accounts.tests.factories import GroupFactory
from qms.errors import PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_auditor(make_user):
    return make_user("Auditor", username="inspector", is_staff=True)


def test_an_auditor_sees_the_admin_read_only(client, staff_auditor, basic_user):
    group = GroupFactory()
    client.force_login(staff_auditor)
    for url in [
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{basic_user.pk}/change/",
        "/admin/accounts/role/",
        "/admin/accounts/group/",
        f"/admin/accounts/group/{group.pk}/change/",
        "/admin/audit/auditevent/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'name="_save"' not in response.content.decode(), url
    listing = client.get("/admin/accounts/user/").content.decode()
    assert "deactivate_accounts" not in listing and "unlock_accounts" not in listing
    assert client.get("/admin/accounts/user/add/").status_code == 403
    assert client.get("/admin/accounts/group/add/").status_code == 403


def test_an_auditor_cannot_run_admin_actions_or_post_changes(client, staff_auditor, basic_user):
    client.force_login(staff_auditor)
    client.post("/admin/accounts/user/", {"action": "deactivate_accounts", "_selected_action": [basic_user.pk]})
    client.post(f"/admin/accounts/user/{basic_user.pk}/change/", {"username": "renamed", "is_active": ""})
    role = Role.objects.get(name="User")
    client.post(f"/admin/accounts/role/{role.pk}/change/", {"name": "User", "permissions": []})
    basic_user.refresh_from_db()
    assert basic_user.is_active and basic_user.username == "user1"
    assert role.permissions.exists()


@pytest.mark.parametrize(
    "call",
    [
        lambda actor, target: services.deactivate_user(actor=actor, user=target, reason="Access review finding"),
        lambda actor, target: services.unlock_user(actor=actor, user=target, reason="Access review finding"),
        lambda actor, target: services.set_permission_override(
            actor=actor, user=target, codename="audit.view", effect="grant", reason="Access review finding"
        ),
        lambda actor, target: services.set_role_permissions(
            actor=actor, role=target.role, codenames=[], reason="Access review finding"
        ),
        lambda actor, target: services.create_group(actor=actor, name="Sneaky"),
    ],
)
def test_services_refuse_actors_without_the_permission_whoever_calls_them(auditor, basic_user, call):
    with pytest.raises(PermissionDenied):
        call(auditor, basic_user)
    basic_user.refresh_from_db()
    assert basic_user.is_active and User.objects.filter(pk=basic_user.pk, permission_overrides__isnull=True).exists()


# --- every admin change is audited, and a refused change is not reported as saved ------------------------


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


def test_granting_admin_site_access_is_an_audited_permission_change(client, superuser, basic_user):
    from audit.models import AuditEvent

    client.force_login(superuser)
    url = f"/admin/accounts/user/{basic_user.pk}/change/"
    refused = client.post(url, _user_form(basic_user, is_staff="on"))
    assert refused.status_code == 200 and not User.objects.get(pk=basic_user.pk).is_staff

    client.post(url, _user_form(basic_user, is_staff="on", reason="Runs the admin site during the audit"))

    assert User.objects.get(pk=basic_user.pk).is_staff
    event = AuditEvent.objects.get(action="permission_change", resource_type="user", resource_id=basic_user.pk)
    assert (event.old_values, event.new_values) == ({"is_staff": False}, {"is_staff": True})
    assert event.actor_id == superuser.pk


def test_users_created_in_the_admin_are_audited_with_their_staff_flag(client, superuser):
    from audit.models import AuditEvent

    client.force_login(superuser)
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "opsadmin",
            "email": "ops@example.com",
            "full_name": "Ops Admin",
            "password1": "Blue-Kettle-2024",
            "is_staff": "on",
            "permission_overrides-TOTAL_FORMS": "0",
            "permission_overrides-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="opsadmin")
    assert user.is_staff
    event = AuditEvent.objects.get(action="create", resource_type="user", resource_id=user.pk)
    assert event.new_values["is_staff"] is True and event.actor_id == superuser.pk


def test_roles_created_and_renamed_in_the_admin_are_audited(client, superuser):
    from accounts.models import Permission
    from audit.models import AuditEvent

    client.force_login(superuser)
    view = Permission.objects.get(codename="documents.view")
    client.post("/admin/accounts/role/add/", {"name": "Contractor", "description": "External", "permissions": [view.pk]})
    role = Role.objects.get(name="Contractor")
    assert list(role.permissions.values_list("codename", flat=True)) == ["documents.view"]
    created = AuditEvent.objects.get(action="create", resource_type="role", resource_id=role.pk)
    assert created.new_values["permissions"] == ["documents.view"]

    client.post(
        f"/admin/accounts/role/{role.pk}/change/",
        {"name": "Contract worker", "description": "External", "permissions": [view.pk]},
    )
    role.refresh_from_db()
    assert role.name == "Contract worker"
    renamed = AuditEvent.objects.get(action="update", resource_type="role", resource_id=role.pk)
    assert (renamed.old_values, renamed.new_values) == ({"name": "Contractor"}, {"name": "Contract worker"})


def test_a_refused_admin_change_is_rolled_back_and_reported(client, superuser, basic_user, qa_user):
    client.force_login(superuser)

    response = client.post(
        f"/admin/accounts/user/{basic_user.pk}/change/", _user_form(basic_user, email=qa_user.email, department="QC"), follow=True
    )

    page = response.content.decode()
    assert "already exists" in page and "was changed successfully" not in page
    basic_user.refresh_from_db()
    assert basic_user.department == "" and basic_user.email == "user1@example.com"


def test_createsuperuser_is_audited(db):
    from django.core.management import call_command

    from audit.models import AuditEvent

    call_command("createsuperuser", "--noinput", "--username", "ops", "--email", "ops@example.com", verbosity=0)

    user = User.objects.get(username="ops")
    assert user.is_superuser and user.role.name == "Admin"
    event = AuditEvent.objects.get(action="create", resource_type="user", resource_id=user.pk)
    assert event.actor_username == "createsuperuser" and event.new_values["is_superuser"] is True
