"""A privileged insider (database superuser or table owner) tampering with the trail, triggers disabled:
each scenario is reported by verification, in the API and by the command.

On PostgreSQL (CI) these run as the superuser the test suite connects with, the way a DBA would:
`ALTER TABLE ... DISABLE TRIGGER USER` (immutability.suspended), then plain SQL.
"""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from audit import immutability, keys, services
from audit.canonical import canonical_json, sha256_hex
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _as_the_superuser():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            assert cursor.fetchone()[0] is True  # the scenarios are those of a superuser


def _tamper(*statements):
    with immutability.suspended(connection), connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)


def _record(actor, n):
    return services.record(action="update", resource_type="document", resource_id=n, summary=f"event {n}", actor=actor)


def _reported_broken(client, problem_text: str) -> dict:
    body = client.get("/api/audit/verify").json()
    assert body["valid"] is False, body
    assert problem_text in body["problem"], body["problem"]
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit_trail")
    assert caught.value.returncode == 1 and problem_text in str(caught.value)
    return body


def test_truncating_the_tail_and_the_chain_head_is_reported_against_the_checkpoint(client_for, auditor, qa_manager):
    events = [_record(qa_manager, n) for n in range(1, 5)]
    services.write_checkpoint()  # covers sequence 4; its own event is sequence 5
    events += [_record(qa_manager, n) for n in range(6, 8)]
    assert services.verify_chain().valid

    # Remove everything from sequence 3 on, and the head row that would give it away.
    _tamper(
        ("DELETE FROM audit_auditevent WHERE sequence >= %s", [3]),
        ("DELETE FROM audit_chainhead", []),
    )
    assert AuditEvent.objects.count() == 2

    body = _reported_broken(client_for(auditor), "covers sequence 4 but the chain ends at 2")
    assert body["first_broken_sequence"] == 3 and body["events"] == 2
    assert body["checkpoint"]["sequence"] == 4


@pytest.mark.requirement("21CFR11.10(e)")
def test_a_history_rewritten_and_rehashed_without_the_key_is_reported(client_for, auditor, qa_manager):
    """The insider uses the application's own hashing, but only with a key of their own (they cannot
    read the application's environment): every hash they recompute is unknown to the real key."""
    events = [_record(qa_manager, n) for n in range(1, 6)]
    services.write_checkpoint()

    with override_settings(AUDIT_HMAC_KEY="what-the-insider-would-use-0123456789"):
        previous = events[0].hash
        rows = []
        for event in AuditEvent.objects.filter(sequence__gte=2).order_by("sequence"):
            if event.sequence == 2:
                event.summary, event.reason = "nothing happened", "backdated"
            event.previous_hash, event.key_id = previous, keys.current_key_id()
            event.hash = previous = event.compute_hash()
            rows.append(event)
    _tamper(
        *[
            (
                "UPDATE audit_auditevent SET summary = %s, reason = %s, previous_hash = %s, key_id = %s, hash = %s WHERE id = %s",
                [e.summary, e.reason, e.previous_hash, e.key_id, e.hash, e.pk],
            )
            for e in rows
        ],
        ("UPDATE audit_chainhead SET last_hash = %s", [previous]),
    )

    body = _reported_broken(client_for(auditor), "unknown key")
    assert body["first_broken_event"] == events[1].pk and body["first_broken_sequence"] == 2


def test_a_history_rehashed_as_unkeyed_legacy_events_is_reported(client_for, auditor, qa_manager):
    """Downgrading the whole chain to the legacy (unkeyed) hash: the checkpoint outside the database
    still names the genuine head."""
    [_record(qa_manager, n) for n in range(1, 4)]
    services.write_checkpoint()
    previous, rows = "0" * 64, []
    for event in AuditEvent.objects.order_by("sequence"):
        if event.sequence == 2:
            event.summary = "rewritten"
        event.previous_hash, event.hash_version, event.key_id = previous, 1, ""
        event.hash = previous = sha256_hex(event.previous_hash + canonical_json(event.hashed_content()))
        rows.append(event)
    _tamper(
        *[
            (
                "UPDATE audit_auditevent SET summary = %s, previous_hash = %s, hash_version = 1, key_id = '', hash = %s "
                "WHERE id = %s",
                [e.summary, e.previous_hash, e.hash, e.pk],
            )
            for e in rows
        ],
        ("UPDATE audit_chainhead SET last_hash = %s", [previous]),
    )

    _reported_broken(client_for(auditor), "differs from checkpoint 1")


def test_deleting_the_last_checkpoint_is_reported(client_for, auditor, qa_manager, _audit_checkpoint_dir):
    [_record(qa_manager, n) for n in range(1, 4)]
    services.write_checkpoint()
    _record(qa_manager, 5)
    second = services.write_checkpoint()
    (path,) = _audit_checkpoint_dir.glob("checkpoints-*.jsonl")
    lines = path.read_text().splitlines()
    path.write_text(lines[0] + "\n")  # the newest line removed
    recorded_at = AuditEvent.objects.get(action="checkpoint", new_values__number=2).sequence

    body = _reported_broken(
        client_for(auditor), f"checkpoint {second.number}, recorded in the audit trail at sequence {recorded_at}, is missing"
    )
    assert body["checkpoint"]["number"] == 1

    path.unlink()  # and then every checkpoint
    body = _reported_broken(client_for(auditor), "checkpoint 1, recorded in the audit trail")
    assert len(body["problems"]) == 2


def test_an_altered_checkpoint_line_is_reported(client_for, auditor, qa_manager, _audit_checkpoint_dir):
    [_record(qa_manager, n) for n in range(1, 3)]
    services.write_checkpoint()
    (path,) = _audit_checkpoint_dir.glob("checkpoints-*.jsonl")
    line = json.loads(path.read_text())
    path.write_text(json.dumps({**line, "sequence": 1}) + "\n")

    _reported_broken(client_for(auditor), "is not signed with an audit key")
