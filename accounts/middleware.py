"""Account controls on every page request (the API's are in qms.api.permissions and the JWT
lifetimes):

- idle timeout: a page session without a request for SESSION_IDLE_MINUTES ends (audited as
  `session_timeout`); the next request, a signature included, goes through the full sign-in again
  (21 CFR 11.200(a)(1)(ii)). Pages warn SESSION_IDLE_WARNING_SECONDS before (static/js/qms.js);
- a password someone else chose, or one that expired, must be changed first: every page but the
  change-password page and sign-out redirects there (accounts.passwords).
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

LAST_ACTIVITY = "qms_last_activity"
# Pages a user who must change their password may still open.
OPEN_DURING_PASSWORD_CHANGE = {"password-change", "logout", "login", "session-keepalive"}


def idle_seconds() -> float:
    return max(float(settings.SESSION_IDLE_MINUTES) * 60, 0)


class AccountControlsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith((settings.STATIC_URL, settings.MEDIA_URL)):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            ended = self._end_if_idle(request, user)
            if ended is not None:
                return ended
        return self.get_response(request)

    def _end_if_idle(self, request, user):
        limit = idle_seconds()
        now = time.time()
        last = request.session.get(LAST_ACTIVITY)
        if limit and last is not None and now - float(last) >= limit:
            from .services import record_session_timeout

            record_session_timeout(user=user, idle_seconds=now - float(last))
            logout(request)
            minutes = settings.SESSION_IDLE_MINUTES
            if request.path.startswith("/api/"):
                return None  # the API answers 401 to a request without a live session
            messages.info(request, f"You were signed out after {minutes:g} minutes without activity. Sign in again.")
            login_url = f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}"
            if getattr(request, "htmx", False):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = login_url
                return response
            return redirect_to_login(request.get_full_path())
        request.session[LAST_ACTIVITY] = now
        return None

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith("/api/"):
            return None
        match = request.resolver_match
        if match is not None and match.url_name in OPEN_DURING_PASSWORD_CHANGE:
            return None
        if user.password_change_reason():
            return redirect(f"{reverse('accounts:password-change')}?{urlencode({'next': request.get_full_path()})}")
        return None
