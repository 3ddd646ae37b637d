"""The kinds of notification: each with its label, default priority and default delivery.

A user may choose per kind how they hear of it (notifications.models.NotificationPreference):
in the app only, by email at once, or in a daily digest email. Urgent ones are always emailed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Delivery(models.TextChoices):
    IN_APP = "in_app", "In the app only"
    EMAIL = "email", "Email at once"
    DIGEST = "digest", "Daily digest email"


class NotificationType(models.TextChoices):
    APPROVAL_NEEDED = "approval_needed", "Approval needed"
    APPROVAL_GIVEN = "approval_given", "Approval given"
    APPROVAL_REJECTED = "approval_rejected", "Rejected"
    TRAINING_ASSIGNED = "training_assigned", "Training assigned"
    TRAINING_DUE_SOON = "training_due_soon", "Training due soon"
    TRAINING_OVERDUE = "training_overdue", "Training overdue"
    DEVIATION_ASSIGNED = "deviation_assigned", "Deviation assigned"
    DEVIATION_DUE_SOON = "deviation_due_soon", "Deviation due soon"
    DEVIATION_OVERDUE = "deviation_overdue", "Deviation overdue"
    CAPA_CREATED = "capa_created", "CAPA created"
    CAPA_DRAFT_APPROVED = "capa_draft_approved", "CAPA draft approved"
    CAPA_ACTION_ASSIGNED = "capa_action_assigned", "CAPA action assigned"
    CAPA_ACTION_DUE_SOON = "capa_action_due_soon", "CAPA action due soon"
    CAPA_ACTION_OVERDUE = "capa_action_overdue", "CAPA action overdue"
    EFFECTIVENESS_DUE = "effectiveness_due", "Effectiveness review due"
    CAPA_CLOSED = "capa_closed", "CAPA closed"
    DOCUMENT_REVIEW_DUE = "document_review_due", "Periodic document review due"
    SECURITY_ALERT = "security_alert", "Security alert"


@dataclass(frozen=True)
class TypeDefaults:
    priority: str
    delivery: str


DEFAULTS: dict[str, TypeDefaults] = {
    NotificationType.APPROVAL_NEEDED: TypeDefaults(Priority.HIGH, Delivery.EMAIL),
    NotificationType.APPROVAL_GIVEN: TypeDefaults(Priority.NORMAL, Delivery.IN_APP),
    NotificationType.APPROVAL_REJECTED: TypeDefaults(Priority.HIGH, Delivery.EMAIL),
    NotificationType.TRAINING_ASSIGNED: TypeDefaults(Priority.NORMAL, Delivery.EMAIL),
    NotificationType.TRAINING_DUE_SOON: TypeDefaults(Priority.NORMAL, Delivery.DIGEST),
    NotificationType.TRAINING_OVERDUE: TypeDefaults(Priority.HIGH, Delivery.EMAIL),
    NotificationType.DEVIATION_ASSIGNED: TypeDefaults(Priority.HIGH, Delivery.EMAIL),
    NotificationType.DEVIATION_DUE_SOON: TypeDefaults(Priority.NORMAL, Delivery.DIGEST),
    NotificationType.DEVIATION_OVERDUE: TypeDefaults(Priority.HIGH, Delivery.EMAIL),
    NotificationType.CAPA_CREATED: TypeDefaults(Priority.NORMAL, Delivery.IN_APP),
    NotificationType.CAPA_DRAFT_APPROVED: TypeDefaults(Priority.NORMAL, Delivery.IN_APP),
    NotificationType.CAPA_ACTION_ASSIGNED: TypeDefaults(Priority.HIGH, Delivery.EMAIL),
    NotificationType.CAPA_ACTION_DUE_SOON: TypeDefaults(Priority.NORMAL, Delivery.DIGEST),
    NotificationType.CAPA_ACTION_OVERDUE: TypeDefaults(Priority.HIGH, Delivery.EMAIL),
    NotificationType.EFFECTIVENESS_DUE: TypeDefaults(Priority.HIGH, Delivery.EMAIL),
    NotificationType.CAPA_CLOSED: TypeDefaults(Priority.LOW, Delivery.IN_APP),
    NotificationType.DOCUMENT_REVIEW_DUE: TypeDefaults(Priority.NORMAL, Delivery.DIGEST),
    NotificationType.SECURITY_ALERT: TypeDefaults(Priority.URGENT, Delivery.EMAIL),
}
