"""REST endpoints for CAPAs:

POST|GET /api/capa/, GET|PUT /api/capa/{id}, POST /api/capa/from-deviation,
POST /api/capa/{id}/approve-draft, GET|POST /api/capa/{id}/actions,
PUT /api/capa/{id}/actions/{action_id}, POST /api/capa/{id}/actions/{action_id}/complete,
GET|POST /api/capa/{id}/effectiveness, PUT /api/capa/{id}/effectiveness/{review_id},
GET|POST /api/capa/{id}/deviations, DELETE /api/capa/{id}/deviations/{link_id},
POST /api/capa/{id}/attachments, GET /api/capa/{id}/attachments/{attachment_id};
POST {id}/approve (closure), {id}/transition, {id}/configure-approval and GET {id}/workflow from the
controlled-record kit's mixin.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from qms import files
from qms.api.filters import QueryFilterBackend
from qms.api.lists import ListModelMixin
from qms.api.renderers import AnyMediaRenderer
from qms.api.request_data import pop_reason_and_row_version, validated
from qms.api.schema import error_responses
from qms.api.sorting import SortFilter
from qms.errors import InvalidInputs
from workflows.api import ControlledRecordActionsMixin

from . import limits, selectors, services
from .downloads import attachment_response
from .filters import CapaFilter
from .models import Capa
from .serializers import (
    ActionCreateSerializer,
    ActionSerializer,
    ActionUpdateSerializer,
    ApproveDraftSerializer,
    CapaCreateSerializer,
    CapaDetailSerializer,
    CapaListSerializer,
    CapaUpdateSerializer,
    DeviationLinkSerializer,
    LinkedDeviationSerializer,
    RaiseFromDeviationSerializer,
    ReasonSerializer,
    ReviewCreateSerializer,
    ReviewSerializer,
    ReviewUpdateSerializer,
)

READ = ("capa.view", "capa.work")
IF_MATCH = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, description='The row_version, e.g. "3"')
ACTION_ID = OpenApiParameter("action_id", int, OpenApiParameter.PATH)
REVIEW_ID = OpenApiParameter("review_id", int, OpenApiParameter.PATH)


def capa_response(capa, request, status_code=status.HTTP_200_OK) -> Response:
    capa = selectors.capa_detail_queryset(request.user).get(pk=capa.pk)
    detail = selectors.capa_detail(capa, request.user)
    data = CapaDetailSerializer(capa, context={"detail": detail, "workflow": detail.workflow}).data
    response = Response(data, status=status_code)
    response["ETag"] = f'"{capa.row_version}"'
    return response


@extend_schema(tags=["capa"])
@extend_schema_view(
    list=extend_schema(
        summary="List CAPAs",
        description="CAPAs you may see (capa.view: all; capa.work: those you own or hold an action in), with filters "
        "and `sort` (number, title, status, priority, type, source, due_date, created_at, updated_at).",
        responses={200: CapaListSerializer(many=True), **error_responses(401, 403, 422)},
    ),
)
class CapaViewSet(ControlledRecordActionsMixin, ListModelMixin, viewsets.GenericViewSet):
    record_type = "capa"
    record_response_serializer = CapaDetailSerializer
    serializer_class = CapaListSerializer
    filterset_class = CapaFilter
    filter_backends = [QueryFilterBackend, SortFilter]
    sort_fields = {
        "number": "number",
        "title": "title",
        "status": "status",
        "priority": "priority_rank",
        "type": "capa_type",
        "source": "source",
        "due_date": "due_date",
        "created_at": "created_at",
        "updated_at": "updated_at",
    }
    default_sort = ["-created_at", "-pk"]
    required_permissions = {
        "list": READ,
        "retrieve": READ,
        "create": "capa.create",
        "from_deviation": "capa.create",
        "update": "capa.edit",
        "approve_draft": "capa.approve_draft",
        "actions": READ,
        "add_action": "capa.edit",
        "update_action": READ,
        "complete_action": "capa.work",
        "effectiveness": READ,
        "add_review": "capa.edit",
        "update_review": ("capa.edit", "capa.effectiveness"),
        "deviations": READ,
        "add_deviation": "capa.edit",
        "remove_deviation": "capa.edit",
        "add_attachments": "capa.edit",
        "download_attachment": READ,
        # approve, transition, configure_approval, workflow: the record type's (ControlledRecordActionsMixin)
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Capa.objects.none()
        queryset = selectors.capa_list(self.request.user)
        if "priority" in self.request.query_params.get("sort", ""):
            queryset = selectors.with_priority_rank(queryset)  # ranked only when sorted by it
        return queryset

    def get_object(self):
        return get_object_or_404(selectors.capa_detail_queryset(self.request.user), pk=self.kwargs["pk"])

    def record_response(self, record, request) -> Response:
        return capa_response(record, request)

    @extend_schema(
        request=CapaCreateSerializer,
        responses={201: CapaDetailSerializer, **error_responses(401, 403, 409, 422)},
        description="Creates a CAPA numbered CAPA-<year>-NNNN (gap-free, never reused). Without linked document "
        "versions it starts as a `draft` that a QA Manager approves (POST {id}/approve-draft); with "
        "`document_version_ids` it starts `open`. `deviation_ids` links the deviations it addresses (many-to-many, "
        "shown on both records). Deviations and versions you may not view are 422 naming their position; a "
        "`legacy_number` already used is 409 LEGACY_NUMBER_TAKEN.",
    )
    def create(self, request):
        data = validated(CapaCreateSerializer, request)
        capa = services.create_capa(
            actor=request.user,
            title=data["title"],
            description=data["description"],
            capa_type=data["type"],
            source=data["source"],
            source_reference=data["source_reference"],
            priority=data["priority"],
            root_cause=data["root_cause"],
            owner=data["owner"],
            due_date=data["due_date"],
            deviation_ids=data["deviation_ids"],
            document_version_ids=data["document_version_ids"],
            legacy_number=data["legacy_number"],
            reason=data["reason"],
        )
        return capa_response(capa, request, status.HTTP_201_CREATED)

    @extend_schema(
        request=RaiseFromDeviationSerializer,
        responses={201: CapaDetailSerializer, **error_responses(401, 403, 404, 422)},
        description="Raises a CAPA from a deviation you may view: title, problem statement, root cause and priority "
        "(from the severity) are taken from it unless given, you are the owner unless `owner_id` is given, and the "
        "CAPA is linked to the deviation (the deviation's page shows it). It starts as a draft.",
    )
    @action(detail=False, methods=["post"], url_path="from-deviation")
    def from_deviation(self, request):
        from deviations.selectors import visible_deviations

        data = validated(RaiseFromDeviationSerializer, request)
        deviation = get_object_or_404(visible_deviations(request.user), pk=data.pop("deviation_id"))
        if "type" in data:
            data["capa_type"] = data.pop("type")
        capa = services.raise_from_deviation(actor=request.user, deviation=deviation, **data)
        return capa_response(capa, request, status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: CapaDetailSerializer, **error_responses(401, 403, 404)},
        description="A CAPA with its action plan, effectiveness reviews, linked deviations (both ways) and document "
        "versions, files, and its workflow: state, approvals, signatures (the plan approval, the reviews' and the "
        "closure's), history and the transitions you may perform.",
    )
    def retrieve(self, request, pk=None):
        return capa_response(self.get_object(), request)

    @extend_schema(
        request=CapaUpdateSerializer,
        parameters=[IF_MATCH],
        responses={200: CapaDetailSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Changes the fields sent; `reason` is required and `row_version` (or If-Match) must be the one you "
        "read, else 409 VERSION_CONFLICT. Only while draft, open or in progress (409 NOT_EDITABLE); the plan signed at "
        "the draft approval (title, problem statement, type, source) no longer changes (409 SIGNED_CONTENT_LOCKED). "
        "`document_version_ids` replaces the linked versions.",
    )
    def update(self, request, pk=None):
        capa = self.get_object()
        data = validated(CapaUpdateSerializer, request, partial=True)
        reason, row_version = pop_reason_and_row_version(data, request)
        versions = data.pop("document_version_ids", None)
        capa = services.update_capa(
            actor=request.user, capa=capa, changes=data, reason=reason, row_version=row_version, document_version_ids=versions
        )
        return capa_response(capa, request)

    @extend_schema(
        request=ApproveDraftSerializer,
        responses={200: CapaDetailSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="The CAPA plan approval (seed 000): a QA Manager or Admin (capa.approve_draft; anyone else 403) "
        'approves a draft with an electronic signature (password re-entered; meaning approval, intent "CAPA plan '
        'approval: ..."), and the CAPA becomes `open` at once. 409 NOT_DRAFT when it is not a draft (of two '
        "approvals at the same moment, exactly one succeeds); 401 SIGNATURE_AUTH_FAILED for a wrong password.",
    )
    @action(detail=True, methods=["post"], url_path="approve-draft")
    def approve_draft(self, request, pk=None):
        capa = self.get_object()
        data = validated(ApproveDraftSerializer, request)
        capa = services.approve_draft(actor=request.user, capa=capa, password=data["password"], comment=data["comment"])
        return capa_response(capa, request)

    # --- actions --------------------------------------------------------------------------------------------

    @extend_schema(
        responses={200: ActionSerializer(many=True), **error_responses(401, 403, 404, 422)},
        description="The CAPA's action plan, in order (the list envelope).",
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def actions(self, request, pk=None):
        capa = self.get_object()
        return self.paginated_rows(
            capa.actions.select_related("owner", "completed_by", "created_by").order_by("sequence"), ActionSerializer
        )

    @extend_schema(
        request=ActionCreateSerializer,
        responses={201: ActionSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Adds an open action (owner: a user with capa.work; due date not in the past) while the CAPA is a "
        "draft, open or in progress (409 NOT_EDITABLE otherwise). The owner is told (capa.action_assigned).",
    )
    @actions.mapping.post
    def add_action(self, request, pk=None):
        capa = self.get_object()
        data = validated(ActionCreateSerializer, request)
        created = services.add_action(actor=request.user, capa=capa, **data)
        return Response(ActionSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ActionUpdateSerializer,
        parameters=[ACTION_ID],
        responses={200: ActionSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="One change per request: `status` done with `completion_evidence` completes the action (its owner "
        "only: 403 NOT_ACTION_OWNER); a later `due_date` with a `reason` extends it (audited with both dates); "
        "`description`, `owner_id` or `status` cancelled with a `reason` and `row_version` change it (capa.edit). "
        "409 ACTION_NOT_OPEN for done or cancelled actions.",
    )
    @action(detail=True, methods=["put"], url_path=r"actions/(?P<action_id>[0-9]+)")
    def update_action(self, request, pk=None, action_id=None):
        capa = self.get_object()
        found = get_object_or_404(capa.actions.all(), pk=action_id)
        data = validated(ActionUpdateSerializer, request, partial=True)
        reason, row_version = pop_reason_and_row_version(data, request)
        if data.get("status") == "done":
            _only(data, {"status", "completion_evidence"}, "completing an action")
            updated = services.complete_action(actor=request.user, action=found, evidence=data.get("completion_evidence", ""))
        elif "due_date" in data:
            _only(data, {"due_date"}, "extending a due date")
            updated = services.extend_action_due_date(actor=request.user, action=found, due_date=data["due_date"], reason=reason)
        else:
            if "completion_evidence" in data:
                raise InvalidInputs([(["completion_evidence"], "Evidence is given with status done.", "value_error")])
            updated = services.update_action(
                actor=request.user, action=found, changes=data, reason=reason, row_version=row_version
            )
        return Response(ActionSerializer(updated).data)

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "evidence": {"type": "string", "maxLength": limits.LONG_TEXT},
                    "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                },
                "required": ["evidence"],
            },
            "application/json": {
                "type": "object",
                "properties": {"evidence": {"type": "string", "maxLength": limits.LONG_TEXT}},
                "required": ["evidence"],
            },
        },
        parameters=[ACTION_ID],
        responses={200: ActionSerializer, **error_responses(401, 403, 404, 409, 413, 415, 422)},
        description="The owner completes their open action with its evidence: text, and files (the document upload "
        "checks: 413 FILE_TOO_LARGE, 415 UNSUPPORTED_FILE_TYPE). While the CAPA is open or in progress.",
    )
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<action_id>[0-9]+)/complete")
    def complete_action(self, request, pk=None, action_id=None):
        files.check_request_size(request.META.get("CONTENT_LENGTH"))
        capa = self.get_object()
        found = get_object_or_404(capa.actions.all(), pk=action_id)
        evidence = request.data.get("evidence", "") if hasattr(request.data, "get") else ""
        if not isinstance(evidence, str):
            raise ValidationError({"evidence": ["Text is expected."]})
        done = services.complete_action(
            actor=request.user, action=found, evidence=evidence, uploads=request.FILES.getlist("files")
        )
        return Response(ActionSerializer(done).data)

    # --- effectiveness reviews ---------------------------------------------------------------------------------

    @extend_schema(
        responses={200: ReviewSerializer(many=True), **error_responses(401, 403, 404, 422)},
        description="The CAPA's effectiveness reviews, in order (the list envelope).",
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def effectiveness(self, request, pk=None):
        capa = self.get_object()
        return self.paginated_rows(
            capa.effectiveness_reviews.select_related("reviewer", "created_by").order_by("sequence"), ReviewSerializer
        )

    @extend_schema(
        request=ReviewCreateSerializer,
        responses={201: ReviewSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Plans an effectiveness review (planned date, method and criteria, optionally the reviewer: someone "
        "with capa.effectiveness). A daily job flags reviews whose date has come (capa.effectiveness_due).",
    )
    @effectiveness.mapping.post
    def add_review(self, request, pk=None):
        capa = self.get_object()
        data = validated(ReviewCreateSerializer, request)
        review = services.create_review(actor=request.user, capa=capa, **data)
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ReviewUpdateSerializer,
        parameters=[REVIEW_ID],
        responses={200: ReviewSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="With `result` effective or not_effective: records the result (capa.effectiveness) with `evidence` "
        "and your electronic signature (`password`; meaning effectiveness), while the CAPA is pending effectiveness "
        "(409 NOT_AWAITING_EFFECTIVENESS otherwise). not_effective needs `new_action` {description, owner_id, due_date}: "
        "the action is added and the CAPA goes back to in progress. Without `result`: changes the plan (planned_date, "
        "method, reviewer_id) with a `reason` and `row_version` (capa.edit). A recorded review never changes (409 "
        "REVIEW_RECORDED).",
    )
    @action(detail=True, methods=["put"], url_path=r"effectiveness/(?P<review_id>[0-9]+)")
    def update_review(self, request, pk=None, review_id=None):
        capa = self.get_object()
        review = get_object_or_404(capa.effectiveness_reviews.select_related("reviewer"), pk=review_id)
        data = validated(ReviewUpdateSerializer, request, partial=True)
        reason, row_version = pop_reason_and_row_version(data, request)
        result = data.pop("result", None)
        if result and result != "pending":
            _only(data, {"evidence", "password", "new_action", "comment"}, "recording a result")
            review = services.record_effectiveness(
                actor=request.user,
                review=review,
                result=result,
                evidence=data.get("evidence", ""),
                password=data.get("password", ""),
                new_action=data.get("new_action"),
                comment=data.get("comment", ""),
            )
        else:
            _only(data, {"planned_date", "method", "reviewer"}, "changing a review's plan")
            review = services.update_review(
                actor=request.user, review=review, changes=data, reason=reason, row_version=row_version
            )
        return Response(ReviewSerializer(review).data)

    # --- deviations -------------------------------------------------------------------------------------------

    @extend_schema(
        responses={200: LinkedDeviationSerializer(many=True), **error_responses(401, 403, 404)},
        description="The deviations the CAPA addresses: linked on the CAPA (removed ones too, with who removed them "
        "and why) and linked by the deviation's CAPA decision. A deviation you may not view shows its number only.",
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def deviations(self, request, pk=None):
        capa = self.get_object()
        return Response(LinkedDeviationSerializer(selectors.linked_deviations(capa, request.user), many=True).data)

    @extend_schema(
        request=DeviationLinkSerializer,
        responses={201: CapaDetailSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Links a deviation you may view, with a reason (409 ALREADY_LINKED; 409 NOT_EDITABLE on closed or "
        "cancelled CAPAs). The deviation's page shows the CAPA.",
    )
    @deviations.mapping.post
    def add_deviation(self, request, pk=None):
        capa = self.get_object()
        data = validated(DeviationLinkSerializer, request)
        services.link_deviation(actor=request.user, capa=capa, deviation=data["deviation_id"], reason=data["reason"])
        return capa_response(capa, request, status.HTTP_201_CREATED)

    @extend_schema(
        request=ReasonSerializer,
        parameters=[
            OpenApiParameter("link_id", int, OpenApiParameter.PATH),
            OpenApiParameter("reason", str, description="Why (or in the JSON body)"),
        ],
        responses={200: CapaDetailSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Removes a deviation link with a `reason`; it stays on record as removed (409 LINK_REMOVED twice).",
    )
    @action(detail=True, methods=["delete"], url_path=r"deviations/(?P<link_id>[0-9]+)")
    def remove_deviation(self, request, pk=None, link_id=None):
        capa = self.get_object()
        link = get_object_or_404(capa.deviation_links.all(), pk=link_id)
        body = request.data if isinstance(request.data, dict) and request.data else {"reason": request.query_params.get("reason")}
        reason = ReasonSerializer(data=body)
        reason.is_valid(raise_exception=True)
        services.unlink_deviation(actor=request.user, capa=capa, link=link, reason=reason.validated_data["reason"])
        return capa_response(capa, request)

    # --- attachments ------------------------------------------------------------------------------------------

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    "description": {"type": "string", "maxLength": 2000},
                },
                "required": ["files"],
            }
        },
        responses={201: CapaDetailSerializer, **error_responses(401, 403, 404, 409, 413, 415, 422)},
        description="Adds files to a CAPA that is not closed or cancelled (413 FILE_TOO_LARGE, 415 UNSUPPORTED_FILE_TYPE).",
    )
    @action(detail=True, methods=["post"], url_path="attachments")
    def add_attachments(self, request, pk=None):
        files.check_request_size(request.META.get("CONTENT_LENGTH"))
        capa = self.get_object()
        description = request.data.get("description", "") if hasattr(request.data, "get") else ""
        if not isinstance(description, str) or len(description) > 2000:
            raise ValidationError({"description": ["At most 2000 characters."]})
        services.add_attachments(actor=request.user, capa=capa, uploads=request.FILES.getlist("files"), description=description)
        return capa_response(capa, request, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("attachment_id", int, OpenApiParameter.PATH)],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file, byte for byte"),
            **error_responses(401, 403, 404),
        },
        description="Streams a file of the CAPA or of one of its actions (X-Content-SHA256); every download is audited.",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>[0-9]+)",
        renderer_classes=[JSONRenderer, AnyMediaRenderer],
        pagination_class=None,
        filter_backends=[],
    )
    def download_attachment(self, request, pk=None, attachment_id=None):
        capa = self.get_object()
        return attachment_response(request.user, capa, get_object_or_404(capa.attachments.all(), pk=attachment_id))


def _only(data: dict, allowed: set, what: str) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise InvalidInputs([([name], f"Not sent when {what}: one change per request.", "value_error") for name in extra])
