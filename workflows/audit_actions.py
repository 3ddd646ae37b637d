"""The actions the workflow engine writes to the audit trail (`audit.services.record(action=...)`), listed
in the audit catalogue (audit.actions.catalogue)."""

from audit import actions


class AuditAction(actions.AuditAction):
    CREATE = "create"  # a workflow template, or a new version of one
    UPDATE = "update"  # a template changed in place; a record's approval rules configured
    DELETE = "delete"  # an unused template version deleted
    TRANSITION = "transition"  # a record moved from one state to another (or started)
    APPROVE = "approve"  # one approver's approval in an approval state
    REJECT = "reject"  # a transition into a rejected state
