"""audit.services.record and audit.changes: the chain, the context, transactions, old/new values."""

import datetime

import pytest
from django.db import connection, transaction

from accounts import services as account_services
from accounts.tests.factories import GroupFactory
from audit import immutability, keys, services
from audit.canonical import canonical_json, sha256_hex
from audit.changes import AuditedFieldsMixin, diff, snapshot
from audit.models import GENESIS_HASH, AuditEvent, ChainHead, ImmutableRecordError
from qms import request_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_request():
    token = request_context.set_context(
        request_context.RequestContext(request_id="req-42", ip_address="10.9.8.7", user_agent="pytest-agent")
    )
    yield
    request_context.reset(token)


@pytest.mark.requirement("21CFR11.10(e)", "ANNEX11.9")
def test_record_links_each_event_to_the_previous_one(qa_manager):
    first = services.record(action="create", resource_type="document", resource_id=7, summary="created", actor=qa_manager)
    second = services.record(
        action="update",
        resource_type="document",
        resource_id=7,
        summary="renamed",
        actor=qa_manager,
        old_values={"title": "A"},
        new_values={"title": "B"},
        reason="Typo in the title corrected",
    )
    assert second.sequence == first.sequence + 1
    assert second.previous_hash == first.hash
    # Sealed with the audit key (HMAC-SHA256), which the database does not hold.
    assert (second.hash_version, second.key_id) == (2, keys.current_key_id())
    assert second.hash == keys.seal(first.hash + canonical_json(second.hashed_content()))
    assert second.hash != sha256_hex(first.hash + canonical_json(second.hashed_content()))
    head = ChainHead.objects.get()
    assert (head.length, head.last_hash, head.last_event_id) == (second.sequence, second.hash, second.pk)


def test_first_event_starts_from_the_genesis_hash(qa_manager):
    event = services.record(action="create", resource_type="thing", resource_id=1, summary="x", actor=qa_manager)
    assert event.sequence == 1 and event.previous_hash == GENESIS_HASH


@pytest.mark.requirement("21CFR11.10(e)")
def test_record_snapshots_actor_and_takes_ip_and_request_id_from_the_request(qa_manager, in_request):
    event = services.record(
        action="approve", resource_type="capa", resource_id=3, summary="approved", actor=qa_manager, reason="all actions done"
    )
    event.refresh_from_db()
    assert (event.actor_id, event.actor_username, event.actor_full_name) == (qa_manager.pk, "qam1", "Max Manager")
    assert (event.ip_address, event.request_id, event.user_agent) == ("10.9.8.7", "req-42", "pytest-agent")
    assert event.reason == "all actions done"
    assert event.timestamp.tzinfo is not None
    assert abs(event.timestamp - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(minutes=1)


def test_system_events_have_no_actor():
    event = services.record(action="transition", resource_type="document", resource_id=1, summary="made effective")
    assert event.actor_id is None and event.actor_username == "" and event.actor_display == "system"


@pytest.mark.requirement("21CFR11.10(e)")
def test_a_rolled_back_change_leaves_no_event_and_the_chain_continues(qa_manager):
    services.record(action="create", resource_type="thing", resource_id=1, summary="kept", actor=qa_manager)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.record(action="update", resource_type="thing", resource_id=1, summary="rolled back", actor=qa_manager)
        raise RuntimeError("the change failed")
    assert not AuditEvent.objects.filter(summary="rolled back").exists()
    after = services.record(action="update", resource_type="thing", resource_id=1, summary="next", actor=qa_manager)
    assert after.sequence == 2
    assert services.verify_chain().valid


def test_a_service_call_that_fails_after_auditing_leaves_no_event(admin_user, monkeypatch):
    from accounts.models import Group

    group = account_services.create_group(actor=admin_user, name="QC lab")
    before = AuditEvent.objects.count()

    def failing_delete(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Group, "delete", failing_delete)
    with pytest.raises(RuntimeError):
        account_services.delete_group(actor=admin_user, group=group, reason="Periodic data cleanup")  # records, then fails
    assert AuditEvent.objects.count() == before
    assert not AuditEvent.objects.filter(action="delete").exists()
    assert services.verify_chain().valid


def test_deleting_a_record_keeps_its_audit_events(admin_user):
    group = account_services.create_group(actor=admin_user, name="Line 3 operators")
    group_id = group.pk
    account_services.delete_group(actor=admin_user, group=group, reason="line closed")
    events = AuditEvent.objects.filter(resource_type="group", resource_id=group_id).order_by("sequence")
    assert [e.action for e in events] == ["create", "delete"]
    assert events[1].reason == "line closed"


@pytest.mark.requirement("21CFR11.10(c)")
def test_orm_updates_and_deletes_are_refused(qa_manager):
    event = services.record(action="create", resource_type="thing", resource_id=1, summary="x", actor=qa_manager)
    event.summary = "changed"
    with pytest.raises(ImmutableRecordError):
        event.save()
    with pytest.raises(ImmutableRecordError):
        event.delete()
    with pytest.raises(ImmutableRecordError):
        AuditEvent.objects.filter(pk=event.pk).update(summary="changed")
    with pytest.raises(ImmutableRecordError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).summary == "x"


def test_chain_head_is_rebuilt_from_the_last_event_when_missing(qa_manager):
    first = services.record(action="create", resource_type="thing", resource_id=1, summary="x", actor=qa_manager)
    with immutability.suspended(connection):
        ChainHead.objects.all().delete()
    second = services.record(action="update", resource_type="thing", resource_id=1, summary="y", actor=qa_manager)
    assert second.previous_hash == first.hash and second.sequence == first.sequence + 1
    assert services.verify_chain().valid


def test_values_are_stored_as_hashed(qa_manager):
    values = {"when": datetime.datetime(2025, 3, 1, 12, 0, tzinfo=datetime.UTC), "ids": {3, 1}, "n": 1.5}
    event = services.record(
        action="update", resource_type="thing", resource_id=1, summary="x", actor=qa_manager, new_values=values
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.new_values == {"when": "2025-03-01T12:00:00+00:00", "ids": [1, 3], "n": 1.5}
    assert stored.compute_hash() == stored.hash


# --- changes --------------------------------------------------------------------------------------


def test_snapshot_renders_fields_json_safe(make_user):
    user = make_user("QA", username="snap", full_name="Sam Snap")
    data = snapshot(user, ["username", "full_name", "role", "role.name", "is_active", "date_joined", "groups"])
    assert data["username"] == "snap" and data["role"] == "QA" and data["role.name"] == "QA"
    assert data["is_active"] is True and data["groups"] == []
    assert data["date_joined"].endswith("+00:00")


def test_snapshot_rejects_unknown_fields(make_user):
    with pytest.raises(AttributeError):
        snapshot(make_user(), ["no_such_field"])


def test_diff_keeps_only_changed_keys():
    old, new = diff({"a": 1, "b": 2, "c": None}, {"a": 1, "b": 3, "d": "x"})
    assert old == {"b": 2, "d": None}
    assert new == {"b": 3, "d": "x"}
    assert diff({"a": 1}, {"a": 1}) == ({}, {})


def test_record_change_is_a_one_liner_for_old_and_new_values(admin_user):
    group = GroupFactory(name="Before", description="d")
    fields = ["name", "description"]
    before = snapshot(group, fields)
    group.name = "After"
    group.save()
    event = services.record_change(
        obj=group, before=before, fields=fields, actor=admin_user, summary="renamed", reason="reorganisation"
    )
    assert (event.resource_type, event.resource_id) == ("group", group.pk)
    assert event.old_values == {"name": "Before"} and event.new_values == {"name": "After"}
    assert (
        services.record_change(obj=group, before=snapshot(group, fields), fields=fields, actor=admin_user, summary="nothing")
        is None
    )


def test_audited_fields_mixin_declares_the_tracked_fields():
    class Thing(AuditedFieldsMixin):
        audit_fields = ["title", "status"]

        def __init__(self):
            self.title, self.status, self.secret = "T", "draft", "s"

    assert Thing().audit_snapshot() == {"title": "T", "status": "draft"}


# --- reasons --------------------------------------------------------------------------------------


def test_require_reason_returns_the_reason_or_raises_a_422_on_the_reason_field():
    from qms.api.exceptions import exception_handler

    assert services.require_reason("  CAPA-12 follow-up ") == "CAPA-12 follow-up"
    with pytest.raises(services.ReasonRequired) as caught:
        services.require_reason("   ", what="changing an effective document")
    response = exception_handler(caught.value, {})
    assert response.status_code == 422
    assert response.data["error_code"] == "REASON_REQUIRED"
    assert response.data["detail"][0]["loc"] == ["body", "reason"]


def test_reason_field_makes_serializers_demand_a_reason():
    from rest_framework import serializers
    from rest_framework.exceptions import ValidationError

    from audit.serializers import ReasonField
    from qms.api.exceptions import exception_handler

    class ChangeSerializer(serializers.Serializer):
        title = serializers.CharField()
        reason = ReasonField()

    for body in ({"title": "x"}, {"title": "x", "reason": ""}):
        serializer = ChangeSerializer(data=body)
        with pytest.raises(ValidationError) as caught:
            serializer.is_valid(raise_exception=True)
        response = exception_handler(caught.value, {})
        assert response.status_code == 422
        assert response.data["detail"][0]["loc"] == ["body", "reason"]
    assert ChangeSerializer(data={"title": "x", "reason": "Access review outcome"}).is_valid()
