"""REST endpoints for workflow templates (GET/POST /api/workflow-templates/, GET/PUT
/api/workflow-templates/{id}) and the controlled-record kit's ViewSet mixin, which gives any
record's ViewSet POST {id}/approve, {id}/transition, {id}/configure-approval and GET {id}/workflow."""

import django_filters
from django.contrib.contenttypes.models import ContentType
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from qms.api.lists import ListModelMixin
from qms.api.request_data import pop_reason_and_row_version, validated
from qms.api.schema import error_responses
from qms.errors import PermissionDenied
from qms.permissions import has

from . import records, records_services, selectors, services
from .models import WorkflowTemplate
from .records import RecordType
from .serializers import (
    ApproveSerializer,
    ConfigureApprovalSerializer,
    RecordWorkflowSerializer,
    TransitionRequestSerializer,
    WorkflowTemplateSerializer,
    WorkflowTemplateWriteSerializer,
)


class WorkflowTemplateFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("include_retired", bool, description="Also list versions replaced by newer ones")],
        responses={200: WorkflowTemplateSerializer(many=True), **error_responses(401, 403, 422)},
    ),
    retrieve=extend_schema(responses={200: WorkflowTemplateSerializer, **error_responses(401, 403, 404)}),
)
@extend_schema(tags=["workflows"])
class WorkflowTemplateViewSet(ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = WorkflowTemplateSerializer
    filterset_class = WorkflowTemplateFilter
    sort_fields = ["name", "created_at", "version"]
    default_sort = ["name", "-version"]
    required_permissions = {
        "list": "workflow_templates.view",
        "retrieve": "workflow_templates.view",
        "create": "workflow_templates.manage",
        "update": "workflow_templates.manage",
    }

    def get_queryset(self):
        include_retired = self.action != "list" or self.request.query_params.get("include_retired") in ("1", "true", "yes")
        return selectors.template_list(include_retired=include_retired)

    @extend_schema(
        request=WorkflowTemplateWriteSerializer,
        responses={201: WorkflowTemplateSerializer, **error_responses(401, 403, 409, 422)},
        description="Validated as a whole: no or several initial states, transitions to unknown states, "
        "unreachable states, dead ends and approval states without an approval transition are 422, "
        "each problem with its location.",
    )
    def create(self, request):
        data = validated(WorkflowTemplateWriteSerializer, request)
        data.pop("reason", None), data.pop("row_version", None)
        template = services.create_template(actor=request.user, definition=data)
        return Response(self._out(template), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=WorkflowTemplateWriteSerializer,
        responses={200: WorkflowTemplateSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Replaces the definition. A template that records already use is not edited in place: a new "
        "version is created (new id, version + 1, previous_version = this id) and returned; records already "
        "running keep the version they started on, new records start on the new one. `row_version` (or If-Match) "
        "guards against concurrent edits (409 VERSION_CONFLICT).",
    )
    def update(self, request, pk=None):
        template = self.get_object()
        data = validated(WorkflowTemplateWriteSerializer, request)
        reason, row_version = pop_reason_and_row_version(data, request)
        template = services.update_template(
            actor=request.user, template=template, definition=data, reason=reason, row_version=row_version
        )
        return Response(self._out(template))

    def _out(self, template):
        return WorkflowTemplateSerializer(selectors.template_list(include_retired=True).get(pk=template.pk)).data


# --- the controlled-record kit -----------------------------------------------------------------------------

_ACTION_ERRORS = (401, 403, 404, 409, 422)
_DESCRIPTIONS = {
    "approve": "Approves the record in its approval state with an electronic signature (password re-entered; 422 "
    "without it, 401 SIGNATURE_AUTH_FAILED when wrong). 403 when you lack the approve permission of its workflow, "
    "are not one of the required approvers (NOT_AN_APPROVER), are its author (SELF_APPROVAL_NOT_ALLOWED) or fail an "
    "approval check such as a training requirement (TRAINING_REQUIRED, with `missing_programs` [{id, title}]), all "
    "before the password is checked; 409 ALREADY_APPROVED, or INVALID_TRANSITION when nothing awaits "
    "approval; 422 TRANSITION_BLOCKED naming what the record still lacks. When the rules are met the workflow moves "
    "on automatically.",
    "transition": "Performs a transition from available_transitions. 409 INVALID_TRANSITION when it is not possible "
    "from the current state; 403 without the transition's permission; `password` is required when the transition "
    "requires a signature and `comment` when it requires one; a signed transition passes the same approval checks as "
    "an approval (403 TRAINING_REQUIRED); 422 TRANSITION_BLOCKED names what the record lacks.",
    "configure_approval": "Sets this record's own approvers and rules for an approval state (overriding its workflow "
    "template's), or with reset=true restores the template's; `reason` is required. Rules nobody could satisfy are "
    "422 APPROVER_CANNOT_APPROVE (a named approver without the approve permission or who is an author, a role with "
    "fewer members able to approve than required); 409 when the record's state does not allow it.",
}


def _action_schemas(response_serializer) -> dict:
    return {
        "approve": extend_schema(
            request=ApproveSerializer,
            responses={200: response_serializer, **error_responses(*_ACTION_ERRORS)},
            description=_DESCRIPTIONS["approve"],
        ),
        "transition": extend_schema(
            request=TransitionRequestSerializer,
            responses={200: response_serializer, **error_responses(*_ACTION_ERRORS)},
            description=_DESCRIPTIONS["transition"],
        ),
        "configure_approval": extend_schema(
            request=ConfigureApprovalSerializer,
            responses={200: response_serializer, **error_responses(*_ACTION_ERRORS)},
            description=_DESCRIPTIONS["configure_approval"],
        ),
        "workflow": extend_schema(
            responses={200: RecordWorkflowSerializer, **error_responses(401, 403, 404)},
            description="The record's workflow: state and approval progress with the history of every cycle, the "
            "transitions you may perform, approvals and electronic signatures (each verified).",
        ),
    }


class ControlledRecordActionsMixin:
    """Adds the kit's actions to a registered record type's ViewSet:

        class DeviationViewSet(ControlledRecordActionsMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
            record_type = "deviation"                          # the registered resource_type
            record_response_serializer = DeviationDetailSerializer   # optional (schema of the answers)

            def record_response(self, record, request):       # optional (default: the record's workflow)
                return Response(DeviationDetailSerializer(...).data)

    POST {id}/approve, {id}/transition, {id}/configure-approval answer with `record_response`; GET
    {id}/workflow with the RecordWorkflowSerializer. `get_object()` returns the record as the caller
    may see it (by default from the record type's `visible`). Permissions are the record type's
    (checked early here, and again by the services): view for transition and workflow, an approve
    permission for approve, configure for configure-approval. Ids in the path are digits (anything
    else is 404).
    """

    record_type: str = ""
    record_response_serializer = RecordWorkflowSerializer
    lookup_value_regex = r"[0-9]+"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Each ViewSet documents its own answers (e.g. the document detail for documents).
        extend_schema_view(**_action_schemas(cls.record_response_serializer))(cls)

    # --- hooks -------------------------------------------------------------------------------------------

    def get_record_type(self) -> RecordType:
        return records.record_type(self.record_type)

    def get_queryset(self):
        """Default: the records the caller may see (the record type's `visible`)."""
        kind = self.get_record_type()
        if getattr(self, "swagger_fake_view", False):
            return kind.model._default_manager.none()
        return kind.visible(self.request.user)

    def record_response(self, record, request) -> Response:
        return Response(RecordWorkflowSerializer(selectors.record_workflow(record, request.user)).data)

    # --- actions -------------------------------------------------------------------------------------------

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        kind = self.get_record_type()
        self._require_any(request, _approve_permissions(kind))
        record = self.get_object()
        data = validated(ApproveSerializer, request)
        record = records_services.approve_record(actor=request.user, record=record, **data)
        return self.record_response(record, request)

    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        self._require_any(request, [self.get_record_type().view_permission])
        record = self.get_object()
        data = validated(TransitionRequestSerializer, request)
        record = records_services.transition_record(
            actor=request.user,
            record=record,
            name=data["transition"],
            comment=data["comment"],
            password=data["password"],
            intent=data["intent"],
        )
        return self.record_response(record, request)

    @action(detail=True, methods=["post"], url_path="configure-approval")
    def configure_approval(self, request, pk=None):
        kind = self.get_record_type()
        self._require_any(request, [kind.configure_permission])
        record = self.get_object()
        data = validated(ConfigureApprovalSerializer, request)
        state = data.pop("state") or _first_approval_state(kind, record)
        record = records_services.configure_record_approval(actor=request.user, record=record, state=state, **data)
        return self.record_response(record, request)

    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def workflow(self, request, pk=None):
        self._require_any(request, [self.get_record_type().view_permission])
        record = self.get_object()
        return Response(RecordWorkflowSerializer(selectors.record_workflow(record, request.user)).data)

    def _require_any(self, request, codenames) -> None:
        """The early 403 (the services check again, with the record in hand)."""
        if not any(has(request.user, codename) for codename in codenames):
            raise PermissionDenied(f"You need the '{sorted(codenames)[0]}' permission for this action.")


def _approve_permissions(kind: RecordType) -> list[str]:
    """Every permission that lets someone approve a record of this type: the type's own and those
    the workflow templates its records run on name."""
    content_type = ContentType.objects.get_for_model(kind.model)
    named = (
        WorkflowTemplate.objects.filter(instances__content_type=content_type)
        .exclude(approve_permission="")
        .values_list("approve_permission", flat=True)
        .distinct()
    )
    return sorted({kind.approve_permission, *named})


def _first_approval_state(kind: RecordType, record) -> str:
    instance = kind.instance_of(record)
    states = selectors.approval_states(instance) if instance is not None else []
    return states[0].name if states else ""
