"""Celery entry points of the search index (thin: they call search.services)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .embedding import EmbeddingUnavailable
from .vectorstore import VectorStoreUnavailable

RETRIED = (VectorStoreUnavailable, EmbeddingUnavailable, OperationalError, InterfaceError)


@shared_task(bind=True, acks_late=True, max_retries=8)
def index_record(self, resource_type: str, resource_id: int) -> str:
    """(Re)indexes one record; idempotent. While Chroma is down the record stays pending and the task
    is retried with exponential backoff (in-process runs leave it to the periodic sweep)."""
    from . import services

    try:
        return services.index_record(resource_type=resource_type, resource_id=resource_id).status
    except RETRIED as exc:
        if self.request.is_eager:
            return "pending"
        raise self.retry(exc=exc, countdown=min(600, 10 * 2**self.request.retries))


@shared_task(acks_late=True)
def index_pending() -> dict:
    """Periodic sweep: indexes records left pending (Chroma was down, a task was lost)."""
    from . import services

    return services.index_pending()
