"""Domain errors of the deviations app (the API maps them to status codes, the pages to messages)."""

from enum import StrEnum

from qms.errors import Conflict, InvalidInputs, NotFound


class DeviationErrorCode(StrEnum):
    FORM_TEMPLATE_INVALID = "FORM_TEMPLATE_INVALID"
    FORM_ANSWERS_INVALID = "FORM_ANSWERS_INVALID"
    NAME_TAKEN = "NAME_TAKEN"
    FORM_TEMPLATE_NOT_LATEST = "FORM_TEMPLATE_NOT_LATEST"
    ALREADY_ACTIVE = "ALREADY_ACTIVE"
    NO_ACTIVE_FORM = "NO_ACTIVE_FORM"


class FormTemplateInvalid(InvalidInputs):
    """A form definition with problems; lists every one with its location in the request body."""

    error_code = DeviationErrorCode.FORM_TEMPLATE_INVALID


class NameTaken(Conflict):
    error_code = DeviationErrorCode.NAME_TAKEN


class NotLatestVersion(Conflict):
    error_code = DeviationErrorCode.FORM_TEMPLATE_NOT_LATEST


class AlreadyActive(Conflict):
    error_code = DeviationErrorCode.ALREADY_ACTIVE
    default_detail = "This version is already the active reporting form."


class NoActiveForm(NotFound):
    error_code = DeviationErrorCode.NO_ACTIVE_FORM
    default_detail = "No deviation report form is active: a QA Manager publishes one."
