"""Handing events to their handlers: claim a delivery, run the handler, record the outcome.

A dispatcher claims a due delivery (pending, `next_attempt_at` passed) by moving its
`next_attempt_at` to the end of a lease and counting the attempt, in one statement (PostgreSQL:
`SELECT ... FOR UPDATE SKIP LOCKED`, so concurrent dispatchers take disjoint rows without
waiting). Only the claimer runs the handler, so two workers dispatching the same event deliver it
once; a worker that dies mid-handler leaves the claim to expire, and the sweep retries it.

The handler runs in its own transaction together with marking the delivery succeeded. A failure
rolls back the handler's writes and schedules the next attempt with exponential backoff
(`EVENTS_RETRY_DELAY_SECONDS` doubled each time, at most an hour) until `EVENTS_MAX_ATTEMPTS`,
then the delivery is `failed` (listed by `outbox_status`, redelivered by `redeliver_events`).
Other handlers of the same event are not affected, and the business write was committed long before.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from .handlers import get_handler
from .models import DeliveryStatus, EventDelivery, OutboxEvent

logger = logging.getLogger("qms.events")

MAX_RETRY_DELAY = timedelta(hours=1)
ERROR_CHARS = 4000


@dataclass
class DeliveryReport:
    """What one dispatch or sweep did, counted per delivery."""

    events: int = 0
    succeeded: int = 0
    retrying: int = 0
    failed: int = 0

    def add(self, other: DeliveryReport) -> None:
        self.events += other.events
        self.succeeded += other.succeeded
        self.retrying += other.retrying
        self.failed += other.failed

    def __str__(self) -> str:
        return f"{self.events} event(s): {self.succeeded} delivered, {self.retrying} to retry, {self.failed} failed for good"


def retry_delay(attempts: int) -> timedelta:
    """Wait before attempt `attempts + 1`: the base delay doubled per failed attempt, at most an hour."""
    delay = timedelta(seconds=settings.EVENTS_RETRY_DELAY_SECONDS) * 2 ** max(attempts - 1, 0)
    return min(delay, MAX_RETRY_DELAY)


def claim_lease() -> timedelta:
    """How long a claimed delivery belongs to its dispatcher: a task's hard time limit, at least a minute."""
    return timedelta(seconds=max(settings.CELERY_TASK_TIME_LIMIT, 60))


def deliver_event(event_id: int, *, now: datetime | None = None) -> DeliveryReport:
    """Runs every due delivery of one event (the Celery task after commit, the sweep, redelivery)."""
    now = now or timezone.now()
    report = DeliveryReport()
    event = OutboxEvent.objects.filter(pk=event_id).first()
    if event is None:
        return report
    claimed = _claim(EventDelivery.objects.filter(event_id=event_id), now)
    if claimed:
        report.events = 1
    for delivery in claimed:
        outcome = _run(delivery, event)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def sweep(*, grace: timedelta | None = None, limit: int = 500, now: datetime | None = None) -> DeliveryReport:
    """Delivers what the after-commit dispatch did not: events whose first delivery is still pending
    `grace` after they occurred (broker down, worker lost), and retries that are due."""
    started = now or timezone.now()
    grace = timedelta(seconds=settings.EVENTS_SWEEP_SECONDS) if grace is None else grace
    due = EventDelivery.objects.filter(status=DeliveryStatus.PENDING).filter(
        Q(attempts=0, next_attempt_at__lte=started - grace) | Q(attempts__gt=0, next_attempt_at__lte=started)
    )
    event_ids = list(due.order_by("event_id").values_list("event_id", flat=True).distinct()[:limit])
    report = DeliveryReport()
    for event_id in event_ids:
        report.add(deliver_event(event_id, now=now))  # each claim at its own time, unless a time is given
    return report


def redeliver_failed(*, handler: str | None = None, event_ids: list[int] | None = None) -> list[int]:
    """Puts failed deliveries back to pending with fresh attempts; returns the ids of their events."""
    failed = EventDelivery.objects.filter(status=DeliveryStatus.FAILED)
    if handler:
        failed = failed.filter(handler=handler)
    if event_ids:
        failed = failed.filter(event_id__in=event_ids)
    with transaction.atomic():
        rows = list(failed.select_for_update().values_list("pk", "event_id"))
        EventDelivery.objects.filter(pk__in=[pk for pk, _ in rows]).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
    for pk, event_id in rows:
        logger.info("Delivery %s of event %s put back to pending for redelivery", pk, event_id)
    return list(dict.fromkeys(event_id for _, event_id in rows))


def prune(*, older_than: timedelta, batch_size: int = 2000) -> int:
    """Deletes events older than `older_than` that every handler received; returns how many."""
    cutoff = timezone.now() - older_than
    done = OutboxEvent.objects.filter(occurred_at__lt=cutoff).exclude(
        deliveries__status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]
    )
    deleted = 0
    while ids := list(done.order_by("pk").values_list("pk", flat=True)[:batch_size]):
        with transaction.atomic():
            EventDelivery.objects.filter(event_id__in=ids).delete()
            deleted += OutboxEvent.objects.filter(pk__in=ids).delete()[0]
    return deleted


# --- internals ---------------------------------------------------------------------------------------


def _claim(deliveries: QuerySet, now: datetime) -> list[EventDelivery]:
    """Takes the due deliveries nobody else holds; each comes back with its attempt counted."""
    due = deliveries.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).order_by("pk")
    claim = {"attempts": F("attempts") + 1, "last_attempt_at": now, "next_attempt_at": now + claim_lease()}
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            claimed = list(due.select_for_update(skip_locked=True))
            EventDelivery.objects.filter(pk__in=[d.pk for d in claimed]).update(**claim)
    else:  # SQLite: one conditional UPDATE per row; the database serialises writers
        claimed = [d for d in due if due.filter(pk=d.pk).update(**claim)]
    for delivery in claimed:
        delivery.attempts += 1
    return claimed


def _run(delivery: EventDelivery, event: OutboxEvent) -> str:
    """Runs the handler; returns "succeeded", "retrying" or "failed"."""
    mine = EventDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts, status=DeliveryStatus.PENDING)
    handler = get_handler(delivery.handler)
    try:
        if handler is None:
            raise LookupError(f"No event handler named {delivery.handler!r} is registered.")
        with transaction.atomic():
            handler.func(event)
            if not mine.update(status=DeliveryStatus.SUCCEEDED, delivered_at=timezone.now(), next_attempt_at=None, last_error=""):
                logger.warning("Delivery %s to %s finished after its claim expired.", delivery.pk, delivery.handler)
        return "succeeded"
    except Exception:
        error = traceback.format_exc()[-ERROR_CHARS:]
    if delivery.attempts >= settings.EVENTS_MAX_ATTEMPTS:
        mine.update(status=DeliveryStatus.FAILED, next_attempt_at=None, last_error=error)
        logger.error(
            "Event %s (%s) failed for handler %s after %s attempts:\n%s",
            event.pk,
            event.name,
            delivery.handler,
            delivery.attempts,
            error,
        )
        return "failed"
    mine.update(next_attempt_at=timezone.now() + retry_delay(delivery.attempts), last_error=error)
    logger.warning(
        "Event %s (%s) failed for handler %s (attempt %s); retrying later:\n%s",
        event.pk,
        event.name,
        delivery.handler,
        delivery.attempts,
        error,
    )
    return "retrying"
