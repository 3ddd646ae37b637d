"""Handlers of the documents app's events (registered from DocumentsConfig.ready)."""

from qms.events import OutboxEvent, queue_task, subscribe

from .events import DocumentEvent


@subscribe(DocumentEvent.VERSION_UPLOADED, name="documents.extract_text")
def queue_text_extraction(event: OutboxEvent) -> None:
    """Queues text extraction of the uploaded version; a broker outage fails the delivery, which is
    then retried. Idempotent: extraction leaves a finished version alone."""
    from . import tasks

    queue_task(tasks.extract_text, event.data["version_id"])
