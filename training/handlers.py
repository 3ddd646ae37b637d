"""Handlers of other apps' events (registered from TrainingConfig.ready).

Read-and-understood: when a document version becomes effective (`document.effective`, emitted by
the workflow engine with the version and the one it supersedes), its training audience is assigned
that version and open items of earlier versions are cancelled; when a document is made obsolete
(`document.obsolete`), its open items are cancelled. This runs after the document's transaction
committed, in the handler's own transaction (qms.events: at least once, retried with backoff, a
failed delivery listed by `outbox_status` and redelivered by `redeliver_events`); the services are
idempotent, so a redelivery changes nothing.
"""

from documents.events import DocumentWorkflowEvent
from documents.models import Document, DocumentVersion
from qms.events import OutboxEvent, subscribe

from . import services


@subscribe(DocumentWorkflowEvent.EFFECTIVE, name="training.assign_read_and_understood")
def assign_read_and_understood(event: OutboxEvent) -> None:
    version = DocumentVersion.objects.get(pk=event.data["version_id"])
    superseded_id = event.data.get("previous_effective_version_id")
    superseded = DocumentVersion.objects.filter(pk=superseded_id).first() if superseded_id else None
    services.assign_read_and_understood(version=version, superseded_version=superseded)


@subscribe(DocumentWorkflowEvent.OBSOLETE, name="training.cancel_read_and_understood")
def cancel_read_and_understood(event: OutboxEvent) -> None:
    services.cancel_read_and_understood(document=Document.objects.get(pk=event.resource_id))
