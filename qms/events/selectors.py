"""Reads about the outbox for operators: per handler what is pending, failed and delivered, and the lag."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, QuerySet
from django.utils import timezone

from .handlers import registered_handlers
from .models import DeliveryStatus, EventDelivery


@dataclass
class HandlerState:
    handler: str
    pattern: str | None  # None: deliveries exist for a handler that is no longer registered
    pending: int = 0
    failed: int = 0
    succeeded: int = 0
    oldest_pending_at: datetime | None = None  # when the oldest event still waiting for it occurred

    def lag(self, now: datetime | None = None) -> timedelta | None:
        if self.oldest_pending_at is None:
            return None
        return (now or timezone.now()) - self.oldest_pending_at


def handler_states() -> list[HandlerState]:
    """One row per registered handler and per handler name found in the deliveries (two queries)."""
    states = {name: HandlerState(name, h.pattern) for name, h in registered_handlers().items()}
    for row in EventDelivery.objects.order_by().values("handler", "status").annotate(n=Count("pk")):
        state = states.setdefault(row["handler"], HandlerState(row["handler"], None))
        setattr(state, row["status"], row["n"])
    oldest = (
        EventDelivery.objects.filter(status=DeliveryStatus.PENDING)
        .order_by()
        .values("handler")
        .annotate(oldest=Min("event__occurred_at"))
    )
    for row in oldest:
        states[row["handler"]].oldest_pending_at = row["oldest"]
    return sorted(states.values(), key=lambda s: s.handler)


def outbox_lag(now: datetime | None = None) -> timedelta | None:
    """How long the oldest event still waiting for a handler has waited; None when nothing waits."""
    oldest = EventDelivery.objects.filter(status=DeliveryStatus.PENDING).aggregate(oldest=Min("event__occurred_at"))["oldest"]
    return None if oldest is None else (now or timezone.now()) - oldest


def failed_deliveries(*, handler: str | None = None) -> QuerySet[EventDelivery]:
    deliveries = EventDelivery.objects.filter(status=DeliveryStatus.FAILED).select_related("event").order_by("event_id")
    return deliveries.filter(handler=handler) if handler else deliveries
