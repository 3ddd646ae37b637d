"""`emit(...)`: services call it beside their audit record, inside their transaction.

    with transaction.atomic():
        ... change the document ...
        audit.record(...)
        emit(DocumentEvent.VERSION_UPLOADED, document, data={"version_id": version.pk}, actor=actor)

The event and one pending delivery per subscribed handler are written in that transaction: a
rolled-back change emits nothing, a committed change always has its event. After commit a Celery
task dispatches it; if the broker cannot take the task, the periodic sweep delivers it later.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

from django.db import transaction
from django.utils import timezone

from qms import request_context

from .handlers import handlers_for
from .models import EventDelivery, OutboxEvent
from .names import EventName, is_known

logger = logging.getLogger("qms.events")


_dispatch_deferred: ContextVar[bool] = ContextVar("qms_events_dispatch_deferred", default=False)


@contextmanager
def dispatch_later() -> Iterator[None]:
    """Events emitted inside are stored in the outbox as always but not dispatched after their
    commit: the periodic sweep (or `manage.py process_outbox`) delivers them. For bulk loads without
    a broker, where dispatching would run every handler (text extraction, indexing) inline."""
    token = _dispatch_deferred.set(True)
    try:
        yield
    finally:
        _dispatch_deferred.reset(token)


class OutsideTransaction(RuntimeError):
    """emit() was called outside transaction.atomic(): the event could outlive a rolled-back change."""


def emit(event: EventName | str, record=None, *, data: dict | None = None, actor=None) -> OutboxEvent:
    """Stores `event` about `record` in the outbox, in the caller's transaction.

    `record` is a model instance (its type is named as in the audit trail: `audit_resource_type`
    or the model name), a `(resource_type, resource_id)` pair, or None. `data` must be JSON-able
    (dates and decimals are encoded). `actor` is the acting user, None for the system.
    """
    name = str(event)
    if not isinstance(event, EventName) and not is_known(name):
        raise ValueError(f"Unknown event {name!r}: declare it in an EventName enum.")
    if not transaction.get_connection().in_atomic_block:
        raise OutsideTransaction(f"emit({name!r}) must run inside the transaction of the change it describes.")
    resource_type, resource_id = _resource_of(record)
    outbox_event = OutboxEvent.objects.create(
        name=name,
        resource_type=resource_type,
        resource_id=resource_id,
        actor_id=getattr(actor, "pk", None),
        actor_username=(getattr(actor, "username", "") or "")[:150],
        request_id=request_context.get().request_id[:128],
        occurred_at=timezone.now(),
        data=data or {},
    )
    handlers = handlers_for(name)
    if handlers:
        EventDelivery.objects.bulk_create(
            [EventDelivery(event=outbox_event, handler=h.name, next_attempt_at=outbox_event.occurred_at) for h in handlers]
        )
        if not _dispatch_deferred.get():
            transaction.on_commit(partial(_dispatch_after_commit, outbox_event.pk))
    return outbox_event


def _resource_of(record) -> tuple[str, int | None]:
    if record is None:
        return "", None
    if isinstance(record, tuple):
        resource_type, resource_id = record
        return str(resource_type), int(resource_id) if resource_id is not None else None
    resource_type = getattr(record, "audit_resource_type", None) or record._meta.model_name
    return resource_type, record.pk


def _dispatch_after_commit(event_id: int) -> None:
    """Hands the event to a worker (or, without a broker, delivers it right here)."""
    from qms.tasks import dispatch_event

    try:
        dispatch_event.apply_async((event_id,), retry=False)
    except Exception:  # the change is committed; the sweep delivers the event once the broker is back
        logger.warning(
            "Event %s not dispatched now (broker unreachable?); the outbox sweep delivers it later.", event_id, exc_info=True
        )
