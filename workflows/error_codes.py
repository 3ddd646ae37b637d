"""The `error_code` values the workflow engine and the controlled-record kit answer with."""

from enum import StrEnum


class ErrorCode(StrEnum):
    WORKFLOW_INVALID = "WORKFLOW_INVALID"  # 422: a definition with structural errors (each located)
    NAME_TAKEN = "NAME_TAKEN"  # 409: another current template has that name
    TEMPLATE_RETIRED = "TEMPLATE_RETIRED"  # 409: the version was replaced by a newer one
    TEMPLATE_IN_USE = "TEMPLATE_IN_USE"  # 409: records (or document types) use the version
    INVALID_TRANSITION = "INVALID_TRANSITION"  # 409: not possible from the current state
    ALREADY_APPROVED = "ALREADY_APPROVED"  # 409: this approver already approved in this round
    APPROVAL_NOT_REQUIRED = "APPROVAL_NOT_REQUIRED"  # 409: the approver's slots are all filled
    APPROVAL_IN_PROGRESS = "APPROVAL_IN_PROGRESS"  # 409: rules of the state under way cannot change
    NOT_AN_APPROVER = "NOT_AN_APPROVER"  # 403: no rule of the state names this user
    SELF_APPROVAL_NOT_ALLOWED = "SELF_APPROVAL_NOT_ALLOWED"  # 403: authors may not approve their record
    SIGNATURE_REQUIRED = "SIGNATURE_REQUIRED"  # 422 at body.password: the step applies a signature
    NOT_EDITABLE = "NOT_EDITABLE"  # 409: the record's state does not allow the change
    APPROVER_CANNOT_APPROVE = "APPROVER_CANNOT_APPROVE"  # 422: configured rules nobody could satisfy
    TRANSITION_BLOCKED = "TRANSITION_BLOCKED"  # 422: a record type's guard refused (located problems)
    SIGNED_CONTENT_LOCKED = "SIGNED_CONTENT_LOCKED"  # 409: the change would alter what signatures cover
