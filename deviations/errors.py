"""Domain errors of the deviations app (the API maps them to status codes, the pages to messages)."""

from qms.errors import Conflict, InvalidInput, InvalidInputs, NotFound

from .error_codes import DeviationErrorCode


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


class ReportingUnavailable(Conflict):
    """Reporting needs an active report form."""

    error_code = DeviationErrorCode.NO_ACTIVE_FORM
    default_detail = "No deviation report form is active, so nothing can be reported: a QA Manager publishes one."


class NotEditable(Conflict):
    """The deviation's state does not allow the change (closed and cancelled records are read-only)."""

    error_code = DeviationErrorCode.NOT_EDITABLE


class RowVersionRequired(InvalidInput):
    def __init__(self):
        super().__init__(
            "Send the row_version you read (or an If-Match header) so concurrent edits are detected.",
            field="row_version",
            error_type="value_error.missing",
            error_code=DeviationErrorCode.ROW_VERSION_REQUIRED,
        )


class AlreadyLinked(Conflict):
    error_code = DeviationErrorCode.ALREADY_LINKED


class LinkTypeUnavailable(InvalidInput):
    def __init__(self, detail: str):
        super().__init__(detail, field="target_type", error_code=DeviationErrorCode.LINK_TYPE_UNAVAILABLE)


class LinkRemoved(Conflict):
    error_code = DeviationErrorCode.LINK_REMOVED
    default_detail = "This link was already removed."
