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
    for url in ["/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{basic_user.pk}/change/",
                "/admin/accounts/role/", "/admin/accounts/group/", f"/admin/accounts/group/{group.pk}/change/",
                "/admin/audit/auditevent/"]:
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


@pytest.mark.parametrize("call", [
    lambda actor, target: services.deactivate_user(actor=actor, user=target, reason="r"),
    lambda actor, target: services.unlock_user(actor=actor, user=target, reason="r"),
    lambda actor, target: services.set_permission_override(actor=actor, user=target, codename="audit.view",
                                                           effect="grant", reason="r"),
    lambda actor, target: services.set_role_permissions(actor=actor, role=target.role, codenames=[], reason="r"),
    lambda actor, target: services.create_group(actor=actor, name="Sneaky"),
])
def test_services_refuse_actors_without_the_permission_whoever_calls_them(auditor, basic_user, call):
    with pytest.raises(PermissionDenied):
        call(auditor, basic_user)
    basic_user.refresh_from_db()
    assert basic_user.is_active and User.objects.filter(pk=basic_user.pk, permission_overrides__isnull=True).exists()
