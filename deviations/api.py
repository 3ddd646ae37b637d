"""REST endpoints for deviation report forms:

GET|POST /api/deviations/form-templates/, GET|PUT /api/deviations/form-templates/{id},
POST /api/deviations/form-templates/{id}/publish, POST /api/deviations/form-templates/{id}/validate,
GET /api/deviations/form-templates/active.
"""

import json

import django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from documents import files
from qms.api.request_data import pop_reason_and_row_version, validated
from qms.api.schema import error_responses

from . import selectors, services, usage
from .errors import NoActiveForm
from .forms_engine import validate_answers
from .models import FormStatus, FormTemplate
from .options import CurrentOptions
from .serializers import (
    AnswersCheckResultSerializer,
    AnswersCheckSerializer,
    FormTemplateSerializer,
    FormTemplateWriteSerializer,
    PublishSerializer,
)

READ = ("deviations.view", "deviations.create")
MANAGE = "deviations.manage_forms"
IF_MATCH = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, description='The row_version, e.g. "3"')


class FormTemplateFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    status = django_filters.ChoiceFilter(choices=FormStatus.choices)
    family = django_filters.UUIDFilter()

    class Meta:
        model = FormTemplate
        fields = ["name", "status", "family"]


def form_template_data(templates, *, many: bool = False):
    """Serialized versions with their usage (one count per registered record kind, whatever the number)."""
    items = list(templates) if many else [templates]
    context = {"usage": usage.usage_counts(t.pk for t in items), "options": CurrentOptions()}
    return FormTemplateSerializer(templates, many=many, context=context).data


@extend_schema(tags=["deviations"])
@extend_schema_view(
    list=extend_schema(
        summary="List deviation form versions",
        description="Every version of every form (drafts only for holders of deviations.manage_forms).",
        responses={200: FormTemplateSerializer(many=True), **error_responses(401, 403, 422)},
    ),
    retrieve=extend_schema(responses={200: FormTemplateSerializer, **error_responses(401, 403, 404)}),
)
class FormTemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = FormTemplateSerializer
    filterset_class = FormTemplateFilter
    sort_fields = ["name", "version", "status", "created_at", "published_at"]
    default_sort = ["name", "-version"]
    lookup_value_regex = r"\d+"
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    required_permissions = {
        "list": READ,
        "retrieve": READ,
        "active": READ,
        "validate_answers": READ,
        "create": MANAGE,
        "update": MANAGE,
        "publish": MANAGE,
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return FormTemplate.objects.none()
        return selectors.form_template_list(self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(form_template_data(page, many=True))

    def retrieve(self, request, *args, **kwargs):
        return self._response(self.get_object())

    @extend_schema(
        request=FormTemplateWriteSerializer,
        responses={201: FormTemplateSerializer, **error_responses(401, 403, 409, 422)},
        description="A new form as draft version 1. The definition is checked as a whole: every problem "
        "(duplicate keys, a select without options, a default that breaks the field's own rules, an invalid "
        'pattern ...) is listed with its location, e.g. loc ["body", "sections", 0, "fields", 2, "options"]. '
        "409 NAME_TAKEN when another form has the name.",
    )
    def create(self, request):
        data = validated(FormTemplateWriteSerializer, request)
        data.pop("reason", None), data.pop("row_version", None)
        return self._response(services.create_form_template(actor=request.user, definition=data), status.HTTP_201_CREATED)

    @extend_schema(
        request=FormTemplateWriteSerializer,
        parameters=[IF_MATCH],
        responses={200: FormTemplateSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Replaces the definition of the latest version of a form. A draft that no record uses is "
        "changed in place; a published version (active or retired) or one that records use is never changed: "
        "a new draft version is made (new id, version + 1, previous_version = this id) and returned, and the "
        "version it came from stays as it was. Changing an older version is 409 FORM_TEMPLATE_NOT_LATEST; "
        "`row_version` (or If-Match) guards against concurrent edits (409 VERSION_CONFLICT).",
    )
    def update(self, request, pk=None):
        template = self.get_object()
        data = validated(FormTemplateWriteSerializer, request)
        reason, row_version = pop_reason_and_row_version(data, request)
        template = services.update_form_template(
            actor=request.user, template=template, definition=data, reason=reason, row_version=row_version
        )
        return self._response(template)

    @extend_schema(
        request=PublishSerializer,
        parameters=[IF_MATCH],
        responses={200: FormTemplateSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Makes this version the active deviation report form; the version active until now is "
        "retired (records reported with it keep it). A retired version may be published again. Needs a `reason`; "
        "a form without fields is 422; the active version itself is 409 ALREADY_ACTIVE.",
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        template = self.get_object()
        data = validated(PublishSerializer, request)
        reason, row_version = pop_reason_and_row_version(data, request)
        template = services.publish_form_template(actor=request.user, template=template, reason=reason, row_version=row_version)
        return self._response(template)

    @extend_schema(
        responses={200: FormTemplateSerializer, **error_responses(401, 403, 404)},
        description="The version new deviations are reported with (404 NO_ACTIVE_FORM when none is published).",
    )
    @action(detail=False, methods=["get"])
    def active(self, request):
        template = selectors.active_form_template()
        if template is None:
            raise NoActiveForm()
        return self._response(template)

    @extend_schema(
        request={
            "application/json": AnswersCheckSerializer,
            "multipart/form-data": {
                "type": "object",
                "properties": {"form_data": {"type": "string", "description": "The answers as a JSON string"}},
                "additionalProperties": {"type": "string", "format": "binary"},
                "description": "form_data, and one part per uploaded file named <section>.<field>.",
            },
        },
        responses={200: AnswersCheckResultSerializer, **error_responses(401, 403, 404, 413, 415, 422)},
        description="Checks answers against this version exactly as reporting a deviation will, without "
        "storing anything, and returns them as they would be kept (typed per field; pickers resolved to the "
        "records, files described). Every bad answer is listed at once in one 422 with loc "
        '["body", "form_data", "<section>", "<field>"]. Pickers accept only records the caller may view. Uploads '
        "get the document checks: over MAX_UPLOAD_MB is 413 FILE_TOO_LARGE, content that is not what its name "
        "says (or not an image in an image field) is 415 UNSUPPORTED_FILE_TYPE; both name the field in `loc`.",
    )
    @action(detail=True, methods=["post"], url_path="validate")
    def validate_answers(self, request, pk=None):
        files.check_request_size(request.META.get("CONTENT_LENGTH"))
        template = self.get_object()
        data = dict(request.data.items()) if hasattr(request.data, "getlist") else request.data
        if isinstance(data.get("form_data"), str):
            try:
                data["form_data"] = json.loads(data["form_data"])
            except ValueError as exc:
                raise ValidationError({"form_data": [f"Send form_data as a JSON object ({exc})."]})
        serializer = AnswersCheckSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        uploads = {name: request.FILES.getlist(name) for name in request.FILES}
        cleaned = validate_answers(
            version=template, form_data=serializer.validated_data["form_data"], files=uploads, user=request.user
        )
        return Response({"valid": True, "answers": cleaned.answers})

    def _response(self, template, status_code=status.HTTP_200_OK) -> Response:
        template = selectors.form_template_list(None).get(pk=template.pk)
        response = Response(form_template_data(template), status=status_code)
        response["ETag"] = f'"{template.row_version}"'
        return response
