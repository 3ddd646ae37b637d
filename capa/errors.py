"""Domain errors of the CAPA app (the API maps them to status codes, the pages to messages)."""

from qms.errors import Conflict, InvalidInput, PermissionDenied

from .error_codes import CapaErrorCode


class NotDraft(Conflict):
    error_code = CapaErrorCode.NOT_DRAFT


class NotEditable(Conflict):
    """The CAPA's (or action's, or review's) state does not allow the change."""

    error_code = CapaErrorCode.NOT_EDITABLE


class RowVersionRequired(InvalidInput):
    def __init__(self):
        super().__init__(
            "Send the row_version you read (or an If-Match header) so concurrent edits are detected.",
            field="row_version",
            error_type="value_error.missing",
            error_code=CapaErrorCode.ROW_VERSION_REQUIRED,
        )


class AlreadyLinked(Conflict):
    error_code = CapaErrorCode.ALREADY_LINKED


class LinkRemoved(Conflict):
    error_code = CapaErrorCode.LINK_REMOVED
    default_detail = "This link was already removed."


class LegacyNumberTaken(Conflict):
    error_code = CapaErrorCode.LEGACY_NUMBER_TAKEN


class ActionNotOpen(Conflict):
    error_code = CapaErrorCode.ACTION_NOT_OPEN


class NotActionOwner(PermissionDenied):
    error_code = CapaErrorCode.NOT_ACTION_OWNER


class ReviewRecorded(Conflict):
    error_code = CapaErrorCode.REVIEW_RECORDED
    default_detail = "The result of this effectiveness review is recorded and signed; it no longer changes."


class NotAwaitingEffectiveness(Conflict):
    error_code = CapaErrorCode.NOT_AWAITING_EFFECTIVENESS
