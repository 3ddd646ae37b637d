"""The transactional outbox: events stored in the transaction of the change they describe, and one
delivery row per (event, handler) recording how handing the event to that handler went."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class OutboxEvent(models.Model):
    """Something that happened to a record, written in the same transaction as the change."""

    name = models.CharField(max_length=100, db_index=True, help_text="e.g. document.effective")
    resource_type = models.CharField(max_length=50, blank=True, help_text="Record type, named as in the audit trail")
    resource_id = models.BigIntegerField(null=True, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True, help_text="User who caused it; empty for the system")
    actor_username = models.CharField(max_length=150, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    occurred_at = models.DateTimeField(db_index=True)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["resource_type", "resource_id"], name="qms_outbox_resource_idx")]
        verbose_name = "outbox event"

    def __str__(self) -> str:
        record = f" {self.resource_type} {self.resource_id}" if self.resource_type else ""
        return f"#{self.pk} {self.name}{record}"

    @property
    def actor(self):
        """The acting user (one query), or None for the system."""
        if self.actor_id is None:
            return None
        return get_user_model()._default_manager.filter(pk=self.actor_id).first()

    def payload(self) -> dict:
        """The JSON form handlers hand on (webhooks, notifications)."""
        return {
            "id": self.pk,
            "event": self.name,
            "occurred_at": self.occurred_at.isoformat().replace("+00:00", "Z"),
            "resource_type": self.resource_type or None,
            "resource_id": self.resource_id,
            "actor": {"id": self.actor_id, "username": self.actor_username} if self.actor_id else None,
            "request_id": self.request_id or None,
            "data": self.data,
        }


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class EventDelivery(models.Model):
    """Handing one event to one handler: retried with backoff until it succeeds or runs out of attempts."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    handler = models.CharField(max_length=100)
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When a dispatcher may next take it (also the end of a running attempt's claim)"
    )
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["event", "handler"], name="qms_delivery_event_handler_uniq")]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=models.Q(status="pending"), name="qms_delivery_pending_idx"),
            models.Index(fields=["handler", "status"], name="qms_delivery_handler_idx"),
        ]
        verbose_name = "event delivery"
        verbose_name_plural = "event deliveries"

    def __str__(self) -> str:
        return f"{self.handler} ← event #{self.event_id} ({self.status})"
