"""manage.py seed_demo: one user per role, idempotent, refused when DEBUG is off."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.management.commands.seed_demo import DEMO_USERS
from accounts.models import Group, User

pytestmark = pytest.mark.django_db


def seed(**options):
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_seed_creates_one_user_per_role_and_prints_the_logins(settings):
    settings.DEBUG = True

    output = seed()

    assert sorted(User.objects.values_list("role__name", flat=True)) == ["Admin", "Auditor", "QA", "QA Manager", "User"]
    for username, _, role, _, _ in DEMO_USERS:
        assert username in output
        assert role in output
    assert "password" in output
    assert set(Group.objects.values_list("name", flat=True)) == {"Quality Assurance", "Production"}


def test_seed_is_idempotent(settings):
    settings.DEBUG = True
    seed()
    user = User.objects.get(username="user@example.com")
    user.full_name = "Changed Locally"
    user.save()

    output = seed()

    assert "0 new users" in output
    assert User.objects.count() == len(DEMO_USERS)
    assert Group.objects.count() == 2
    assert User.objects.get(username="user@example.com").full_name == "Changed Locally"
    assert Group.objects.get(name="Quality Assurance").members.count() == 2


def test_seed_refuses_when_debug_is_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG is off"):
        seed()
    assert not User.objects.exists()


def test_the_contract_login_example_works_after_seeding(api_client, settings):
    """Seed 000, "Login and List Documents", step 1, verbatim."""
    settings.DEBUG = True
    seed(quiet=True)

    response = api_client.post(
        "/api/auth/token", data='{"username": "user@example.com", "password": "password"}', content_type="application/json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["user"]["username"] == "user@example.com"
    assert body["user"]["email"] == "user@example.com"
    assert body["user"]["role"] == "User"
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert api_client.get("/api/auth/me").json()["groups"] == [
        {"id": Group.objects.get(name="Production").pk, "name": "Production"}
    ]


def test_every_demo_user_can_sign_in(api_client, settings):
    settings.DEBUG = True
    seed(quiet=True)

    for username, _, role, _, _ in DEMO_USERS:
        response = api_client.post("/api/auth/token", {"username": username, "password": "password"}, format="json")
        assert response.status_code == 200, username
        assert response.json()["user"]["role"] == role


def test_seeding_is_recorded_in_the_audit_trail_once(settings):
    from audit.models import AuditEvent

    settings.DEBUG = True
    seed(quiet=True)
    seed(quiet=True)

    created = AuditEvent.objects.filter(action="create", resource_type="user", actor_username="seed_demo")
    assert sorted(created.values_list("new_values__username", flat=True)) == sorted(u[0] for u in DEMO_USERS)
    assert AuditEvent.objects.filter(resource_type="group", actor_username="seed_demo").count() == 2
