"""What every page shows about the account controls: the idle-timeout warning's timings and a
notice when the password expires soon (accounts.passwords)."""

from django.conf import settings

from .middleware import idle_seconds
from .passwords import status_of


def account_controls(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    status = status_of(user)
    return {
        "session_idle_seconds": int(idle_seconds()),
        "session_idle_warning_seconds": settings.SESSION_IDLE_WARNING_SECONDS,
        "password_notice": status.message if status.expiry_warning else "",
    }
