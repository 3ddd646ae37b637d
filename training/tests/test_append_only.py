"""Completions and their revocations are evidence: like the audit trail, the database itself refuses
to change or remove them (triggers on PostgreSQL and SQLite), and the application's PostgreSQL role
may only insert and read them. Only the table owner can get past the triggers, and the test-database
flush does (audit.immutability.allow_test_flush)."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.immutability import append_only_tables
from audit.tests.test_database_roles import connected_as, roles  # noqa: F401 - the app-role fixture
from conftest import PASSWORD
from training import services
from training.models import Completion, CompletionRevocation

from .factories import AssignmentFactory, ProgramFactory

TABLES = ["training_completion", "training_completionrevocation"]

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (TRUNCATE, database roles)")


def _execute(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _refused(sql: str, message: str = "append-only", params=None):
    with pytest.raises(DatabaseError, match=message), transaction.atomic():
        _execute(sql, params)


def _revoked_completion(trainee, manager) -> Completion:
    program = ProgramFactory(title="GMP basics")
    AssignmentFactory(user=trainee, program=program)
    services.complete_training(actor=trainee, program=program, password=PASSWORD)
    completion = Completion.objects.get(user=trainee)
    services.revoke_completion(actor=manager, completion=completion, reason="Signed for the wrong session")
    return completion


def test_completions_and_revocations_are_declared_append_only():
    assert set(TABLES) <= set(append_only_tables())


@pytest.mark.django_db
def test_the_database_refuses_to_change_or_delete_a_completion_or_its_revocation(basic_user, admin_user):
    completion = _revoked_completion(basic_user, admin_user)

    _refused("UPDATE training_completion SET comment = 'edited' WHERE id = %s", params=[completion.pk])
    _refused("DELETE FROM training_completion WHERE id = %s", params=[completion.pk])
    _refused("UPDATE training_completionrevocation SET reason = 'no reason' WHERE completion_id = %s", params=[completion.pk])
    _refused("DELETE FROM training_completionrevocation")

    assert Completion.objects.get(pk=completion.pk).comment == ""
    assert CompletionRevocation.objects.get(completion=completion).reason == "Signed for the wrong session"


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db
def test_truncating_them_is_refused_on_postgres(basic_user, admin_user):
    _revoked_completion(basic_user, admin_user)
    _execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no deferred foreign-key check

    for table in TABLES:
        _refused(f"TRUNCATE {table} CASCADE")
    assert Completion.objects.count() == 1 and CompletionRevocation.objects.count() == 1


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_application_role_records_completions_but_cannot_change_them(roles, make_user):  # noqa: F811
    _, app, password = roles
    trainee = make_user("User", username="role-trainee", full_name="Tina Trainee")
    manager = make_user("QA Manager", username="role-manager", full_name="Manny Manager")

    with connected_as(app, password):
        completion = _revoked_completion(trainee, manager)  # insert completion, signature, revocation
        for table in TABLES:
            _refused(f"UPDATE {table} SET id = id", "permission denied")
            _refused(f"DELETE FROM {table}", "permission denied")
            _refused(f"TRUNCATE {table}", "permission denied")
            _refused(f"ALTER TABLE {table} DISABLE TRIGGER USER", "must be owner")

    assert Completion.objects.filter(pk=completion.pk).exists()
    assert CompletionRevocation.objects.filter(completion=completion).exists()
