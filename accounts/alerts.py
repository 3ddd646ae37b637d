"""Urgent notice to the administrators of repeated failed attempts to use an account (21 CFR
11.300(d): attempted unauthorised use is reported "in an immediate and urgent manner").

Detection runs inside the transaction that records a failed sign-in, signature or
re-authentication (`check_failed_attempts`): once FAILED_ATTEMPTS_ALERT_THRESHOLD failures of one
account (or one unknown login name) fall within FAILED_ATTEMPTS_ALERT_WINDOW_MINUTES, it audits a
`failed_attempts_alert` and emits `user.failed_attempts_alert` (at most one per account and window).
After commit the event's handler (accounts.handlers) calls the notifier named by
ACCOUNT_ALERT_NOTIFIER with the active user administrators as recipients:

    notifier(*, subject: str, message: str, recipients: list[User], data: dict) -> None

The default, `email_administrators`, emails them; a notification module replaces it by setting
ACCOUNT_ALERT_NOTIFIER to its own function of that signature.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.module_loading import import_string

from audit.models import AuditEvent
from qms import request_context
from qms.events import emit

from .audit_actions import AccountAction
from .events import UserEvent, account_event

logger = logging.getLogger("qms.accounts")

FAILURE_ACTIONS = (AccountAction.LOGIN_FAILED, AccountAction.SIGNATURE_FAILED, AccountAction.REAUTHENTICATION_FAILED)


def _failures(user, login: str, since: datetime.datetime):
    events = AuditEvent.objects.filter(action__in=[str(a) for a in FAILURE_ACTIONS], timestamp__gte=since)
    if user is not None:
        return events.filter(resource_type="user", resource_id=user.pk)
    return events.filter(resource_type="user", resource_id__isnull=True, actor_username=login)


def _alerted(user, login: str, since: datetime.datetime) -> bool:
    alerts = AuditEvent.objects.filter(action=str(AccountAction.FAILED_ATTEMPTS_ALERT), timestamp__gte=since)
    if user is not None:
        return alerts.filter(resource_type="user", resource_id=user.pk).exists()
    return alerts.filter(resource_type="user", resource_id__isnull=True, new_values__username=login).exists()


def check_failed_attempts(*, user=None, login: str = "", now: datetime.datetime | None = None) -> bool:
    """Call inside the transaction that records one more failure (its own event is not committed
    yet, so it counts as one more). Returns whether the administrators are being alerted."""
    threshold = settings.FAILED_ATTEMPTS_ALERT_THRESHOLD
    if threshold <= 0:
        return False
    now = now or timezone.now()
    window = settings.FAILED_ATTEMPTS_ALERT_WINDOW_MINUTES
    since = now - datetime.timedelta(minutes=window)
    login = (user.username if user is not None else login)[:150]
    attempts = _failures(user, login, since).count() + 1
    if attempts < threshold or _alerted(user, login, since):
        return False
    ip = request_context.get().ip_address or None
    data = {
        "user_id": user.pk if user is not None else None,
        "username": login,
        "known_account": user is not None,
        "attempts": attempts,
        "window_minutes": window,
        "ip_address": ip,
        "detected_at": now,
    }
    account_event(
        AccountAction.FAILED_ATTEMPTS_ALERT,
        subject=user,
        summary=f"{attempts} failed attempts to use account {login!r} within {window} minutes: administrators alerted",
        new_values=data,
    )
    emit(UserEvent.FAILED_ATTEMPTS_ALERT, user if user is not None else ("user", None), data=data)
    return True


# --- delivery -------------------------------------------------------------------------------------


def administrators():
    """Active users who hold users.manage (they can unlock, deactivate and investigate)."""
    from .models import User

    return [
        user
        for user in User.objects.filter(is_active=True).select_related("role").order_by("pk")
        if user.has_qms_permission("users.manage")
    ]


def alert_text(data: dict) -> tuple[str, str]:
    who = f"account {data['username']!r}" if data.get("known_account") else f"the unknown login name {data['username']!r}"
    subject = f"[QMS] URGENT: repeated failed attempts on {who}"
    message = (
        f"{data['attempts']} failed sign-in or signature attempts on {who} within {data['window_minutes']} minutes "
        f"(last from IP {data.get('ip_address') or 'unknown'}, detected {data.get('detected_at')} UTC).\n\n"
        "This may be an attempt at unauthorised use (21 CFR 11.300(d)). Check the audit trail "
        "(actions login_failed, signature_failed, lockout) and unlock or deactivate the account as needed."
    )
    return subject, message


def notify_administrators(data: dict) -> None:
    """Sends the alert through ACCOUNT_ALERT_NOTIFIER (from the event handler, after commit)."""
    subject, message = alert_text(data)
    notifier = import_string(settings.ACCOUNT_ALERT_NOTIFIER)
    notifier(subject=subject, message=message, recipients=administrators(), data=data)


def email_administrators(*, subject: str, message: str, recipients: list, data: dict) -> None:
    """The default notifier: one email to every administrator with an address (EMAIL_* settings)."""
    addresses = sorted({user.email for user in recipients if user.email})
    if not addresses:
        logger.error("%s: no administrator has an email address. %s", subject, message)
        return
    send_mail(subject, message, settings.DEFAULT_FROM_EMAIL, addresses, fail_silently=False)
    logger.warning("%s: emailed to %s", subject, ", ".join(addresses))
