"""The API keeps the promises of its own OpenAPI schema (schemathesis over /openapi.json).

Every operation in the schema is called with generated requests, authenticated as an
administrator, and each response is checked: no server error, a status code and content type the
schema documents for that operation, and a body that matches the documented schema. New endpoints
are covered as soon as they are in the schema.

Destructive administration (a role's permissions, a user's own role, password, permissions and
activity, signing out) runs as a throwaway administrator on itself and a throwaway role, restored
before each call, so the run never locks out the administrator the other operations use and every
call of those operations gets past authentication. Each operation is its own test, in its own
rolled-back transaction.

SCHEMATHESIS_EXAMPLES (default 15) sets the examples per operation.
"""

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import checks as openapi_checks

from conftest import PASSWORD

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "15"))

CHECKS = [
    not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]

# (method, path) of the operations that could lock the administrator out: they act on the
# throwaway principal (its own user id in {id}, the throwaway role in /api/roles/{id}/...).
ON_THROWAWAY_PRINCIPAL = {
    ("POST", "/api/auth/logout"),
    ("POST", "/api/auth/change-password"),
    ("PUT", "/api/roles/{id}/permissions"),
    ("PUT", "/api/users/{id}/role"),
    ("PATCH", "/api/users/{id}"),
    ("DELETE", "/api/users/{id}"),
    ("POST", "/api/users/{id}/permissions"),
    ("DELETE", "/api/users/{id}/permissions/{codename}"),
}


schema = schemathesis.openapi.from_wsgi("/openapi.json", get_wsgi_application())


class Principals:
    """The administrator most operations run as, and a throwaway administrator with its own role."""

    def __init__(self, make_user):
        from accounts.models import Role

        self.admin = make_user("Admin", username="fuzz-admin")
        self.role = Role.objects.create(name="Throwaway administrators", description="schemathesis")
        self.throwaway = make_user(None, username="fuzz-throwaway")

    def prepare(self, case) -> dict:
        """Headers for `case`, after pointing a destructive operation at the restored throwaway principal."""
        from accounts.tokens import issue_tokens

        user = self.admin
        if (case.method.upper(), case.path) in ON_THROWAWAY_PRINCIPAL:
            user = self._restore_throwaway()
            if case.path_parameters and "id" in case.path_parameters:
                case.path_parameters["id"] = self.role.pk if case.path.startswith("/api/roles/") else user.pk
            if isinstance(case.body, dict):
                # Re-authentication succeeds, so the change itself is exercised.
                for field in ("password", "current_password"):
                    if field in case.body:
                        case.body[field] = PASSWORD
        return {"Authorization": f"Bearer {issue_tokens(user).access_token}"}

    def _restore_throwaway(self):
        from accounts.models import Permission, User, UserPermissionOverride

        self.role.permissions.set(Permission.objects.all())
        UserPermissionOverride.objects.filter(user=self.throwaway).delete()
        user = User.objects.get(pk=self.throwaway.pk)
        user.set_password(PASSWORD)
        user.role, user.is_active, user.failed_login_count, user.locked_until = self.role, True, 0, None
        user.save()
        return user


@pytest.fixture
def principals(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Principals(make_user)


@pytest.fixture(autouse=True)
def _ai_assistant_on(fake_openai):
    """The AI endpoints run against the local OpenAI-compatible test server (without a provider they
    answer 503 AI_DISABLED by design, which this test would count as a server error)."""


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes database connections when a request ends; Django's test client
    disconnects that (the test's transaction lives on the connection), and so does this test."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
@pytest.mark.requirement("QMS-API-CONVENTIONS")
def test_every_operation_keeps_the_schemas_promises(case, principals):
    headers = principals.prepare(case)

    case.call_and_validate(headers=headers, checks=CHECKS)
