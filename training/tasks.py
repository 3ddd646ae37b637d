"""Celery entry points of the training app (thin: they call services). The beat schedule in
settings.CELERY_BEAT_SCHEDULE runs the two periodic jobs; both are idempotent."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

# Results are not kept (nobody waits for them; the audit trail records what the jobs did).
_OPTIONS = {
    "acks_late": True,
    "ignore_result": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(**_OPTIONS)
def mark_overdue_assignments() -> int:
    """Open assignments past their due date become overdue; returns how many were marked."""
    from . import services

    return services.mark_overdue_assignments()


@shared_task(**_OPTIONS)
def create_retraining_assignments() -> int:
    """Retraining assignments for completions about to expire; returns how many were created."""
    from . import services

    return services.create_retraining_assignments()
