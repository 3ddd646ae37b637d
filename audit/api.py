"""REST endpoints: the audit trail (list, detail, export, chain verification) and electronic signatures."""

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from qms.api.exceptions import RequestValidationError
from qms.api.request_data import validated
from qms.api.schema import error_responses
from qms.errors import InvalidInput

from . import selectors, services, signatures
from .exports import csv_stream, pdf_report
from .filters import AuditEventFilter, SignatureFilter, applied_filters
from .serializers import (
    AuditEventSerializer,
    ChainVerificationSerializer,
    SignatureCreateSerializer,
    SignatureDetailSerializer,
    SignatureSerializer,
)

EXPORT_FORMATS = ("csv", "pdf")


def pdf_max_events() -> int:
    return getattr(settings, "AUDIT_PDF_MAX_EVENTS", 5000)


_FILTER_PARAMETERS = [
    OpenApiParameter("user_id", int, description="The acting user's id"),
    OpenApiParameter("action", str, description="Action, e.g. login or update; comma-separated for several"),
    OpenApiParameter("resource_type", str, description="Record type, e.g. document, user, group"),
    OpenApiParameter("resource_id", int, description="Record id"),
    OpenApiParameter("date_from", str, description="From this date (YYYY-MM-DD) or ISO 8601 date-time, UTC"),
    OpenApiParameter("date_to", str, description="Up to this date-time, or to the end of this date, UTC"),
    OpenApiParameter("request_id", str, description="The X-Request-ID of the request that caused the events"),
    OpenApiParameter("q", str, description="Text in the summary"),
]


@extend_schema_view(
    list=extend_schema(
        parameters=_FILTER_PARAMETERS,
        responses={200: AuditEventSerializer(many=True), **error_responses(401, 403, 422)},
        description="Requires audit.view. Sort with e.g. `sort=timestamp desc` (default: newest first).",
    ),
    retrieve=extend_schema(responses={200: AuditEventSerializer, **error_responses(401, 403, 404)}),
)
@extend_schema(tags=["audit"])
class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The audit trail: read-only, filterable, exportable, verifiable."""

    serializer_class = AuditEventSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_class = AuditEventFilter
    sort_fields = {
        "timestamp": "sequence",
        "sequence": "sequence",
        "action": "action",
        "user_id": "actor_id",
        "username": "actor_username",
        "resource_type": "resource_type",
        "resource_id": "resource_id",
    }
    default_sort = ["-sequence"]
    required_permissions = {"list": "audit.view", "retrieve": "audit.view", "export": "audit.export", "verify": "audit.verify"}

    def get_queryset(self):
        return selectors.audit_events()

    def perform_content_negotiation(self, request, force=False):
        # `?format=csv|pdf` names the export format here, not a DRF renderer.
        if getattr(self, "action", None) == "export":
            return JSONRenderer(), JSONRenderer.media_type
        return super().perform_content_negotiation(request, force)

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=["csv", "pdf"], description="csv (default, streamed) or pdf"),
            *_FILTER_PARAMETERS,
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV, one row per event, oldest first"),
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="PDF report"),
            **error_responses(401, 403, 422),
        },
        description="Requires audit.export. Same filters as the list. The export itself is recorded in the audit "
        "trail (action `export`). The PDF shows the title, filters applied, generation time, exporter and page "
        "numbers; filtered to one record (`resource_type` + `resource_id`) it also prints that record's electronic "
        "signatures (printed name, date and time UTC, meaning). PDF exports are limited to 5000 events.",
    )
    @action(detail=False, methods=["get"], filter_backends=[])
    def export(self, request):
        export_format = request.query_params.get("format", "csv").lower()
        if export_format not in EXPORT_FORMATS:
            raise RequestValidationError({"format": ["format must be csv or pdf."]})
        filterset = AuditEventFilter(request.query_params, queryset=selectors.audit_events())
        if not filterset.is_valid():
            raise RequestValidationError(filterset.errors)
        # Export what was committed when the request arrived (not the export's own event).
        queryset = filterset.qs.filter(sequence__lte=selectors.chain_length()).order_by("sequence")
        total = queryset.count()
        if export_format == "pdf" and total > pdf_max_events():
            raise RequestValidationError(
                {
                    "format": [
                        f"A PDF export is limited to {pdf_max_events()} events and {total} match; "
                        "narrow the filters or export CSV."
                    ]
                }
            )
        filters = applied_filters(filterset)
        services.record_export(actor=request.user, export_format=export_format, filters=filters, events=total)
        now = timezone.now()
        filename = f"audit-trail-{now:%Y%m%d-%H%M%S}.{export_format}"
        if export_format == "csv":
            response = StreamingHttpResponse(csv_stream(queryset), content_type="text/csv; charset=utf-8")
        else:
            body = pdf_report(
                queryset.iterator(chunk_size=500),
                total=total,
                filters=filters,
                exporter=f"{request.user.display_name} ({request.user.username})",
                generated_at=now,
                signatures=_record_signatures(request.user, filters),
            )
            response = HttpResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["X-Audit-Events"] = str(total)
        return response

    @extend_schema(
        responses={200: ChainVerificationSerializer, **error_responses(401, 403)},
        description="Requires audit.verify. Recomputes every event's hash along the chain; reports the first "
        "event that does not match (`valid: false`).",
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def verify(self, request):
        result = services.verify_chain()
        return Response(ChainVerificationSerializer({**result.as_dict(), "checked_at": timezone.now()}).data)


def _record_signatures(user, filters: dict):
    """The signatures of the one record a PDF export is filtered to (none for wider exports)."""
    if "resource_type" not in filters or "resource_id" not in filters or not user.has_qms_permission("signatures.view"):
        return []
    return (
        selectors.signatures_visible_to(user)
        .filter(resource_type=filters["resource_type"], resource_id=filters["resource_id"])
        .order_by("signed_at", "pk")
    )


@extend_schema_view(
    list=extend_schema(
        responses={200: SignatureSerializer(many=True), **error_responses(401, 403, 422)},
        description="Requires signatures.view. Lists only signatures on records the caller may view (e.g. group "
        "signatures need groups.view).",
    ),
)
@extend_schema(tags=["signatures"])
class SignatureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Electronic signatures (21 CFR Part 11): apply with password re-authentication, list, verify."""

    serializer_class = SignatureSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_class = SignatureFilter
    sort_fields = ["signed_at", "signature_type", "signer_username", "resource_type"]
    default_sort = ["-signed_at"]
    required_permissions = {"list": "signatures.view", "retrieve": "signatures.view", "create": "signatures.sign"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.signatures().none()
        return selectors.signatures_visible_to(self.request.user)

    @extend_schema(
        responses={200: SignatureDetailSerializer, **error_responses(401, 403, 404)},
        description="Requires signatures.view and the view permission of the signed record type (otherwise 404). "
        "`verification.valid` is false when the signed record changed after signing "
        "(content_hash_matches false) or the signature row was altered (signature_hash_matches false).",
    )
    def retrieve(self, request, *args, **kwargs):
        return Response(SignatureDetailSerializer(self.get_object()).data)

    @extend_schema(
        request=SignatureCreateSerializer,
        responses={201: SignatureDetailSerializer, **error_responses(401, 403, 404, 422)},
        description="Signs a record: `document_id` (seed 000) or `resource_type` + `resource_id`, with the "
        "signer's password. A wrong password is 401 SIGNATURE_AUTH_FAILED, counts toward account lockout and "
        "is audited; locked or deactivated accounts cannot sign.",
    )
    def create(self, request):
        data = validated(SignatureCreateSerializer, request)
        try:
            record = signatures.get_signable(data["resource_type"], data["resource_id"])
        except InvalidInput as exc:
            if "document_id" in request.data:
                exc.field = "document_id"
            raise
        signature = signatures.sign(
            signer=request.user,
            password=data["password"],
            record=record,
            signature_type=data["signature_type"],
            intent=data["intent"],
            reason=data.get("reason", ""),
            resource_type=data["resource_type"],
        )
        return Response(SignatureDetailSerializer(signature).data, status=status.HTTP_201_CREATED)
