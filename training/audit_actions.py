"""The actions the training app writes to the audit trail (`audit.services.record(action=...)`);
the trainee's electronic signature on a completion is recorded by audit.signatures ("sign")."""

from enum import StrEnum


class AuditAction(StrEnum):
    CREATE = "create"  # a program, a training audience, a qualification requirement
    UPDATE = "update"  # a program, an audience or a registration changed
    DELETE = "delete"  # a program without history, an audience, a requirement
    RETIRE = "retire"  # a program taken out of use
    ASSIGN = "assign"  # an assignment (by hand, read-and-understood, retraining)
    CANCEL = "cancel"  # an open assignment, or a registration, cancelled
    OVERDUE = "overdue"  # an open assignment passed its due date (beat job)
    COMPLETE = "complete"  # a completion (the trainee's own, or attendance recorded by the instructor)
    REVOKE = "revoke"  # a completion withdrawn with a reason
    REGISTER = "register"  # a seat taken in a program's session
