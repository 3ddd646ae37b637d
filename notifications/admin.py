"""Read-only admin screens for notifications and webhooks: subscriptions are changed through the
API (webhooks.manage, audited), deliveries are redelivered through the API."""

from django.contrib import admin

from qms.admin_services import ReadOnly

from .models import Notification, WebhookAttempt, WebhookDelivery, WebhookSubscription


class _ReadOnly(ReadOnly, admin.ModelAdmin):
    actions = None


@admin.register(Notification)
class NotificationAdmin(_ReadOnly):
    list_display = ["id", "created_at", "recipient", "type", "priority", "title", "read_at", "delivery", "email_status"]
    list_filter = ["type", "priority", "delivery", "email_status"]
    search_fields = ["title", "recipient__username"]
    list_select_related = ["recipient"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(_ReadOnly):
    list_display = ["id", "url", "active", "description", "created_at"]
    exclude = ["secret"]


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = readonly_fields = ["attempt", "started_at", "status_code", "duration_ms", "error"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(_ReadOnly):
    list_display = ["id", "created_at", "subscription", "event_name", "status", "attempts", "last_status_code"]
    list_filter = ["status", "event_name"]
    exclude = ["payload"]
    inlines = [WebhookAttemptInline]
