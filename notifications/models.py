"""Notifications for users (in the app, by email, in a daily digest), their delivery choices, and
outbound webhooks: subscriptions, one delivery per (subscription, event), and each HTTP attempt."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from .kinds import Delivery, NotificationType, Priority


class EmailStatus(models.TextChoices):
    NONE = "none", "Not emailed"
    PENDING = "pending", "To be emailed"
    SENT = "sent", "Emailed"
    FAILED = "failed", "Email failed"


class Notification(models.Model):
    """One message to one user. `dedupe_key` is unique per recipient: the same trigger seen twice
    (an event redelivered, a beat job run twice) makes one notification."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    type = models.CharField(max_length=40, choices=NotificationType.choices)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True, help_text="Page of the record, relative to the site")
    resource_type = models.CharField(max_length=50, blank=True)
    resource_id = models.BigIntegerField(null=True, blank=True)
    event_id = models.BigIntegerField(null=True, blank=True, help_text="The domain event that caused it, if any")
    dedupe_key = models.CharField(max_length=200)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.IN_APP)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.NONE)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notification_dedupe_uniq")]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
            models.Index(fields=["email_status", "delivery"], name="notification_email_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} for {self.recipient_id}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """How one user wants to hear of one kind of notification (without a row: the kind's default)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences")
    type = models.CharField(max_length=40, choices=NotificationType.choices)
    delivery = models.CharField(max_length=10, choices=Delivery.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "type"], name="notification_preference_uniq")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.type}: {self.delivery}"


class WebhookSubscription(models.Model):
    """An outbound integration: these events are POSTed, signed with `secret`, to `url`."""

    audit_resource_type = "webhook"
    audit_fields = ["url", "events", "active", "description"]

    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="Event names, '<prefix>.*' or '*'")
    secret = models.CharField(max_length=128, help_text="HMAC-SHA256 key of the signature header; shown once")
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    row_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"Webhook {self.pk} → {self.url}"


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event for one subscription, tried until a 2xx answer or out of tries."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.BigIntegerField(help_text="The domain event (outbox) it carries")
    event_name = models.CharField(max_length=100)
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, help_text="X-QMS-Delivery")
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=WebhookDeliveryStatus.choices, default=WebhookDeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [models.UniqueConstraint(fields=["subscription", "event_id"], name="webhook_delivery_event_uniq")]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=models.Q(status="pending"), name="webhook_delivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} → webhook {self.subscription_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery: the log shown by /api/webhooks/{id}/deliveries."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempt = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"Attempt {self.attempt} of delivery {self.delivery_id}: {self.status_code or self.error[:40]}"
