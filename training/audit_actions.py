"""The actions the training app writes to the audit trail (`audit.services.record(action=...)`), listed
in the audit catalogue (audit.actions.catalogue: the audit page's action filter, the API's `action`
parameter). The trainee's electronic signature on a completion is recorded by audit.signatures
("sign"); CREATE, UPDATE and DELETE share their values with audit.actions.RecordAction."""

from audit.actions import AuditAction


class TrainingAction(AuditAction):
    CREATE = "create"  # a program, a training audience, a qualification requirement
    UPDATE = "update"  # a program, an audience or a registration changed
    DELETE = "delete"  # a program without history, an audience, a requirement
    RETIRE = "retire", "Training program retired"
    ASSIGN = "assign", "Training assigned"  # by hand, read-and-understood, retraining
    CANCEL = "cancel", "Training assignment or registration cancelled"
    OVERDUE = "overdue", "Training assignment overdue"  # beat job
    COMPLETE = "complete", "Training completed"  # the trainee's own, or attendance recorded by the instructor
    IMPORT_COMPLETION = "import_completion", "Historical training completion imported"  # legacy record, no signature
    REVOKE = "revoke", "Training completion revoked"  # withdrawn with a reason
    REGISTER = "register", "Registered for a training session"
