"""The notifier of account alerts (settings.ACCOUNT_ALERT_NOTIFIER, see accounts.alerts): repeated
failed attempts on an account reach the user administrators as urgent notifications, in the app
and by email (urgent ones are always emailed, whatever their preferences)."""

from __future__ import annotations

from .kinds import NotificationType, Priority
from .services import notify


def notify_administrators(*, subject: str, message: str, recipients: list, data: dict) -> None:
    notify(
        recipients=recipients,
        type=NotificationType.SECURITY_ALERT,
        priority=Priority.URGENT,
        title=subject.removeprefix("[QMS] "),
        body=message,
        link="/audit/",
        record=("user", data.get("user_id")),
        key_extra=f"{data.get('username')}-{data.get('detected_at')}",
    )
