"""The database itself refuses to change audit events; the hash chain reveals rows changed anyway."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from audit import immutability, services
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (TRUNCATE, ALTER TABLE ... DISABLE TRIGGER)"
)


@pytest.fixture
def events(qa_manager):
    return [
        services.record(action="create", resource_type="document", resource_id=i, summary=f"event {i}", actor=qa_manager)
        for i in range(1, 5)
    ]


def _raw(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.requirement("21CFR11.10(c)", "ANNEX11.7")
def test_raw_sql_update_of_an_audit_row_fails(events):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw("UPDATE audit_auditevent SET summary = 'rewritten' WHERE id = %s", [events[1].pk])
    assert AuditEvent.objects.get(pk=events[1].pk).summary == "event 2"


@pytest.mark.requirement("21CFR11.10(c)")
def test_raw_sql_delete_of_an_audit_row_fails(events):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == 4


def test_raw_sql_update_of_a_signature_row_fails(qa_manager):
    from accounts.tests.factories import GroupFactory
    from audit import signatures

    signature = signatures.create_signature(signer=qa_manager, record=GroupFactory(), signature_type="review", intent="ok")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw("UPDATE audit_signature SET intent = 'changed' WHERE id = %s", [signature.pk])


@postgres_only
@pytest.mark.postgres
def test_truncate_of_the_audit_table_fails_on_postgres(events):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.count() == 4


@postgres_only
@pytest.mark.postgres
def test_a_row_tampered_with_the_trigger_disabled_breaks_verification_at_that_event(events):
    assert connection.cursor().connection.info.parameter_status("is_superuser") == "on"
    out = io.StringIO()
    call_command("verify_audit_trail", stdout=out)
    assert out.getvalue().splitlines()[0] == "OK: 4 events"
    _raw("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
    try:
        _raw("UPDATE audit_auditevent SET summary = 'nothing happened' WHERE id = %s", [events[2].pk])
    finally:
        _raw("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit_trail")
    assert caught.value.returncode == 1
    assert f"event {events[2].pk} " in str(caught.value)
    assert f"sequence {events[2].sequence}" in str(caught.value)
    # The trigger is back: further changes are refused again.
    with pytest.raises(DatabaseError), transaction.atomic():
        _raw("UPDATE audit_auditevent SET summary = 'again' WHERE id = %s", [events[0].pk])


def test_verify_names_the_first_tampered_event_on_any_database(events):
    with immutability.suspended(connection):
        _raw("UPDATE audit_auditevent SET reason = 'backdated' WHERE id = %s", [events[1].pk])
        _raw("UPDATE audit_auditevent SET summary = 'x' WHERE id = %s", [events[3].pk])
    result = services.verify_chain()
    assert not result.valid
    assert (result.first_broken_event, result.first_broken_sequence, result.events) == (events[1].pk, events[1].sequence, 1)
    assert "altered" in result.problem
    # The triggers are back after suspension.
    with pytest.raises(DatabaseError), transaction.atomic():
        _raw("UPDATE audit_auditevent SET summary = 'again' WHERE id = %s", [events[0].pk])


def test_verify_detects_a_removed_event_and_recomputed_hashes(events):
    with immutability.suspended(connection):
        _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    result = services.verify_chain()
    assert not result.valid and result.first_broken_event == events[2].pk
    assert "missing" in result.problem


def test_verify_detects_events_removed_from_the_end(events):
    with immutability.suspended(connection):
        _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[3].pk])
    result = services.verify_chain()
    assert not result.valid and "removed" in result.problem and result.events == 3


def test_verify_detects_a_rewritten_and_rehashed_event(events):
    """Recomputing the tampered event's own hash does not help: the next event still points at the old one."""
    tampered = AuditEvent.objects.get(pk=events[1].pk)
    tampered.summary = "rewritten"
    new_hash = tampered.compute_hash()
    with immutability.suspended(connection):
        _raw("UPDATE audit_auditevent SET summary = 'rewritten', hash = %s WHERE id = %s", [new_hash, events[1].pk])
    result = services.verify_chain()
    assert not result.valid and result.first_broken_event == events[2].pk
    assert "previous_hash" in result.problem


def _triggers_of(table: str) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [table])
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table])
        return {row[0] for row in cursor.fetchall()}


def test_every_append_only_table_has_its_triggers():
    """Every table declared append-only (the audit trail's, and other apps' AppendOnlyModel subclasses)
    got its triggers from a migration (audit.immutability.AppendOnlyTriggers)."""
    tables = immutability.append_only_tables()
    assert tables[:2] == ["audit_auditevent", "audit_signature"]
    expected = ("no_update_delete", "no_truncate") if connection.vendor == "postgresql" else ("no_update", "no_delete")
    for table in tables:
        assert {f"{table}_{name}" for name in expected} <= _triggers_of(table), table


def test_suspending_lifts_the_triggers_of_every_append_only_table_and_restores_them():
    tables = immutability.append_only_tables()
    before = {table: _triggers_of(table) for table in tables}

    with immutability.suspended(connection):
        if connection.vendor == "sqlite":  # PostgreSQL disables them in place
            assert all(not _triggers_of(table) for table in tables)

    assert {table: _triggers_of(table) for table in tables} == before


@pytest.mark.requirement("ANNEX11.11")
def test_command_prints_ok_with_the_event_count(events):
    out = io.StringIO()
    call_command("verify_audit_trail", stdout=out)
    assert out.getvalue().splitlines() == ["OK: 4 events", "No checkpoint written yet (manage.py audit_checkpoint)."]
