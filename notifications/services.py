"""Notifications: the one service every trigger calls (`notify`), reading them (mark read), the
delivery choices of a user, and sending their emails (at once or as a daily digest).

    notify(recipients=[user], type=NotificationType.DEVIATION_ASSIGNED, title="DEV-2026-0001 assigned to you",
           record=("deviation", 12), link="/deviations/12/", event=outbox_event)

Triggers are the domain events (notifications.handlers, after the business write committed) and
the reminder beat jobs (notifications.reminders). A notification is unique per recipient and
`dedupe_key` (kind, record and day, see `dedupe_key`), so a redelivered event or a beat job run
twice (even concurrently) makes it once. Emails go out after commit through Celery; a failed or
lost email stays `pending` and the beat job `send_pending_emails` tries it again.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from qms.errors import NotFound
from qms.permissions import require

from .kinds import DEFAULTS, Delivery, NotificationType, Priority
from .models import EmailStatus, Notification, NotificationPreference

logger = logging.getLogger("qms.notifications")

EMAIL_MAX_ATTEMPTS = 5
ERROR_CHARS = 2000


def dedupe_key(type: str, record: tuple[str, int | None] | None, day: datetime.date, extra: str = "") -> str:
    """`<type>:<resource type>:<id>:<day>` (+ `:<extra>` where one record may see the kind twice a day)."""
    resource_type, resource_id = record or ("", None)
    key = f"{type}:{resource_type}:{resource_id or ''}:{day.isoformat()}"
    return f"{key}:{extra}"[:200] if extra else key


def notify(
    *,
    recipients: Iterable,
    type: str,
    title: str,
    body: str = "",
    link: str = "",
    record: tuple[str, int | None] | None = None,
    priority: str | None = None,
    event=None,
    day: datetime.date | None = None,
    key_extra: str = "",
) -> list[Notification]:
    """Creates one notification of kind `type` per active recipient (users or user ids) that does not
    have it yet for this record and day; returns the new ones. Emails are queued after commit.

    `day` (default: the event's date, else today) is part of the dedupe key: a reminder passes the
    item's due date, so it reminds once per due date; `key_extra` separates e.g. two approvals of one
    record on one day."""
    type = NotificationType(type)
    defaults = DEFAULTS[type]
    priority = Priority(priority or defaults.priority)
    if day is None:
        day = timezone.localdate(event.occurred_at) if event is not None else timezone.localdate()
    key = dedupe_key(type, record, day, key_extra)
    users = _active_users(recipients)
    if not users:
        return []
    choices = dict(NotificationPreference.objects.filter(user__in=users, type=type).values_list("user_id", "delivery"))
    resource_type, resource_id = record or ("", None)
    created = []
    with transaction.atomic():
        for user in users:
            delivery = choices.get(user.pk, defaults.delivery)
            if priority == Priority.URGENT:
                delivery = Delivery.EMAIL  # urgent ones are always emailed, whatever the preference
            email_status = EmailStatus.PENDING if delivery in (Delivery.EMAIL, Delivery.DIGEST) else EmailStatus.NONE
            values = {
                "type": type,
                "priority": priority,
                "title": title[:200],
                "body": body,
                "link": link[:500],
                "resource_type": resource_type[:50],
                "resource_id": resource_id,
                "event_id": getattr(event, "pk", None),
                "delivery": delivery,
                "email_status": email_status,
            }
            notification = _create_once(user, key, values)
            if notification is not None:
                created.append(notification)
        for notification in created:
            if notification.delivery == Delivery.EMAIL:
                transaction.on_commit(partial(_queue_email, notification.pk))
    if created:
        logger.info("%s notification(s) %s: %s", len(created), type, title)
    return created


def _active_users(recipients: Iterable) -> list:
    ids, users = set(), {}
    for r in recipients:
        if r is None:
            continue
        if isinstance(r, int):
            ids.add(r)
        else:
            users[r.pk] = r
    ids -= set(users)
    if ids:
        users.update({u.pk: u for u in get_user_model()._default_manager.filter(pk__in=ids)})
    return [u for _, u in sorted(users.items()) if u.is_active]


def _create_once(user, key: str, values: dict) -> Notification | None:
    """The new notification, or None when `user` already has one with this key (also when a
    concurrent run created it a moment ago: the unique constraint decides)."""
    if Notification.objects.filter(recipient=user, dedupe_key=key).exists():
        return None
    try:
        with transaction.atomic():
            return Notification.objects.create(recipient=user, dedupe_key=key, **values)
    except IntegrityError:
        return None


def _queue_email(notification_id: int) -> None:
    from .tasks import send_notification_email

    try:
        send_notification_email.apply_async((notification_id,), retry=False)
    except Exception:  # the notification is stored; send_pending_emails sends it later
        logger.warning("Email of notification %s not queued now; the beat job sends it later.", notification_id, exc_info=True)


# --- reading ---------------------------------------------------------------------------------------


def mark_read(*, actor, notification_id: int) -> Notification:
    """Marks one of the actor's notifications read (someone else's: 404, as if it did not exist)."""
    require(actor, "notifications.view")
    notification = Notification.objects.filter(pk=notification_id, recipient=actor).first()
    if notification is None:
        raise NotFound("Notification not found.")
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
        notification.refresh_from_db(fields=["read_at"])
    return notification


def mark_all_read(*, actor) -> int:
    """Marks every unread notification of the actor read; returns how many."""
    require(actor, "notifications.view")
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())


def set_preferences(*, actor, choices: dict[str, str]) -> dict[str, str]:
    """Sets the actor's delivery per kind (`{"training_assigned": "digest"}`); returns all of them."""
    require(actor, "notifications.view")
    with transaction.atomic():
        for type, delivery in choices.items():
            type, delivery = NotificationType(type), Delivery(delivery)
            NotificationPreference.objects.update_or_create(user=actor, type=type, defaults={"delivery": delivery})
    return preferences_of(actor)


def preferences_of(user) -> dict[str, str]:
    """The delivery of every kind for `user` (their choice, else the kind's default)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("type", "delivery"))
    return {t.value: chosen.get(t.value, DEFAULTS[t].delivery) for t in NotificationType}


# --- email -------------------------------------------------------------------------------------------


def absolute_link(link: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{link}" if link.startswith("/") and settings.SITE_URL else link


def send_email(notification_id: int) -> bool:
    """Emails one notification whose delivery is email, once; returns whether it was sent now.
    The row is locked while sending, so two workers never both send it; a failure is recorded
    (attempts, error) and left pending for `send_pending_emails`, failed for good after
    EMAIL_MAX_ATTEMPTS."""
    try:
        with transaction.atomic():
            notification = (
                _lock(Notification.objects.filter(pk=notification_id, email_status=EmailStatus.PENDING, delivery=Delivery.EMAIL))
                .select_related("recipient")
                .first()
            )
            if notification is None:
                return False
            recipient = notification.recipient
            if not recipient.email:
                notification.email_status, notification.email_error = EmailStatus.FAILED, "The recipient has no email address."
                notification.save(update_fields=["email_status", "email_error"])
                return False
            context = {"notification": notification, "link": absolute_link(notification.link), "user": recipient}
            subject = f"[QMS]{' URGENT:' if notification.priority == Priority.URGENT else ''} {notification.title}"
            send_mail(
                subject[:200],
                render_to_string("notifications/email.txt", context),
                settings.DEFAULT_FROM_EMAIL,
                [recipient.email],
                fail_silently=False,
            )
            notification.email_status, notification.emailed_at, notification.email_error = EmailStatus.SENT, timezone.now(), ""
            notification.email_attempts += 1
            notification.save(update_fields=["email_status", "emailed_at", "email_error", "email_attempts"])
            return True
    except Exception as exc:
        _email_failed(Notification.objects.filter(pk=notification_id), exc)
        return False


def _email_failed(notifications, exc: Exception) -> None:
    logger.warning("Notification email failed: %s", exc, exc_info=True)
    notifications.update(email_attempts=F("email_attempts") + 1, email_error=str(exc)[:ERROR_CHARS])
    notifications.filter(email_attempts__gte=EMAIL_MAX_ATTEMPTS).update(email_status=EmailStatus.FAILED)


def _lock(qs):
    if connection.features.has_select_for_update_skip_locked:
        return qs.select_for_update(skip_locked=True, of=("self",))
    return qs


def pending_emails(*, older_than: datetime.timedelta = datetime.timedelta(minutes=2), limit: int = 500) -> list[int]:
    """Ids of immediate emails still unsent a while after they were created (broker down, SMTP
    refused): the beat job queues them again, each at most EMAIL_MAX_ATTEMPTS times in all."""
    return list(
        Notification.objects.filter(
            email_status=EmailStatus.PENDING, delivery=Delivery.EMAIL, created_at__lte=timezone.now() - older_than
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def send_digests(*, now: datetime.datetime | None = None) -> int:
    """One email per user listing their notifications waiting for the digest; returns how many
    emails were sent. Each user's rows are locked while their email goes out, so two runs at
    once send each digest once; a failed email leaves the rows for the next run."""
    now = now or timezone.now()
    users = (
        Notification.objects.filter(email_status=EmailStatus.PENDING, delivery=Delivery.DIGEST, created_at__lte=now)
        .order_by()
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    sent = 0
    for user_id in list(users):
        rows = Notification.objects.filter(
            recipient_id=user_id, email_status=EmailStatus.PENDING, delivery=Delivery.DIGEST, created_at__lte=now
        )
        try:
            with transaction.atomic():
                items = list(_lock(rows.order_by("created_at", "pk")).select_related("recipient"))
                if not items:
                    continue
                recipient = items[0].recipient
                if not recipient.email or not recipient.is_active:
                    Notification.objects.filter(pk__in=[n.pk for n in items]).update(
                        email_status=EmailStatus.FAILED, email_error="The recipient has no email address or is inactive."
                    )
                    continue
                for item in items:
                    item.absolute_link = absolute_link(item.link)
                body = render_to_string("notifications/digest.txt", {"user": recipient, "items": items})
                subject = f"[QMS] Your daily digest: {len(items)} notification{'s' if len(items) != 1 else ''}"
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.email], fail_silently=False)
                Notification.objects.filter(pk__in=[n.pk for n in items]).update(
                    email_status=EmailStatus.SENT, emailed_at=timezone.now(), email_attempts=F("email_attempts") + 1
                )
                sent += 1
        except Exception as exc:
            _email_failed(rows, exc)
    return sent


# --- counts for the pages -------------------------------------------------------------------------------


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
