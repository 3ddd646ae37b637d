"""Events of deviations (see qms.events); the workflow engine emits the state events."""

from qms.events import EventName
from workflows.events import workflow_events


class DeviationEvent(EventName):
    REPORTED = "deviation.reported"
    UPDATED = "deviation.updated"
    ASSIGNED = "deviation.assigned"
    LINKED = "deviation.linked"
    UNLINKED = "deviation.unlinked"
    ATTACHMENT_ADDED = "deviation.attachment_added"


# deviation.transitioned, deviation.approval_given, deviation.in_progress, deviation.in_review,
# deviation.closed, deviation.cancelled, ...
DeviationWorkflowEvent = workflow_events("deviation")
