"""REST endpoints for workflow templates: GET/POST /api/workflow-templates/, GET/PUT /api/workflow-templates/{id}."""

import django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from qms.api.request_data import pop_reason_and_row_version, validated
from qms.api.schema import error_responses

from . import selectors, services
from .serializers import WorkflowTemplateSerializer, WorkflowTemplateWriteSerializer


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
class WorkflowTemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
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
