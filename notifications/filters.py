"""Query filters of the notification and webhook lists (invalid values: 422 at loc ["query", name])."""

import django_filters

from .kinds import NotificationType, Priority
from .models import Notification, WebhookDelivery, WebhookDeliveryStatus


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label="true: unread only; false: read only")
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    type = django_filters.ChoiceFilter(choices=NotificationType.choices)

    class Meta:
        model = Notification
        fields = ["unread", "priority", "type"]


class WebhookDeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=WebhookDeliveryStatus.choices)
    event = django_filters.CharFilter(field_name="event_name", label="Event name")

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event"]
