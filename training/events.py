"""Events of the training app (see qms.events), emitted by training.services beside their audit
records. The record of an event is the program, assignment, completion or registration, named as
in the audit trail (`training_program`, `training_assignment`, ...)."""

from qms.events import EventName


class TrainingEvent(EventName):
    PROGRAM_CREATED = "training.program_created"
    PROGRAM_UPDATED = "training.program_updated"
    PROGRAM_RETIRED = "training.program_retired"
    PROGRAM_DELETED = "training.program_deleted"
    ASSIGNED = "training.assigned"
    CANCELLED = "training.cancelled"
    OVERDUE = "training.overdue"
    COMPLETED = "training.completed"
    REVOKED = "training.revoked"
    REGISTERED = "training.registered"
    REGISTRATION_UPDATED = "training.registration_updated"
    REGISTRATION_CANCELLED = "training.registration_cancelled"
