"""REST endpoints: the audit trail (list, detail, export, chain verification) and electronic signatures."""

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from qms.api.exceptions import RequestValidationError
from qms.api.lists import ListModelMixin
from qms.api.request_data import validated
from qms.api.schema import error_responses
from qms.errors import InvalidInput

from . import actions, selectors, services, signatures
from .filters import AuditEventFilter, SignatureFilter
from .serializers import (
    AuditEventSerializer,
    ChainVerificationSerializer,
    SignatureCreateSerializer,
    SignatureDetailSerializer,
    SignatureSerializer,
)

_RECORD_PARAMETERS = [
    OpenApiParameter(
        "resource_type",
        str,
        description="Record type, e.g. document, user, group: the record's events and those of the records it is the "
        "subject of (with resource_id: a document's trail includes its versions' events and signatures)",
    ),
    OpenApiParameter("resource_id", int, description="Record id (same rule: the record or its subject)"),
    OpenApiParameter("subject_type", str, description="Subject (root record) type only"),
    OpenApiParameter("subject_id", int, description="Subject (root record) id only"),
]
_FILTER_PARAMETERS = [
    OpenApiParameter("user_id", int, description="The acting user's id"),
    OpenApiParameter(
        "action",
        {"type": "array", "items": {"type": "string", "enum": actions.values()}},
        style="form",
        explode=False,
        description="Action; comma-separated for several. Every action of every module: "
        + ", ".join(f"`{a.value}` ({a.label})" for a in actions.catalogue()),
    ),
    *_RECORD_PARAMETERS,
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
class AuditEventViewSet(ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
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
        description="Requires audit.export. Same filters as the list (`resource_type` + `resource_id`: the record's "
        "whole trail, including the records it is the subject of). The export itself is recorded in the audit trail "
        "(action `export`). Both formats end with a signed statement of the chain head at export time (sequence, "
        "head hash, time, key id, HMAC signature; in the CSV after an empty line, with its own header row). The PDF "
        "shows the title, filters applied, generation time, exporter and page numbers; filtered to one record it "
        "also prints the electronic signatures of that record and of the records it is the subject of (printed "
        "name, date and time UTC, meaning). PDF exports are limited to 5000 events.",
    )
    @action(detail=False, methods=["get"], filter_backends=[])
    def export(self, request):
        params = request.query_params.dict()
        export_format = params.pop("format", "csv")
        try:
            export = services.export_trail(actor=request.user, export_format=export_format, filters=params)
        except services.ExportRejected as exc:
            raise RequestValidationError(exc.errors) from exc
        if export.export_format == "csv":
            response = StreamingHttpResponse(export.content, content_type=export.content_type)
        else:
            response = HttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        response["X-Audit-Events"] = str(export.events)
        response["X-Audit-Chain-Sequence"] = str(export.statement["sequence"])
        return response

    @extend_schema(
        responses={200: ChainVerificationSerializer, **error_responses(401, 403)},
        description="Requires audit.verify. Recomputes every event's hash along the keyed chain and compares the "
        "chain with the signed checkpoints kept outside the database: a rewritten or re-hashed event, events removed "
        "from the end, or a deleted checkpoint make it `valid: false` with the first `problem` (and all in "
        "`problems`).",
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def verify(self, request):
        result = services.verify_chain()
        return Response(ChainVerificationSerializer({**result.as_dict(), "checked_at": timezone.now()}).data)


@extend_schema_view(
    list=extend_schema(
        responses={200: SignatureSerializer(many=True), **error_responses(401, 403, 422)},
        description="Requires signatures.view. Lists (and counts) only signatures on records the caller may view: "
        "each signable record type decides (group signatures need groups.view; readers of documents see only the "
        "signatures over effective versions). `document_id` lists a document's signatures and its versions' "
        "(approvals included); `resource_type` + `resource_id` likewise include the records it is the subject of.",
    ),
)
@extend_schema(tags=["signatures"])
class SignatureViewSet(ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
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
        visible = selectors.signatures_visible_to(self.request.user)
        # A list row does not show the signed content (the detail does).
        return visible.defer("signed_content") if self.action == "list" else visible

    @extend_schema(
        responses={200: SignatureDetailSerializer, **error_responses(401, 403, 404)},
        description="Requires signatures.view, and that the caller may view the signed record (otherwise 404). "
        "`verification.valid` is false when the signed record changed after signing "
        "(content_hash_matches false), the signature row was altered (signature_hash_matches false) or the "
        "signature has no matching `sign` event in the audit trail (recorded_in_audit_trail false).",
    )
    def retrieve(self, request, *args, **kwargs):
        return Response(SignatureDetailSerializer(self.get_object()).data)

    @extend_schema(
        request=SignatureCreateSerializer,
        responses={201: SignatureDetailSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Signs a record: `document_id` (seed 000) or `resource_type` + `resource_id`, with the "
        "signer's password. Only someone who may view the record signs it (403 RECORD_NOT_VISIBLE), and only "
        "with a meaning its record type allows in its current state (409 SIGNATURE_MEANING_NOT_ALLOWED, with "
        "`allowed_meanings`); approval signatures are given only by approving the record in its workflow. "
        "A wrong password is 401 SIGNATURE_AUTH_FAILED, counts toward account lockout and is audited; locked "
        "or deactivated accounts cannot sign.",
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
