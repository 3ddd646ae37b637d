"""Celery entry points of notifications and webhooks (thin: they call services). The beat schedule
(settings.CELERY_BEAT_SCHEDULE, "notifications-*" and "webhooks-*") runs the periodic ones; every
one is idempotent and safe when two run at once."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

_OPTIONS = {
    "acks_late": True,
    "ignore_result": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(**_OPTIONS)
def send_notification_email(notification_id: int) -> bool:
    """Emails one notification (queued after the commit that created it)."""
    from . import services

    return services.send_email(notification_id)


@shared_task(**_OPTIONS)
def send_pending_emails() -> int:
    """Beat: emails still unsent a while after their notification was made (broker or SMTP down)."""
    from . import services

    ids = services.pending_emails()
    return sum(1 for pk in ids if services.send_email(pk))


@shared_task(**_OPTIONS)
def send_daily_digests() -> int:
    """Beat, daily: one digest email per user with notifications waiting for it."""
    from . import services

    return services.send_digests()


@shared_task(**_OPTIONS)
def send_reminders() -> str:
    """Beat: due-soon and overdue reminders (training, deviations, CAPA actions) and periodic reviews."""
    from . import reminders

    return str(reminders.send_reminders())


@shared_task(**_OPTIONS)
def deliver_webhook(delivery_id: int) -> str | None:
    """One attempt of one webhook delivery (queued after commit, and again after each failure)."""
    from . import webhooks

    return webhooks.deliver(delivery_id)


@shared_task(**_OPTIONS)
def retry_due_webhooks() -> int:
    """Beat: queues webhook deliveries whose next attempt is due (retries the broker lost, first
    attempts queued while it was down)."""
    from . import webhooks

    ids = webhooks.due_deliveries()
    for pk in ids:
        webhooks.queue_delivery(pk)
    return len(ids)
