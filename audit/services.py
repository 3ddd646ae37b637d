"""Writing to the audit trail. `record(...)` is the one way every module audits a change.

Call it inside the same transaction as the change it describes: a rolled-back change leaves no
event, a committed change always has one. The acting request's IP, request id and user agent
come from qms.request_context.

Appends are serialised by locking the chain head row, so concurrent writers never fork the
chain: each event's `previous_hash` is the hash of the event committed just before it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from qms import request_context
from qms.errors import InvalidInput

from .canonical import json_safe
from .changes import diff, resource_type_of, snapshot
from .models import GENESIS_HASH, AuditEvent, ChainHead

logger = logging.getLogger("qms.audit")

HEAD_PK = 1


class ReasonRequired(InvalidInput):
    error_code = "REASON_REQUIRED"

    def __init__(self, detail: str = "A reason for the change is required.", *, field: str = "reason"):
        super().__init__(detail, field=field, error_type="value_error.missing")


def require_reason(reason: str | None, *, field: str = "reason", what: str = "this change") -> str:
    """Returns the stripped reason or raises ReasonRequired (422, loc ["body", field]) when it is
    missing or shorter than REASON_MIN_LENGTH characters (a reason must say why, not be "0")."""
    from django.conf import settings

    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(f"A reason is required for {what} (GMP record).", field=field)
    minimum = settings.REASON_MIN_LENGTH
    if len(reason) < minimum:
        error = ReasonRequired(
            f"A reason is required for {what} (GMP record): say why in at least {minimum} characters.", field=field
        )
        error.error_type = "value_error.min_length"
        raise error
    return reason


def record(
    *,
    action: str,
    resource_type: str,
    resource_id,
    summary: str,
    actor=None,
    old_values: dict | None = None,
    new_values: dict | None = None,
    reason: str = "",
    actor_username: str = "",
) -> AuditEvent:
    """Appends one event to the chain. `actor` is a User or None (the system).

    `actor_username` names an actor who is not an authenticated user (a failed sign-in with an
    unknown or wrong account) when `actor` is None.
    """
    ctx = request_context.get()
    with transaction.atomic():
        head = _lock_head()
        event = AuditEvent(
            sequence=head.length + 1,
            timestamp=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            actor_username=(actor.username if actor is not None else actor_username)[:150],
            actor_full_name=(getattr(actor, "full_name", "") or "")[:200] if actor is not None else "",
            action=action[:50],
            resource_type=resource_type[:50],
            resource_id=int(resource_id) if resource_id not in (None, "") else None,
            summary=summary,
            old_values=json_safe(old_values) if old_values else None,
            new_values=json_safe(new_values) if new_values else None,
            reason=reason or "",
            ip_address=ctx.ip_address or None,
            request_id=ctx.request_id[:128],
            user_agent=ctx.user_agent[:500],
            previous_hash=head.last_hash,
        )
        event.hash = event.compute_hash()
        event.save()
        ChainHead.objects.filter(pk=HEAD_PK).update(length=event.sequence, last_hash=event.hash, last_event_id=event.pk)
    return event


def _lock_head() -> ChainHead:
    """Locks the chain head for the rest of the transaction and returns it.

    The UPDATE takes the row lock on PostgreSQL and the write lock on SQLite before the head is
    read, so two writers can never read the same head.
    """
    if not ChainHead.objects.filter(pk=HEAD_PK).update(length=F("length")):
        _create_head()
        ChainHead.objects.filter(pk=HEAD_PK).update(length=F("length"))
    return ChainHead.objects.get(pk=HEAD_PK)


def _create_head() -> None:
    """The first append (or the first after a test database flush) starts the head at the last event."""
    last = AuditEvent.objects.order_by("-sequence").only("sequence", "hash", "pk").first()
    try:
        with transaction.atomic():
            ChainHead.objects.create(
                pk=HEAD_PK,
                length=last.sequence if last else 0,
                last_hash=last.hash if last else GENESIS_HASH,
                last_event_id=last.pk if last else None,
            )
    except IntegrityError:
        pass  # another writer created it first


def record_change(
    *,
    obj,
    before: dict,
    actor,
    summary: str,
    fields: list[str] | None = None,
    action: str = "update",
    reason: str = "",
) -> AuditEvent | None:
    """Records the changed fields of `obj` since `before` (a snapshot); None when nothing changed."""
    fields = fields if fields is not None else (list(getattr(obj, "audit_fields", [])) or list(before))
    old, new = diff(before, snapshot(obj, fields))
    if not old and not new:
        return None
    return record(
        action=action,
        resource_type=resource_type_of(obj),
        resource_id=obj.pk,
        summary=summary,
        actor=actor,
        old_values=old,
        new_values=new,
        reason=reason,
    )


# --- verification ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainVerification:
    valid: bool
    events: int
    first_broken_event: int | None = None
    first_broken_sequence: int | None = None
    problem: str = ""

    def as_dict(self) -> dict:
        out = {"valid": self.valid, "events": self.events}
        if not self.valid:
            out.update(
                first_broken_event=self.first_broken_event,
                first_broken_sequence=self.first_broken_sequence,
                problem=self.problem,
            )
        return out


def verify_chain(*, chunk_size: int = 2000) -> ChainVerification:
    """Walks the whole chain in order, recomputing every hash; stops at the first broken event."""
    expected_previous, expected_sequence, count = GENESIS_HASH, 1, 0
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=chunk_size):
        problem = ""
        if event.sequence != expected_sequence:
            problem = f"sequence {event.sequence} follows {expected_sequence - 1}: events are missing"
        elif event.previous_hash != expected_previous:
            problem = "previous_hash does not match the hash of the event before it"
        elif event.compute_hash() != event.hash:
            problem = "hash does not match the event's recorded contents (the row was altered)"
        if problem:
            return ChainVerification(False, count, event.pk, event.sequence, problem)
        expected_previous, expected_sequence, count = event.hash, event.sequence + 1, count + 1
    head = ChainHead.objects.filter(pk=HEAD_PK).first()
    if head is not None and (head.length != count or head.last_hash != expected_previous):
        return ChainVerification(
            False,
            count,
            head.last_event_id,
            head.length,
            f"the chain head records {head.length} events but {count} are present: events at the end were removed",
        )
    return ChainVerification(True, count)


def record_export(*, actor, export_format: str, filters: dict, events: int) -> AuditEvent:
    """Exports of the audit trail are themselves audited: who, when, which filters, how many events."""
    filter_text = ", ".join(f"{k}={v}" for k, v in filters.items()) or "no filters"
    return record(
        action="export",
        resource_type="audit_trail",
        resource_id=None,
        actor=actor,
        summary=f"Audit trail exported as {export_format.upper()} ({events} events; {filter_text})",
        new_values={"format": export_format, "filters": filters, "events": events},
    )
