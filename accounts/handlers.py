"""Handlers of the accounts app's events (registered from AccountsConfig.ready)."""

from qms.events import OutboxEvent, subscribe

from .events import UserEvent


@subscribe(UserEvent.FAILED_ATTEMPTS_ALERT, name="accounts.alert_administrators")
def alert_administrators(event: OutboxEvent) -> None:
    """Tells the administrators (accounts.alerts); a delivery failure (mail server down) is retried."""
    from . import alerts

    alerts.notify_administrators(event.data)
