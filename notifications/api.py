"""REST endpoints of notifications (the caller's own) and webhooks (webhooks.manage):

GET /api/notifications/ (unread=, priority=, type=), POST /api/notifications/{id}/mark-read,
POST /api/notifications/mark-all-read, GET /api/notifications/unread-count,
GET|PUT /api/notifications/preferences;
GET|POST /api/webhooks/, GET|PUT|PATCH|DELETE /api/webhooks/{id}, POST /api/webhooks/{id}/rotate-secret,
GET /api/webhooks/{id}/deliveries, GET /api/webhooks/{id}/deliveries/{delivery_id},
POST /api/webhooks/{id}/deliveries/{delivery_id}/redeliver, GET /api/webhooks/events.
"""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from qms.api.exceptions import RequestValidationError
from qms.api.filters import QueryFilterBackend
from qms.api.lists import ListModelMixin
from qms.api.request_data import REASON_QUERY_PARAMETER, reason_from, validated
from qms.api.schema import error_responses
from qms.api.sorting import SortFilter
from qms.errors import NotFound
from qms.events import catalogue

from . import selectors, services, webhooks
from .filters import NotificationFilter, WebhookDeliveryFilter
from .kinds import DEFAULTS, NotificationType, Priority
from .models import Notification, WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription
from .serializers import (
    EventNameSerializer,
    MarkAllReadSerializer,
    NotificationSerializer,
    PreferenceSerializer,
    PreferencesUpdateSerializer,
    UnreadCountSerializer,
    WebhookDeliveryDetailSerializer,
    WebhookDeliverySerializer,
    WebhookReasonSerializer,
    WebhookSerializer,
    WebhookUpdateSerializer,
    WebhookWithSecretSerializer,
    WebhookWriteSerializer,
)

VIEW = "notifications.view"
MANAGE = "webhooks.manage"


def preference_rows(user) -> list[dict]:
    chosen = services.preferences_of(user)
    return [
        {
            "type": kind.value,
            "label": kind.label,
            "delivery": chosen[kind.value],
            "default": DEFAULTS[kind].delivery,
            "always_emailed": DEFAULTS[kind].priority == Priority.URGENT,
        }
        for kind in NotificationType
    ]


@extend_schema(tags=["notifications"])
@extend_schema_view(
    list=extend_schema(
        summary="List my notifications",
        description="Your notifications, newest first. Filters: `unread=true` (or false), `priority` "
        "(low, normal, high, urgent), `type`. Sort: created_at, priority.",
        responses={200: NotificationSerializer(many=True), **error_responses(401, 403, 422)},
    ),
)
class NotificationViewSet(ListModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    filter_backends = [QueryFilterBackend, SortFilter]
    sort_fields = ["created_at", "priority", "read_at"]
    default_sort = ["-created_at", "-pk"]
    required_permissions = {"*": VIEW}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return selectors.notifications_of(self.request.user)

    @extend_schema(
        request=None,
        responses={200: NotificationSerializer, **error_responses(401, 403, 404)},
        description="Marks one of your notifications read (idempotent). Someone else's is a 404.",
    )
    @action(detail=True, methods=["post"], url_path="mark-read")
    def mark_read(self, request, pk=None):
        notification = services.mark_read(actor=request.user, notification_id=int(pk))
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        request=None,
        responses={200: MarkAllReadSerializer, **error_responses(401, 403)},
        description="Marks all your unread notifications read.",
    )
    @action(detail=False, methods=["post"], url_path="mark-all-read")
    def mark_all_read(self, request):
        marked = services.mark_all_read(actor=request.user)
        return Response({"marked": marked, "unread": selectors.unread_count(request.user)})

    @extend_schema(
        responses={200: UnreadCountSerializer, **error_responses(401, 403)}, description="Your unread count (the bell)."
    )
    @action(detail=False, methods=["get"], url_path="unread-count", filter_backends=[], pagination_class=None)
    def unread_count(self, request):
        return Response(
            {"unread": selectors.unread_count(request.user), "by_priority": selectors.unread_by_priority(request.user)}
        )

    @extend_schema(
        methods=["GET"],
        responses={200: PreferenceSerializer(many=True), **error_responses(401, 403)},
        description="How you hear of each kind: `in_app` (only here), `email` (at once) or `digest` (one email a "
        "day). Urgent notifications are always emailed.",
    )
    @extend_schema(
        methods=["PUT"],
        request=PreferencesUpdateSerializer,
        responses={200: PreferenceSerializer(many=True), **error_responses(401, 403, 422)},
        description='Sets the delivery of the kinds sent, e.g. {"preferences": {"training_assigned": "digest"}}.',
    )
    @action(detail=False, methods=["get", "put"], filter_backends=[], pagination_class=None)
    def preferences(self, request):
        if request.method == "PUT":
            data = validated(PreferencesUpdateSerializer, request)
            services.set_preferences(actor=request.user, choices=data["preferences"])
        return Response(preference_rows(request.user))


@extend_schema(tags=["webhooks"])
@extend_schema_view(
    list=extend_schema(
        summary="List webhooks",
        description="Webhook subscriptions (never their secrets).",
        responses={200: WebhookSerializer(many=True), **error_responses(401, 403, 422)},
    ),
)
class WebhookViewSet(ListModelMixin, viewsets.GenericViewSet):
    serializer_class = WebhookSerializer
    filterset_class = None
    filter_backends = [SortFilter]
    sort_fields = ["created_at", "url"]
    default_sort = ["pk"]
    required_permissions = {"*": MANAGE}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookSubscription.objects.none()
        return selectors.webhook_list()

    def _subscription(self, request, pk) -> WebhookSubscription:
        return webhooks.subscription_for(request.user, pk)

    @extend_schema(
        request=WebhookWriteSerializer,
        responses={201: WebhookWithSecretSerializer, **error_responses(401, 403, 422)},
        description="Subscribes `url` to `events` (names from GET /api/webhooks/events, `<prefix>.*` or `*`). "
        "The answer carries the signing `secret`, shown this once. URLs resolving to private or loopback "
        "addresses are refused (422 WEBHOOK_URL_REFUSED).",
    )
    def create(self, request):
        data = validated(WebhookWriteSerializer, request)
        subscription = webhooks.create_subscription(actor=request.user, **data)
        return Response(WebhookWithSecretSerializer(subscription).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: WebhookSerializer, **error_responses(401, 403, 404)})
    def retrieve(self, request, pk=None):
        return Response(WebhookSerializer(self._subscription(request, pk)).data)

    @extend_schema(
        request=WebhookUpdateSerializer,
        responses={200: WebhookSerializer, **error_responses(401, 403, 404, 422)},
        description="Changes the fields sent (url, events, active, description); `reason` goes to the audit trail.",
    )
    def update(self, request, pk=None):
        subscription = self._subscription(request, pk)
        data = validated(WebhookUpdateSerializer, request, partial=True)
        reason = data.pop("reason", "")
        subscription = webhooks.update_subscription(actor=request.user, subscription=subscription, changes=data, reason=reason)
        return Response(WebhookSerializer(subscription).data)

    @extend_schema(
        request=WebhookUpdateSerializer,
        responses={200: WebhookSerializer, **error_responses(401, 403, 404, 422)},
        description="Same as PUT: changes the fields sent.",
    )
    def partial_update(self, request, pk=None):
        return self.update(request, pk)

    @extend_schema(
        parameters=[REASON_QUERY_PARAMETER],
        responses={204: OpenApiResponse(description="Deleted"), **error_responses(401, 403, 404)},
        description="Deletes the subscription and its delivery log (the audit trail keeps what it was).",
    )
    def destroy(self, request, pk=None):
        webhooks.delete_subscription(
            actor=request.user, subscription=self._subscription(request, pk), reason=reason_from(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=WebhookReasonSerializer,
        responses={200: WebhookWithSecretSerializer, **error_responses(401, 403, 404)},
        description="Replaces the signing secret; the new one is shown this once.",
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        data = validated(WebhookReasonSerializer, request)
        subscription = webhooks.rotate_secret(
            actor=request.user, subscription=self._subscription(request, pk), reason=data["reason"]
        )
        return Response(WebhookWithSecretSerializer(subscription).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=WebhookDeliveryStatus.values, description="pending, succeeded or failed"),
            OpenApiParameter("event", str, description="Event name"),
        ],
        responses={200: WebhookDeliverySerializer(many=True), **error_responses(401, 403, 404, 422)},
        description="The delivery log, newest first: status, attempts, last status code, duration and error, and "
        "every HTTP attempt. Filters: status, event.",
    )
    @action(detail=True, methods=["get"], filter_backends=[], serializer_class=WebhookDeliverySerializer)
    def deliveries(self, request, pk=None):
        subscription = self._subscription(request, pk)
        filterset = WebhookDeliveryFilter(request.query_params, queryset=selectors.deliveries_of(subscription))
        if not filterset.is_valid():
            raise RequestValidationError(filterset.errors)
        page = self.paginate_queryset(filterset.qs)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    def _delivery(self, request, pk, delivery_pk) -> WebhookDelivery:
        subscription = self._subscription(request, pk)
        delivery = (
            WebhookDelivery.objects.filter(subscription=subscription, pk=delivery_pk)
            .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("pk")))
            .first()
        )
        if delivery is None:
            raise NotFound("Delivery not found.")
        return delivery

    @extend_schema(responses={200: WebhookDeliveryDetailSerializer, **error_responses(401, 403, 404)})
    @action(
        detail=True, methods=["get"], url_path=r"deliveries/(?P<delivery_pk>[0-9]+)", filter_backends=[], pagination_class=None
    )
    def delivery(self, request, pk=None, delivery_pk=None):
        return Response(WebhookDeliveryDetailSerializer(self._delivery(request, pk, delivery_pk)).data)

    @extend_schema(
        request=WebhookReasonSerializer,
        responses={202: WebhookDeliverySerializer, **error_responses(401, 403, 404)},
        description="Sends the delivery again (a fresh round of tries with the same X-QMS-Delivery id).",
    )
    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<delivery_pk>[0-9]+)/redeliver", filter_backends=[])
    def redeliver(self, request, pk=None, delivery_pk=None):
        data = validated(WebhookReasonSerializer, request)
        delivery = webhooks.redeliver(
            actor=request.user, delivery=self._delivery(request, pk, delivery_pk), reason=data["reason"]
        )
        return Response(WebhookDeliverySerializer(self._delivery(request, pk, delivery.pk)).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={200: EventNameSerializer(many=True), **error_responses(401, 403)},
        description="Every event name a webhook may subscribe to.",
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def events(self, request):
        return Response([{"name": name} for name in catalogue()])
