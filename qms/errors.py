"""Domain errors raised by services; the API maps them to status codes, pages to messages."""


class DomainError(Exception):
    """A business rule refused the operation."""

    status_code = 400
    error_code = "BAD_REQUEST"
    default_detail = "The request could not be processed."

    def __init__(self, detail: str | None = None, *, error_code: str | None = None, extra: dict | None = None):
        self.detail = detail or self.default_detail
        if error_code:
            self.error_code = error_code
        self.extra = extra or {}
        super().__init__(self.detail)


class NotFound(DomainError):
    status_code = 404
    error_code = "NOT_FOUND"
    default_detail = "Not found."


class PermissionDenied(DomainError):
    status_code = 403
    error_code = "PERMISSION_DENIED"
    default_detail = "You do not have permission to perform this action."


class AuthenticationFailed(DomainError):
    status_code = 401
    error_code = "AUTHENTICATION_FAILED"
    default_detail = "Authentication failed."


class InvalidInput(DomainError):
    """A business-level validation failure on one field (rendered as a 422 with loc)."""

    status_code = 422
    error_code = "VALIDATION_ERROR"

    def __init__(self, detail: str, *, field: str | None = None, error_type: str = "value_error", **kwargs):
        super().__init__(detail, **kwargs)
        self.field = field
        self.error_type = error_type


class InvalidInputs(InvalidInput):
    """Several validation failures at once; `problems` is a list of (loc, msg, type), loc being
    the path inside the request body, e.g. (["variables", "title"], "Required.", "value_error.missing")."""

    def __init__(self, problems: list[tuple[list, str, str]], **kwargs):
        self.problems = problems
        loc, msg, error_type = problems[0]
        super().__init__(msg, field=".".join(str(p) for p in loc) or None, error_type=error_type, **kwargs)


class Conflict(DomainError):
    status_code = 409
    error_code = "CONFLICT"
    default_detail = "The record is in a state that does not allow this operation."


class InvalidTransition(Conflict):
    error_code = "INVALID_TRANSITION"


class VersionConflict(Conflict):
    error_code = "VERSION_CONFLICT"
    default_detail = "The record was changed by someone else; reload it and try again."


def check_row_version(obj, row_version: int | None) -> None:
    """Raises VersionConflict (carrying the current row_version) when the client read an older
    `obj`; a row_version of None skips the check."""
    if row_version is not None and row_version != obj.row_version:
        raise VersionConflict(extra={"current_row_version": obj.row_version})
