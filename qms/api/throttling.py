"""Rate limits with X-RateLimit-* headers (added by RateLimitHeadersMiddleware) and Retry-After.

`auth`: per client IP on the token, refresh and registration endpoints (THROTTLE_AUTH_RATE).
`user`: per authenticated user everywhere else (THROTTLE_USER_RATE); `anon`: per IP (THROTTLE_ANON_RATE).
"""

import math

from rest_framework import throttling
from rest_framework.settings import api_settings


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
        allowed = super().allow_request(request, view)
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
