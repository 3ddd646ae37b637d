"""Celery entry points of the audit app (thin: they call services)."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

logger = logging.getLogger("qms.audit")


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=5)
def write_checkpoint(self) -> int | None:
    """The beat job: a signed checkpoint of the chain outside the database. A chain that does not
    verify gets none; that is logged as an error (and `verify_audit_trail` reports it)."""
    from .checkpoints import CheckpointStoreError
    from .services import CheckpointRefused
    from .services import write_checkpoint as write

    try:
        return write(actor=None).number
    except (CheckpointRefused, CheckpointStoreError) as exc:
        logger.error("audit checkpoint not written: %s", exc)
        return None
