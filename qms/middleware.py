"""Request-wide middleware: request ids (headers, logs, audit), JSON errors under /api/, and
rate-limit headers."""

import logging
import re
import uuid

from django.conf import settings
from django.http import JsonResponse

from . import request_context

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestIDMiddleware:
    """Takes X-Request-ID from the client (if well-formed) or makes one; echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_context.set_context(
            request_context.RequestContext(
                request_id=request_id,
                ip_address=request_context.client_ip(request),
                user_agent=request.headers.get("User-Agent", "")[:500],
            )
        )
        try:
            response = self.get_response(request)
        finally:
            request_context.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIDLogFilter(logging.Filter):
    """Adds `request_id` to every log record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = request_context.get().request_id
        if not request_id:
            # django.request logs 4xx/5xx after the middleware returned; its record carries the request.
            request_id = getattr(getattr(record, "request", None), "request_id", "")
        record.request_id = request_id or "-"
        return True


class RateLimitHeadersMiddleware:
    """Copies the throttle state recorded by qms.api.throttling onto the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        state = getattr(request, "ratelimit_state", None)
        if state:
            limit, remaining, reset = state
            response["X-RateLimit-Limit"] = str(limit)
            response["X-RateLimit-Remaining"] = str(max(remaining, 0))
            response["X-RateLimit-Reset"] = str(reset)
        return response


API_PREFIX = "/api/"

# error_code of the errors Django itself answers (unknown paths, its error handlers).
_STATUS_ERRORS = {
    400: ("MALFORMED_REQUEST", "The request could not be understood."),
    403: ("PERMISSION_DENIED", "You do not have permission to perform this action."),
    404: ("NOT_FOUND", "Not found."),
    405: ("METHOD_NOT_ALLOWED", "Method not allowed."),
    413: ("REQUEST_TOO_LARGE", "The request body is too large."),
    500: ("INTERNAL_ERROR", "The server could not complete the request; it has been logged."),
}


def api_error_response(status: int, detail: str | None = None, error_code: str | None = None) -> JsonResponse:
    default_code, default_detail = _STATUS_ERRORS.get(status, ("ERROR" if status < 500 else "INTERNAL_ERROR", ""))
    return JsonResponse({"detail": detail or default_detail, "error_code": error_code or default_code}, status=status)


def _is_json(response) -> bool:
    return (response.get("Content-Type") or "").split(";")[0].strip().endswith("json")


class ApiErrorMiddleware:
    """Under /api/ every error is JSON {detail, error_code}, whoever produced it: unknown paths,
    Django's error handlers (400, 403, 404, 500; with DEBUG on or off) and bodies over
    DATA_UPLOAD_MAX_MEMORY_SIZE (413, refused before anything reads them). Pages keep their HTML."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if self._body_too_large(request):
            return api_error_response(413, f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")
        response = self.get_response(request)
        if response.status_code < 400 or _is_json(response) or getattr(response, "streaming", False):
            return response
        replacement = api_error_response(response.status_code)
        for header, value in response.items():
            if header.lower() not in ("content-type", "content-length"):
                replacement[header] = value
        return replacement

    @staticmethod
    def _body_too_large(request) -> bool:
        # Multipart uploads have their own limit (MAX_UPLOAD_MB, checked by the upload endpoints);
        # Django limits their non-file fields to DATA_UPLOAD_MAX_MEMORY_SIZE while parsing.
        if request.content_type == "multipart/form-data":
            return False
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return False
        return length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
