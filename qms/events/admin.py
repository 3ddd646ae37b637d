"""Read-only admin screens for the event outbox (operators redeliver with `manage.py redeliver_events`)."""

from django.contrib import admin
from django.db.models import Count, Q

from qms.admin_services import ReadOnly

from .models import DeliveryStatus, EventDelivery, OutboxEvent


class _ReadOnly(ReadOnly, admin.ModelAdmin):
    actions = None


class EventDeliveryInline(admin.TabularInline):
    model = EventDelivery
    fields = readonly_fields = [
        "handler",
        "status",
        "attempts",
        "last_attempt_at",
        "next_attempt_at",
        "delivered_at",
        "last_error",
    ]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(_ReadOnly):
    list_display = ["id", "occurred_at", "name", "resource_type", "resource_id", "actor_username", "pending", "failed"]
    list_filter = ["name", "resource_type"]
    search_fields = ["name", "actor_username", "request_id"]
    date_hierarchy = "occurred_at"
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]
    inlines = [EventDeliveryInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                pending_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
                failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
            )
        )

    @admin.display(description="pending deliveries", ordering="pending_count")
    def pending(self, obj):
        return obj.pending_count

    @admin.display(description="failed deliveries", ordering="failed_count")
    def failed(self, obj):
        return obj.failed_count


@admin.register(EventDelivery)
class EventDeliveryAdmin(_ReadOnly):
    list_display = ["id", "event", "handler", "status", "attempts", "last_attempt_at", "next_attempt_at", "delivered_at"]
    list_filter = ["status", "handler"]
    search_fields = ["handler", "event__name", "last_error"]
    list_select_related = ["event"]
    readonly_fields = [f.name for f in EventDelivery._meta.fields]
