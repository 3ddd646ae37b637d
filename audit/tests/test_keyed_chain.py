"""The chain is keyed (HMAC-SHA256 with AUDIT_HMAC_KEY, a key id per event); events written before the
chain was keyed keep verifying; rotated keys keep verifying what they sealed."""

import datetime

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from audit import keys, services
from audit.canonical import canonical_json, sha256_hex
from audit.models import GENESIS_HASH, AuditEvent, ChainHead

pytestmark = pytest.mark.django_db


def append_legacy_events(count: int, resources: list[tuple[str, int]] | None = None) -> list[AuditEvent]:
    """Events as written before the chain was keyed: plain SHA-256, no subject, no key id."""
    resources = resources or [("document", i + 1) for i in range(count)]
    head = ChainHead.objects.filter(pk=1).first()
    sequence, previous = (head.length, head.last_hash) if head else (0, GENESIS_HASH)
    events = []
    with transaction.atomic():
        for i in range(count):
            sequence += 1
            event = AuditEvent(
                sequence=sequence,
                timestamp=timezone.now() - datetime.timedelta(days=30),
                actor_username="legacy",
                action="update",
                resource_type=resources[i][0],
                resource_id=resources[i][1],
                summary=f"legacy {i}",
                previous_hash=previous,
                hash_version=1,
            )
            event.hash = previous = sha256_hex(event.previous_hash + canonical_json(event.hashed_content()))
            event.save()
            events.append(event)
        ChainHead.objects.update_or_create(
            pk=1, defaults={"length": sequence, "last_hash": previous, "last_event_id": events[-1].pk}
        )
    return events


def test_events_written_before_the_chain_was_keyed_keep_verifying(qa_manager):
    legacy = append_legacy_events(3)
    keyed = services.record(action="create", resource_type="thing", resource_id=1, summary="keyed", actor=qa_manager)

    assert keyed.previous_hash == legacy[-1].hash and keyed.hash_version == 2
    result = services.verify_chain()
    assert result.valid and result.events == 4


def test_the_key_id_names_the_key_without_revealing_it(qa_manager, settings):
    event = services.record(action="create", resource_type="thing", resource_id=1, summary="x", actor=qa_manager)
    assert event.key_id == keys.key_id_of(settings.AUDIT_HMAC_KEY) and len(event.key_id) == 16
    assert event.key_id not in settings.AUDIT_HMAC_KEY
    with override_settings(AUDIT_HMAC_KEY="another-key-entirely-0123456789"):
        assert keys.current_key_id() != event.key_id


def test_a_rotated_key_keeps_verifying_what_it_sealed_while_it_is_listed_as_old(qa_manager, settings):
    old_key = settings.AUDIT_HMAC_KEY
    before = services.record(action="create", resource_type="thing", resource_id=1, summary="old key", actor=qa_manager)
    with override_settings(AUDIT_HMAC_KEY="the-new-audit-key-0123456789", AUDIT_HMAC_OLD_KEYS=[old_key]):
        after = services.record(action="update", resource_type="thing", resource_id=1, summary="new key", actor=qa_manager)
        assert after.key_id != before.key_id
        assert services.verify_chain().valid
    with override_settings(AUDIT_HMAC_KEY="the-new-audit-key-0123456789", AUDIT_HMAC_OLD_KEYS=[]):
        result = services.verify_chain()
        assert not result.valid and result.first_broken_event == before.pk
        assert "unknown key" in result.problem and "AUDIT_HMAC_OLD_KEYS" in result.problem


@pytest.mark.requirement("21CFR11.10(e)")
def test_a_database_writer_without_the_key_cannot_forge_an_event(qa_manager):
    """Someone who can insert rows (the application's own database role, or an SQL injection) but
    does not hold the key appends an event with a plain hash: verification rejects it."""
    genuine = services.record(action="create", resource_type="thing", resource_id=1, summary="x", actor=qa_manager)
    with transaction.atomic():
        forged = AuditEvent(
            sequence=genuine.sequence + 1,
            timestamp=timezone.now(),
            action="approve",
            resource_type="document",
            resource_id=1,
            summary="approved (forged)",
            previous_hash=genuine.hash,
            hash_version=2,
            key_id=genuine.key_id,
        )
        forged.hash = sha256_hex(forged.previous_hash + canonical_json(forged.hashed_content()))
        forged.save()
        ChainHead.objects.filter(pk=1).update(length=forged.sequence, last_hash=forged.hash, last_event_id=forged.pk)
    result = services.verify_chain()
    assert not result.valid and result.first_broken_event == forged.pk
    assert "without the audit key" in result.problem


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the head's full guard is a PostgreSQL trigger")
@pytest.mark.postgres
def test_the_chain_head_only_moves_forward_onto_the_newest_event(qa_manager):
    from django.db import DatabaseError

    first = services.record(action="create", resource_type="thing", resource_id=1, summary="x", actor=qa_manager)
    services.record(action="update", resource_type="thing", resource_id=1, summary="y", actor=qa_manager)
    for sql, params in [
        ("DELETE FROM audit_chainhead", []),
        ("TRUNCATE audit_chainhead", []),
        ("UPDATE audit_chainhead SET length = %s, last_hash = %s, last_event_id = %s", [1, first.hash, first.pk]),
        ("UPDATE audit_chainhead SET last_hash = %s", ["f" * 64]),
        ("UPDATE audit_chainhead SET length = length + 5", []),
    ]:
        with pytest.raises(DatabaseError, match="audit_chainhead"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
    assert services.verify_chain().valid
