"""Rate limits with X-RateLimit-* headers (added by RateLimitHeadersMiddleware) and Retry-After.

`auth`: per client IP on the token, refresh and registration endpoints (THROTTLE_AUTH_RATE).
`user`: per authenticated user everywhere else (THROTTLE_USER_RATE); `anon`: per IP (THROTTLE_ANON_RATE).

The counters live in the cache (Redis when configured). When the cache cannot be reached the
API keeps serving without rate limits (logged once a minute) rather than failing every request;
`/api/health` reports the outage.
"""

import logging
import math
import time

from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.settings import api_settings

logger = logging.getLogger("qms.api")

# Errors of an unreachable or failing cache backend.
CACHE_ERRORS = (RedisError, OSError)
OUTAGE_LOG_INTERVAL = 60.0
_last_outage_log = [-math.inf]


def _report_cache_outage(exc: Exception) -> None:
    now = time.monotonic()
    if now - _last_outage_log[0] >= OUTAGE_LOG_INTERVAL:
        _last_outage_log[0] = now
        logger.warning("Rate limits are not enforced: the cache is unreachable (%s: %s)", type(exc).__name__, exc)


class _HeaderMixin:
    @property
    def THROTTLE_RATES(self):  # noqa: N802 (the name DRF looks up)
        # DRF binds SimpleRateThrottle.THROTTLE_RATES once, at import; reading the current
        # settings here lets a changed REST_FRAMEWORK setting (tests, reloads) take effect.
        return api_settings.DEFAULT_THROTTLE_RATES

    def _record(self, request, allowed: bool):
        if not getattr(self, "key", None):
            return
        # After a successful check DRF has already put this request into `history`.
        remaining = self.num_requests - len(self.history)
        reset = self.history[-1] + self.duration - self.now if self.history else self.duration
        state = (self.num_requests, max(remaining, 0), max(math.ceil(reset), 0))
        django_request = getattr(request, "_request", request)
        previous = getattr(django_request, "ratelimit_state", None)
        # Report the tightest limit when several throttles apply.
        if previous is None or state[1] < previous[1]:
            django_request.ratelimit_state = state

    def allow_request(self, request, view):
        self.key = None
        try:
            allowed = super().allow_request(request, view)
        except CACHE_ERRORS as exc:
            _report_cache_outage(exc)
            return True
        self._record(request, allowed)
        return allowed


class AuthRateThrottle(_HeaderMixin, throttling.SimpleRateThrottle):
    scope = "auth"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class UserRateThrottle(_HeaderMixin, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(_HeaderMixin, throttling.AnonRateThrottle):
    pass
