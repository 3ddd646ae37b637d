"""Models of the project package: the domain-event outbox (qms.events)."""

from .events.models import DeliveryStatus, EventDelivery, OutboxEvent

__all__ = ["DeliveryStatus", "EventDelivery", "OutboxEvent"]
