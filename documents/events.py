"""Events of controlled documents (see qms.events); the workflow engine emits the state events."""

from qms.events import EventName
from workflows.events import workflow_events


class DocumentEvent(EventName):
    CREATED = "document.created"
    VERSION_UPLOADED = "document.version_uploaded"
    VERSION_PROCESSED = "document.version_processed"
    METADATA_UPDATED = "document.metadata_updated"


# document.transitioned, document.approval_given, document.in_review, document.effective, ...
DocumentWorkflowEvent = workflow_events("document")
