"""Celery entry points of the project package: dispatching, sweeping and pruning the event outbox."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings


@shared_task(name="qms.events.dispatch_event", ignore_result=True)
def dispatch_event(event_id: int) -> str:
    """Delivers one event to its handlers right after the transaction that emitted it committed."""
    from qms.events import deliver_event

    return str(deliver_event(event_id))


@shared_task(name="qms.events.sweep_outbox", ignore_result=True)
def sweep_outbox() -> str:
    """Beat: delivers events the after-commit dispatch missed and retries failed deliveries that are due."""
    from qms.events import sweep

    return str(sweep())


@shared_task(name="qms.events.prune_outbox", ignore_result=True)
def prune_outbox() -> int:
    """Beat: deletes delivered events older than EVENTS_RETENTION_DAYS (0 keeps them)."""
    from qms.events.delivery import prune

    if not settings.EVENTS_RETENTION_DAYS:
        return 0
    return prune(older_than=timedelta(days=settings.EVENTS_RETENTION_DAYS))
