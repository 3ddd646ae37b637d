"""Celery entry points of the CAPA app (thin: they call services). The beat schedule in
settings.CELERY_BEAT_SCHEDULE runs the daily job; it is idempotent (each review is flagged once)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

_OPTIONS = {
    "acks_late": True,
    "ignore_result": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(**_OPTIONS)
def flag_due_effectiveness_reviews() -> int:
    """Pending effectiveness reviews whose planned date has come are flagged (capa.effectiveness_due)."""
    from . import services

    return services.flag_due_reviews()
