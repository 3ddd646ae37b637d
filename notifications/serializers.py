"""Shapes of the notification and webhook API (input validation only; rules live in the services)."""

from rest_framework import serializers

from .kinds import Delivery, NotificationType, Priority
from .models import Notification, WebhookAttempt, WebhookDelivery, WebhookSubscription


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "type",
            "priority",
            "title",
            "body",
            "link",
            "resource_type",
            "resource_id",
            "created_at",
            "read_at",
            "is_read",
            "delivery",
            "email_status",
        ]
        read_only_fields = fields

    def get_is_read(self, obj) -> bool:
        return obj.read_at is not None


class MarkAllReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications were unread")
    unread = serializers.IntegerField()


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()
    by_priority = serializers.DictField(child=serializers.IntegerField())


class PreferenceSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=NotificationType.choices)
    label = serializers.CharField(read_only=True)
    delivery = serializers.ChoiceField(choices=Delivery.choices)
    default = serializers.ChoiceField(choices=Delivery.choices, read_only=True)
    always_emailed = serializers.BooleanField(read_only=True, help_text="Urgent kinds are emailed whatever the choice")


class PreferencesUpdateSerializer(serializers.Serializer):
    preferences = serializers.DictField(
        child=serializers.ChoiceField(choices=Delivery.choices),
        help_text='Delivery per kind, e.g. {"training_assigned": "digest", "approval_needed": "email"}',
    )

    def validate_preferences(self, value):
        unknown = sorted(set(value) - set(NotificationType.values))
        if unknown:
            raise serializers.ValidationError(f"Unknown notification kind(s): {', '.join(unknown)}.")
        return value


PRIORITIES = Priority.choices


# --- webhooks ----------------------------------------------------------------------------------------------


class WebhookSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "active", "description", "created_at", "updated_at", "row_version"]
        read_only_fields = fields


class WebhookWithSecretSerializer(WebhookSerializer):
    secret = serializers.CharField(help_text="Shown once, now: keep it to verify X-QMS-Signature")

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookWriteSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(child=serializers.CharField(max_length=100), min_length=1, max_length=100)
    active = serializers.BooleanField(default=True)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class WebhookUpdateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500, required=False)
    events = serializers.ListField(child=serializers.CharField(max_length=100), min_length=1, max_length=100, required=False)
    active = serializers.BooleanField(required=False)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class WebhookReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["attempt", "started_at", "status_code", "duration_ms", "error"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "delivery_id",
            "event_id",
            "event_name",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_duration_ms",
            "last_error",
            "created_at",
            "delivered_at",
            "attempt_log",
        ]
        read_only_fields = fields


class WebhookDeliveryDetailSerializer(WebhookDeliverySerializer):
    class Meta(WebhookDeliverySerializer.Meta):
        fields = [*WebhookDeliverySerializer.Meta.fields, "payload"]
        read_only_fields = fields


class EventNameSerializer(serializers.Serializer):
    name = serializers.CharField()
