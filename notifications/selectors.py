"""Reads of notifications and webhooks shared by the API and the pages (bounded queries)."""

from django.db.models import Prefetch, QuerySet

from .models import Notification, WebhookAttempt, WebhookDelivery, WebhookSubscription


def notifications_of(user) -> QuerySet[Notification]:
    """The user's own notifications, newest first (nobody sees anyone else's)."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def unread_by_priority(user) -> dict[str, int]:
    from django.db.models import Count

    rows = Notification.objects.filter(recipient=user, read_at__isnull=True).values("priority").annotate(n=Count("pk")).order_by()
    return {row["priority"]: row["n"] for row in rows}


def webhook_list() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.order_by("pk")


def deliveries_of(subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    """The subscription's delivery log, newest first, each with its attempts (one more query per page)."""
    return (
        WebhookDelivery.objects.filter(subscription=subscription)
        .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("pk")))
        .order_by("-pk")
    )
