"""The password policy beyond strength (21 CFR 11.300(b), EU GMP Annex 11 §12.1):

- a password someone else chose (an administrator, an import, createsuperuser for another person)
  must be changed by its holder at first use (`User.password_change_required`);
- passwords age: PASSWORD_MAX_AGE_DAYS after the last change (0 = never) the holder must change it,
  and is warned PASSWORD_EXPIRY_WARNING_DAYS before;
- the last PASSWORD_HISTORY passwords may not be chosen again (PasswordHistoryValidator, one of
  AUTH_PASSWORD_VALIDATORS, so every door that validates a password applies it).

Until a due change is made the account may only change its password, read itself and sign out
(API: 403 PASSWORD_CHANGE_REQUIRED; pages: the change-password page).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone

FIRST_USE = "first_use"
EXPIRED = "expired"

MESSAGES = {
    FIRST_USE: "Your password was set by someone else. Choose your own password before you continue.",
    EXPIRED: "Your password has expired. Choose a new password before you continue.",
}


def changed_at(user) -> datetime.datetime:
    """When the current password was set (accounts older than the record: when they were created)."""
    return user.password_changed_at or user.date_joined


def expires_at(user) -> datetime.datetime | None:
    days = settings.PASSWORD_MAX_AGE_DAYS
    if days <= 0:
        return None
    return changed_at(user) + datetime.timedelta(days=days)


def change_reason(user, now=None) -> str | None:
    if user.password_change_required:
        return FIRST_USE
    expiry = expires_at(user)
    if expiry is not None and expiry <= (now or timezone.now()):
        return EXPIRED
    return None


@dataclass(frozen=True)
class PasswordStatus:
    change_required: bool
    change_reason: str | None
    expires_at: datetime.datetime | None
    expires_in_days: int | None
    expiry_warning: bool

    @property
    def message(self) -> str:
        if self.change_reason:
            return MESSAGES[self.change_reason]
        if self.expiry_warning:
            when = self.expires_at.strftime("%Y-%m-%d %H:%M UTC")
            days = (
                "today"
                if self.expires_in_days == 0
                else f"in {self.expires_in_days} day{'s' if self.expires_in_days != 1 else ''}"
            )
            return f"Your password expires {days} ({when}). Change it before then."
        return ""


def status_of(user, now=None) -> PasswordStatus:
    """What /api/auth/me and the pages tell the user about their password."""
    now = now or timezone.now()
    reason = change_reason(user, now)
    expiry = expires_at(user)
    days_left = None if expiry is None else max((expiry - now).days, 0)
    warning = (
        expiry is not None and reason is None and expiry - now <= datetime.timedelta(days=settings.PASSWORD_EXPIRY_WARNING_DAYS)
    )
    return PasswordStatus(reason is not None, reason, expiry, days_left, warning)


# --- history -----------------------------------------------------------------------------------------


def remember_password(user) -> None:
    """Keeps the user's current password hash in their history (call after set_password and save)."""
    from .models import PasswordHistory

    if user.pk and user.password:
        PasswordHistory.objects.create(user=user, password=user.password)


def recently_used(user, raw_password: str) -> bool:
    """Whether `raw_password` is one of the user's last PASSWORD_HISTORY passwords (the current one included)."""
    from .models import PasswordHistory

    keep = settings.PASSWORD_HISTORY
    if keep <= 0 or user is None or not user.pk:
        return False
    hashes = list(
        PasswordHistory.objects.filter(user_id=user.pk).order_by("-created_at", "-pk").values_list("password", flat=True)[:keep]
    )
    if user.password and user.password not in hashes:
        hashes.insert(0, user.password)
    return any(check_password(raw_password, encoded) for encoded in hashes[:keep])


class PasswordHistoryValidator:
    """Refuses any of the user's last PASSWORD_HISTORY passwords."""

    def validate(self, password, user=None):
        if recently_used(user, password):
            raise ValidationError(
                f"The password must differ from your last {settings.PASSWORD_HISTORY} passwords.", code="password_reused"
            )

    def get_help_text(self):
        return f"Your password cannot be one of your last {settings.PASSWORD_HISTORY} passwords."
