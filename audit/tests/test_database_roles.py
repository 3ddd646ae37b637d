"""The application's PostgreSQL role owns nothing: its normal writes work, but it cannot change or remove
audit events and signatures, move the chain head back, or touch the triggers.

Roles are cluster-wide while several test databases share the server, so their names come from the
test database's name, and the test removes them again.
"""

import re
import secrets
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from accounts import services as account_services
from accounts.tests.factories import DEFAULT_PASSWORD
from audit import services, signatures
from audit.immutability import append_only_tables
from audit.management.commands.setup_database_roles import role_setup_sql
from audit.models import AuditEvent, Signature

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles are a PostgreSQL feature"),
]


def _role_names() -> tuple[str, str]:
    base = re.sub(r"[^a-z0-9_]", "_", connection.settings_dict["NAME"].lower())[:50]
    return f"{base}_owner", f"{base}_app"


def _execute(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@contextmanager
def connected_as(role: str, password: str):
    """The application's connection, re-opened as `role` (then back as the test suite's superuser)."""
    settings_dict = connection.settings_dict
    original = settings_dict["USER"], settings_dict["PASSWORD"]
    connection.close()
    settings_dict["USER"], settings_dict["PASSWORD"] = role, password
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)")
            assert cursor.fetchone() == (role, False)
        yield
    finally:
        connection.close()
        settings_dict["USER"], settings_dict["PASSWORD"] = original


@pytest.fixture
def roles():
    owner, app = _role_names()
    password = secrets.token_urlsafe(16)
    call_command("setup_database_roles", owner=owner, app_role=app, app_password=password, stdout=None)
    yield owner, app, password
    connection.close()
    superuser = connection.settings_dict["USER"] or "postgres"
    for role in (owner, app):
        _execute(f'REASSIGN OWNED BY "{role}" TO "{superuser}"')
        _execute(f'DROP OWNED BY "{role}"')
        _execute(f'DROP ROLE "{role}"')


def _refused(sql: str, message: str):
    with pytest.raises(DatabaseError, match=message), transaction.atomic():
        _execute(sql)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_app_role_writes_normally_but_cannot_alter_the_audit_trail(roles, make_user):
    owner, app, password = roles
    admin = make_user("Admin", username="roles-admin", full_name="Ada Admin")
    signer = make_user("QA Manager", username="roles-signer", full_name="Sam Signer")

    with connected_as(app, password):
        # The application's own use cases: an audited change, a signature (re-authentication updates the user).
        group = account_services.create_group(actor=admin, name="Sterile filling", description="Line 1")
        signature = signatures.sign(
            signer=signer, password=DEFAULT_PASSWORD, record=group, signature_type="review", intent="Members checked"
        )
        account_services.update_group(actor=admin, group=group, changes={"description": "Line 2"}, reason="moved")
        assert AuditEvent.objects.filter(resource_type="group", resource_id=group.pk).count() == 3
        assert signatures.verify(Signature.objects.get(pk=signature.pk))["signature_hash_matches"]
        assert services.verify_chain().valid

        for table in append_only_tables():  # the audit trail's, and those other apps declare
            _refused(f"UPDATE {table} SET id = id", "permission denied")
            _refused(f"DELETE FROM {table}", "permission denied")
            _refused(f"TRUNCATE {table}", "permission denied")
            _refused(f"ALTER TABLE {table} DISABLE TRIGGER USER", "must be owner")
            _refused(f"DROP TRIGGER {table}_no_update_delete ON {table}", "must be owner")
            _refused(f"ALTER TRIGGER {table}_no_truncate ON {table} RENAME TO gone", "must be owner")
            _refused(
                f"CREATE TRIGGER sneaky BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION audit_reject_change()",
                "permission denied|must be owner",
            )
            _refused(f"DROP TABLE {table}", "must be owner")
        _refused("DELETE FROM audit_chainhead", "permission denied")
        _refused("TRUNCATE audit_chainhead", "permission denied")
        _refused("UPDATE audit_chainhead SET length = 1", "audit_chainhead")
        _refused("ALTER TABLE audit_chainhead DISABLE TRIGGER USER", "must be owner")
        _refused("CREATE TABLE audit_shadow (id int)", "permission denied")
        _refused(f"ALTER ROLE {app} SUPERUSER", "permission denied|must be superuser")

    # Nothing the app role tried changed the trail.
    assert services.verify_chain().valid
    assert AuditEvent.objects.filter(resource_type="group", resource_id=group.pk).count() == 3


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migrations_run_as_the_owner_named_by_database_owner_url(roles, settings):
    """The application role cannot drop or create triggers; `migrate` with DATABASE_OWNER_URL can."""
    from io import StringIO

    owner, app, password = roles
    settings.DATABASE_OWNER = {**settings.DATABASES["default"], "USER": owner, "PASSWORD": ""}
    with connected_as(app, password):
        out = StringIO()
        call_command("migrate", "audit", "0005", stdout=out)  # drops the chain head's guard
        call_command("migrate", stdout=out)  # installs it again (and what depends on it)
        assert f"Migrating as the owner '{owner}'" in out.getvalue()
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone() == (app,)  # back to the application's role afterwards
        _refused("DELETE FROM audit_chainhead", "permission denied")
    with pytest.raises(DatabaseError, match="audit_chainhead"), transaction.atomic():
        _execute("TRUNCATE audit_chainhead")  # the guard is back (even for the superuser)


@pytest.mark.django_db
def test_print_sql_shows_the_grants_for_review():
    from io import StringIO

    out = StringIO()
    call_command("setup_database_roles", owner="qms_owner", app_role="qms_app", print_sql=True, stdout=out)
    sql = out.getvalue()
    for table in append_only_tables():
        assert f'REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM "qms_app"' in sql
    assert 'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "qms_app";' in sql
    assert not re.search(r"GRANT [^;]*(TRUNCATE|TRIGGER|ALL PRIVILEGES)", sql)  # never granted to the application


def test_role_names_are_checked():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not a valid role name"):
        role_setup_sql(database="qms", owner='x"; DROP TABLE y; --', app_role="qms_app")
