"""One exception handler for the whole API.

Every error leaves as {"detail": ..., "error_code": ...}; request validation errors are 422 with
{"detail": [{"loc": [...], "msg": ..., "type": ...}], "error_code": "VALIDATION_ERROR"}.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from qms.errors import DomainError, InvalidInput, InvalidInputs

logger = logging.getLogger(__name__)

_ERROR_CODES = {
    exceptions.ParseError: "MALFORMED_REQUEST",
    exceptions.AuthenticationFailed: "AUTHENTICATION_FAILED",
    exceptions.NotAuthenticated: "NOT_AUTHENTICATED",
    exceptions.PermissionDenied: "PERMISSION_DENIED",
    exceptions.NotFound: "NOT_FOUND",
    exceptions.MethodNotAllowed: "METHOD_NOT_ALLOWED",
    exceptions.NotAcceptable: "NOT_ACCEPTABLE",
    exceptions.UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
    exceptions.Throttled: "RATE_LIMITED",
}


def validation_items(detail, prefix: list) -> list[dict]:
    """Flattens DRF's nested error structure into [{loc, msg, type}]."""
    items: list[dict] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            loc = prefix if key in ("non_field_errors", "__all__") else prefix + [key]
            items.extend(validation_items(value, loc))
    elif isinstance(detail, list):
        if detail and all(isinstance(d, (str, exceptions.ErrorDetail)) for d in detail):
            for d in detail:
                items.append({"loc": prefix, "msg": str(d), "type": _error_type(d)})
        else:
            for index, value in enumerate(detail):
                if value:
                    items.extend(validation_items(value, prefix + [index]))
    else:
        items.append({"loc": prefix, "msg": str(detail), "type": _error_type(detail)})
    return items


def _error_type(detail) -> str:
    code = getattr(detail, "code", None) or "invalid"
    return f"value_error.{code}" if code not in ("value_error",) else code


class RequestValidationError(exceptions.ValidationError):
    """A validation error about the query string rather than the body."""

    def __init__(self, detail, location: str = "query"):
        super().__init__(detail)
        self.location = location


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return _domain_response(exc)
    if isinstance(exc, RequestDataTooBig):
        from .parsers import too_large

        exc = too_large()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(str(exc) or "The request could not be understood.")
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, exceptions.ValidationError):
        location = getattr(exc, "location", "body")
        return Response(
            {"detail": validation_items(exc.detail, [location]), "error_code": "VALIDATION_ERROR"},
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data.get("detail", response.data) if isinstance(response.data, dict) else response.data
    error_code = getattr(exc, "error_code", None) or _code_for(exc)
    data = {"detail": str(detail), "error_code": error_code}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        data["retry_after"] = int(exc.wait) + 1
    response.data = data
    return response


def _code_for(exc) -> str:
    for cls, code in _ERROR_CODES.items():
        if isinstance(exc, cls):
            return code
    return "ERROR"


def _domain_response(exc: DomainError) -> Response:
    if isinstance(exc, InvalidInputs):
        items = [{"loc": ["body", *loc], "msg": msg, "type": error_type} for loc, msg, error_type in exc.problems]
        body = {"detail": items, "error_code": exc.error_code}
    elif isinstance(exc, InvalidInput):
        loc = ["body", exc.field] if exc.field else ["body"]
        body = {"detail": [{"loc": loc, "msg": exc.detail, "type": exc.error_type}], "error_code": exc.error_code}
    else:
        body = {"detail": exc.detail, "error_code": exc.error_code, **exc.extra}
    return Response(body, status=exc.status_code)
