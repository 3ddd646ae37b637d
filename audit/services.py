"""Writing to the audit trail. `record(...)` is the one way every module audits a change.

Call it inside the same transaction as the change it describes: a rolled-back change leaves no
event, a committed change always has one. The acting request's IP, request id and user agent
come from qms.request_context.

The event is appended to the hash chain at the end of its transaction, just before the commit
(audit.chain), so the chain head is locked only for that moment: concurrent writers never fork
the chain, and one long transaction does not hold up everyone else. The returned event gets its
`sequence` and `hash` then (immediately when record() is called outside a transaction).

Also here: `export_trail(...)` (the export use case for the API and `manage.py
export_audit_trail`), `write_checkpoint(...)` and `verify_chain(...)`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from django.utils import timezone

from qms import request_context
from qms.errors import Conflict, InvalidInput
from qms.permissions import require

from . import chain, checkpoints, selectors, subjects
from . import context as audit_context
from .actions import AuditTrailAction
from .canonical import json_safe
from .chain import ChainVerification
from .changes import diff, snapshot
from .exports import csv_stream, pdf_report
from .filters import AuditEventFilter, applied_filters
from .models import AuditEvent

logger = logging.getLogger("qms.audit")

__all__ = [
    "ChainVerification",
    "ReasonRequired",
    "export_trail",
    "record",
    "record_change",
    "require_reason",
    "verify_chain",
    "write_checkpoint",
]


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
    subject=None,
    instance=None,
) -> AuditEvent:
    """Records one event (appended to the chain when the transaction commits). `actor` is a user
    or None (the system); `action` a member of an app's AuditAction enum (or its string).

    `subject` is the root record the event belongs to (a model instance or a (type, id) pair);
    without it the subject rules registered for `resource_type` find it (audit.subjects), from
    `instance` (the audited model instance, no query) or from the id. `actor_username` names an actor who
    is not an authenticated user (a failed sign-in with an unknown or wrong account).

    The event carries the current audit context (audit.context, e.g. the import run and row a
    record was loaded from); it is part of what the event's hash seals.
    """
    ctx = request_context.get()
    resource_id = int(resource_id) if resource_id not in (None, "") else None
    resource_type = str(resource_type)[:50]
    subject_type, subject_id = subjects.resolve(resource_type, resource_id, record=instance, subject=subject)
    event = AuditEvent(
        timestamp=timezone.now(),
        actor_id=getattr(actor, "pk", None),
        actor_username=(actor.username if actor is not None else actor_username)[:150],
        actor_full_name=(getattr(actor, "full_name", "") or "")[:200] if actor is not None else "",
        action=str(action)[:50],
        resource_type=resource_type,
        resource_id=resource_id,
        subject_type=subject_type,
        subject_id=subject_id,
        summary=summary,
        old_values=json_safe(old_values) if old_values else None,
        new_values=json_safe(new_values) if new_values else None,
        reason=reason or "",
        ip_address=ctx.ip_address or None,
        request_id=ctx.request_id[:128],
        user_agent=ctx.user_agent[:500],
        context=json_safe(extra) if (extra := audit_context.current()) else None,
    )
    chain.append(event)
    return event


def record_change(
    *,
    obj,
    before: dict,
    actor,
    summary: str,
    fields: list[str] | None = None,
    action: str = "update",
    reason: str = "",
    subject=None,
) -> AuditEvent | None:
    """Records the changed fields of `obj` since `before` (a snapshot); None when nothing changed.
    The subject is found from `obj` (see record()) unless given."""
    fields = fields if fields is not None else (list(getattr(obj, "audit_fields", [])) or list(before))
    old, new = diff(before, snapshot(obj, fields))
    if not old and not new:
        return None
    return record(
        action=action,
        resource_type=subjects.type_name_of(obj),
        resource_id=obj.pk,
        summary=summary,
        actor=actor,
        old_values=old,
        new_values=new,
        reason=reason,
        subject=subject,
        instance=obj,
    )


# --- verification and checkpoints ---------------------------------------------------------------


def verify_chain(*, chunk_size: int = 2000) -> ChainVerification:
    """Walks the whole chain, recomputing every hash, and checks it against the checkpoints kept
    outside the database; reports the first problem (see audit.chain.verify)."""
    return chain.verify(chunk_size=chunk_size)


class CheckpointRefused(Conflict):
    error_code = "CHECKPOINT_REFUSED"


def write_checkpoint(*, actor=None) -> checkpoints.Checkpoint:
    """Appends a signed checkpoint of the chain head to the checkpoint store and records it in the trail.

    The chain is verified first (from the previous checkpoint on), so a checkpoint never vouches
    for a tampered chain: CheckpointRefused (409) names the problem instead. `actor` None is the
    system (the beat job, the management command)."""
    require(actor, "audit.verify")
    with checkpoints.locked():
        previous = chain.latest_checkpoint()
        sequence, head_hash = chain.head()
        result = chain.verify(since=previous) if previous is not None else chain.verify()
        if not result.valid:
            raise CheckpointRefused(f"No checkpoint written: the audit trail does not verify ({result.problem}).")
        checkpoint = checkpoints.new_checkpoint(sequence=sequence, head_hash=head_hash, previous=previous)
        path = checkpoints.append(checkpoint)
    record(
        action=AuditTrailAction.CHECKPOINT,
        resource_type="audit_trail",
        resource_id=None,
        actor=actor,
        actor_username="" if actor is not None else "system",
        summary=f"Checkpoint {checkpoint.number} of the audit chain at sequence {sequence} written to {path.name}",
        new_values={**checkpoint.as_dict(), "file": path.name},
    )
    logger.info("audit checkpoint %s at sequence %s", checkpoint.number, sequence)
    return checkpoint


# --- export -----------------------------------------------------------------------------------------

EXPORT_FORMATS = ("csv", "pdf")
PDF_MAX_EVENTS_DEFAULT = 5000


class ExportRejected(InvalidInput):
    """The export's format or filters are not acceptable; `errors` maps parameter names to messages."""

    def __init__(self, errors: Mapping[str, list[str]]):
        self.errors = {name: list(messages) for name, messages in errors.items()}
        name, messages = next(iter(self.errors.items()))
        super().__init__(" ".join(messages), field=name)


@dataclass
class TrailExport:
    """An export ready to be written: `content` is an iterator of CSV text pieces or the PDF bytes."""

    export_format: str
    filename: str
    content_type: str
    events: int
    filters: dict
    statement: dict
    content: Iterator[str] | bytes = field(repr=False)

    def chunks(self) -> Iterable[bytes]:
        if isinstance(self.content, bytes):
            yield self.content
        else:
            for piece in self.content:
                yield piece.encode("utf-8")


def pdf_max_events() -> int:
    from django.conf import settings

    return getattr(settings, "AUDIT_PDF_MAX_EVENTS", PDF_MAX_EVENTS_DEFAULT)


def export_trail(
    *, actor, export_format: str = "csv", filters: Mapping[str, str] | None = None, exporter: str = ""
) -> TrailExport:
    """Exports the audit trail (the list's filters; `resource_type` + `resource_id` give a record's
    whole trail, see audit.filters) as CSV or PDF, oldest first, with a signed statement of the
    chain head. The export is itself audited. `actor` None is the system (`exporter` then names
    who ran it, e.g. the operating-system user of a management command).

    Raises ExportRejected (422) for an unknown format, invalid filters or a PDF above the limit."""
    require(actor, "audit.export")
    export_format = (export_format or "csv").lower()
    if export_format not in EXPORT_FORMATS:
        raise ExportRejected({"format": ["format must be csv or pdf."]})
    filterset = AuditEventFilter(filters or {}, queryset=selectors.audit_events())
    if not filterset.is_valid():
        raise ExportRejected(filterset.errors)
    # Export what was committed when the export started (not the export's own event).
    sequence, head_hash = chain.head()
    queryset = filterset.qs.filter(sequence__lte=sequence).order_by("sequence")
    total = queryset.count()
    if export_format == "pdf" and total > pdf_max_events():
        raise ExportRejected(
            {
                "format": [
                    f"A PDF export is limited to {pdf_max_events()} events and {total} match; narrow the filters or export CSV."
                ]
            }
        )
    applied = applied_filters(filterset)
    statement = checkpoints.statement(sequence=sequence, head_hash=head_hash)
    exporter = exporter or (f"{actor.display_name} ({actor.username})" if actor is not None else "system")
    filter_text = ", ".join(f"{k}={v}" for k, v in applied.items()) or "no filters"
    record(
        action=AuditTrailAction.EXPORT,
        resource_type="audit_trail",
        resource_id=None,
        actor=actor,
        actor_username="" if actor is not None else exporter[:150],
        summary=f"Audit trail exported as {export_format.upper()} ({total} events; {filter_text})",
        new_values={"format": export_format, "filters": applied, "events": total},
    )
    now = timezone.now()
    if export_format == "csv":
        content: Iterator[str] | bytes = csv_stream(queryset, statement=statement)
    else:
        content = pdf_report(
            queryset.iterator(chunk_size=500),
            total=total,
            filters=applied,
            exporter=exporter,
            generated_at=now,
            signatures=_record_signatures(actor, applied),
            statement=statement,
        )
    return TrailExport(
        export_format=export_format,
        filename=f"audit-trail-{now:%Y%m%d-%H%M%S}.{export_format}",
        content_type="text/csv; charset=utf-8" if export_format == "csv" else "application/pdf",
        events=total,
        filters=applied,
        statement=statement,
        content=content,
    )


def _record_signatures(actor, filters: dict):
    """The signatures of the one record a PDF export is filtered to (and of the records it is the
    subject of), as far as the exporter may see them; none for wider exports."""
    if "resource_type" not in filters or "resource_id" not in filters:
        return []
    if actor is not None and not actor.has_qms_permission("signatures.view"):
        return []
    visible = selectors.signatures_visible_to(actor) if actor is not None else selectors.signatures()
    return selectors.signatures_of_record(filters["resource_type"], filters["resource_id"], queryset=visible)
