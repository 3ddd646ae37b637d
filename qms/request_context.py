"""The current request's id, client IP and user, available to services, audit and logs.

Set by RequestIDMiddleware (and by the API/authentication layer once the user is known);
outside a request (management commands, Celery tasks) the values are empty.
"""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip_address: str | None = None
    user_agent: str = ""


_current: ContextVar[RequestContext] = ContextVar("qms_request_context", default=RequestContext())  # noqa: B039 (frozen)


def get() -> RequestContext:
    return _current.get()


def set_context(ctx: RequestContext):
    return _current.set(ctx)


def reset(token) -> None:
    _current.reset(token)


def client_ip(request) -> str | None:
    """The client's address; X-Forwarded-For is trusted only when NUM_PROXIES says so."""
    from django.conf import settings

    num_proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if num_proxies and forwarded:
        addrs = [a.strip() for a in forwarded.split(",") if a.strip()]
        if addrs:
            return addrs[-min(num_proxies, len(addrs))]
    return request.META.get("REMOTE_ADDR") or None
