"""The `error_code` values the training app answers with (signing a completion also answers with
audit.signatures' SIGNATURE_AUTH_FAILED)."""

from enum import StrEnum


class ErrorCode(StrEnum):
    TRAINING_REQUIRED = "TRAINING_REQUIRED"  # 403: the approver lacks required training (missing_programs)
    SIGNATURE_REQUIRED = "SIGNATURE_REQUIRED"  # 422 at body.password: completing applies the trainee's signature
    PROGRAM_NOT_ASSIGNABLE = "PROGRAM_NOT_ASSIGNABLE"  # 409: a draft or retired program is not assigned or registered for
    PROGRAM_RETIRED = "PROGRAM_RETIRED"  # 409: a retired program no longer changes
    PROGRAM_IN_USE = "PROGRAM_IN_USE"  # 409: a program with assignments cannot go back to draft
    ALREADY_RETIRED = "ALREADY_RETIRED"  # 409
    NO_EFFECTIVE_VERSION = "NO_EFFECTIVE_VERSION"  # 409: a read-and-understood program of a document not in force
    NOT_ASSIGNED = "NOT_ASSIGNED"  # 404: completing a program nobody assigned to the caller
    ASSIGNMENT_CLOSED = "ASSIGNMENT_CLOSED"  # 409: the assignment was cancelled (or is not open)
    ALREADY_COMPLETED = "ALREADY_COMPLETED"  # 409
    ALREADY_REVOKED = "ALREADY_REVOKED"  # 409
    ALREADY_SIGNED = "ALREADY_SIGNED"  # 409: a completion carries one signature
    ALREADY_REGISTERED = "ALREADY_REGISTERED"  # 409
    SESSION_FULL = "SESSION_FULL"  # 409: max_participants registered
    REGISTRATION_CANCELLED = "REGISTRATION_CANCELLED"  # 409: a cancelled registration does not change
    NOT_ATTENDED = "NOT_ATTENDED"  # 409: feedback is given after attending
