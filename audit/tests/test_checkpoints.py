"""Signed checkpoints of the chain outside the database: the command, the beat job, what verify reports."""

import io
import json

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit import checkpoints, immutability, keys, services
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(qa_manager):
    return [
        services.record(action="update", resource_type="document", resource_id=i, summary=f"event {i}", actor=qa_manager)
        for i in range(1, 4)
    ]


def stored_lines(directory) -> list[dict]:
    return [json.loads(line) for path in sorted(directory.glob("checkpoints-*.jsonl")) for line in path.read_text().splitlines()]


@pytest.mark.requirement("21CFR11.10(e)")
def test_the_command_appends_a_signed_checkpoint_and_records_it_in_the_trail(events, _audit_checkpoint_dir):
    out = io.StringIO()
    call_command("audit_checkpoint", stdout=out)

    (line,) = stored_lines(_audit_checkpoint_dir)
    assert (line["number"], line["sequence"], line["head_hash"]) == (1, 3, events[-1].hash)
    assert line["key_id"] == keys.current_key_id() and line["previous_signature"] == ""
    assert checkpoints.Checkpoint(**line).signature_valid()
    assert "Checkpoint 1: sequence 3" in out.getvalue()
    event = AuditEvent.objects.get(action="checkpoint")
    assert event.sequence == 4 and event.actor_username == "system"
    assert event.new_values["signature"] == line["signature"] and event.new_values["number"] == 1

    call_command("audit_checkpoint", stdout=io.StringIO())
    first, second = stored_lines(_audit_checkpoint_dir)
    assert (second["number"], second["sequence"], second["previous_signature"]) == (2, 4, first["signature"])

    out = io.StringIO()
    call_command("verify_audit_trail", stdout=out)
    assert out.getvalue().splitlines() == ["OK: 5 events", f"Latest checkpoint 2: sequence 4 at {second['created_at']}"]


@pytest.mark.requirement("ANNEX11.11")
def test_the_beat_job_writes_a_checkpoint(events, _audit_checkpoint_dir):
    from audit.tasks import write_checkpoint

    assert settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]["task"] == "audit.tasks.write_checkpoint"
    assert write_checkpoint.delay().get() == 1
    assert [line["sequence"] for line in stored_lines(_audit_checkpoint_dir)] == [3]


def test_no_checkpoint_vouches_for_a_chain_that_does_not_verify(events, _audit_checkpoint_dir):
    with immutability.suspended(connection), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET summary = 'rewritten' WHERE id = %s", [events[1].pk])
    with pytest.raises(CommandError, match="does not verify") as caught:
        call_command("audit_checkpoint")
    assert caught.value.returncode == 1
    assert stored_lines(_audit_checkpoint_dir) == []
    assert not AuditEvent.objects.filter(action="checkpoint").exists()


def test_a_checkpoint_needs_audit_verify_when_a_user_asks_for_it(events, qa_manager, auditor):
    from qms.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.write_checkpoint(actor=qa_manager)
    assert services.write_checkpoint(actor=auditor).number == 1
    assert AuditEvent.objects.get(action="checkpoint").actor_id == auditor.pk


def test_the_api_reports_the_latest_checkpoint(client_for, auditor, events):
    before = client_for(auditor).get("/api/audit/verify").json()
    assert before["valid"] is True and before["checkpoint"] is None
    services.write_checkpoint()
    after = client_for(auditor).get("/api/audit/verify").json()
    assert after["valid"] is True and after["events"] == 4
    assert after["checkpoint"]["number"] == 1 and after["checkpoint"]["sequence"] == 3


def test_a_missing_store_setting_is_reported_not_ignored(events, settings):
    services.write_checkpoint()
    settings.AUDIT_CHECKPOINT_DIR = ""
    with pytest.raises(checkpoints.CheckpointStoreError, match="AUDIT_CHECKPOINT_DIR"):
        services.write_checkpoint()
    result = services.verify_chain()
    assert not result.valid and "checkpoint 1" in result.problem and "is missing" in result.problem
