"""Events of CAPA (see qms.events); the workflow engine emits the state events. The data of every
event carries the CAPA's `number`, `title` and `owner_id`."""

from qms.events import EventName
from workflows.events import workflow_events


class CapaEvent(EventName):
    CREATED = "capa.created"
    UPDATED = "capa.updated"
    DRAFT_APPROVED = "capa.draft_approved"
    LINKED = "capa.linked"
    UNLINKED = "capa.unlinked"
    ATTACHMENT_ADDED = "capa.attachment_added"
    ACTION_ASSIGNED = "capa.action_assigned"
    ACTION_UPDATED = "capa.action_updated"
    ACTION_COMPLETED = "capa.action_completed"
    ACTION_DUE_EXTENDED = "capa.action_due_extended"
    EFFECTIVENESS_PLANNED = "capa.effectiveness_planned"
    EFFECTIVENESS_UPDATED = "capa.effectiveness_updated"
    EFFECTIVENESS_RECORDED = "capa.effectiveness_recorded"
    EFFECTIVENESS_DUE = "capa.effectiveness_due"


# capa.transitioned, capa.approval_given, capa.open, capa.in_progress, capa.in_review, capa.closed,
# capa.cancelled, ...
CapaWorkflowEvent = workflow_events("capa")
