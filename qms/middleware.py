"""Request-wide middleware: request ids (headers, logs, audit) and rate-limit headers."""

import logging
import re
import uuid

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
