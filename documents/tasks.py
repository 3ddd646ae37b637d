"""Celery entry points of the documents app (thin: they call services)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=5)
def extract_text(self, version_id: int) -> str:
    """Extracts the text of one document version (idempotent: a finished version is left alone)."""
    from . import services

    return services.process_version(version_id=version_id).processing_status
