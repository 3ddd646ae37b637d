"""REST endpoints for deviations and their report forms:

POST|GET /api/deviations/, GET|PUT /api/deviations/{id}, GET|POST /api/deviations/{id}/links,
DELETE /api/deviations/{id}/links/{link_id}, POST /api/deviations/{id}/attachments,
GET /api/deviations/{id}/attachments/{attachment_id}; POST {id}/approve, {id}/transition,
{id}/configure-approval and GET {id}/workflow from the controlled-record kit's mixin.

GET|POST /api/deviations/form-templates/, GET|PUT /api/deviations/form-templates/{id},
POST /api/deviations/form-templates/{id}/publish, POST /api/deviations/form-templates/{id}/validate,
GET /api/deviations/form-templates/active.
"""

import json

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from audit.serializers import ReasonSerializer
from qms import files
from qms.api.filters import QueryFilterBackend
from qms.api.lists import ListModelMixin
from qms.api.renderers import AnyMediaRenderer
from qms.api.request_data import pop_reason_and_row_version, validated
from qms.api.schema import error_responses
from qms.api.sorting import SortFilter
from workflows.api import ControlledRecordActionsMixin

from . import limits, selectors, services, usage
from .downloads import attachment_response
from .errors import NoActiveForm
from .filters import DeviationFilter
from .forms_engine import validate_answers
from .models import Deviation, FormStatus, FormTemplate
from .options import CurrentOptions
from .permissions import CREATE, EDIT, READ
from .permissions import MANAGE_FORMS as MANAGE
from .serializers import (
    AnswersCheckResultSerializer,
    AnswersCheckSerializer,
    DeviationDetailSerializer,
    DeviationListSerializer,
    DeviationReportSerializer,
    DeviationUpdateSerializer,
    FormTemplateSerializer,
    FormTemplateWriteSerializer,
    LinkCreateSerializer,
    LinksSerializer,
    PublishSerializer,
)

IF_MATCH = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, description='The row_version, e.g. "3"')
ATTACHMENTS_PART = "attachments"


def _multipart_schema(description: str, **properties) -> dict:
    return {
        "type": "object",
        "properties": {
            "form_data": {"type": "string", "description": "The answers as a JSON string"},
            **properties,
        },
        "required": ["form_data"],
        "additionalProperties": {"type": "string", "format": "binary"},
        "description": description,
    }


def answers_request(request, serializer_class) -> tuple[dict, dict, list]:
    """The body of a request carrying form answers, as JSON or multipart (form_data a JSON string,
    one part per file named "<section>.<field>", plain attachments as parts named "attachments"):
    (validated data, the form's files by field, attachments)."""
    files.check_request_size(request.META.get("CONTENT_LENGTH"))
    if hasattr(request.data, "getlist"):
        data = {k: request.data.get(k) for k in request.data}
    elif isinstance(request.data, dict):
        data = dict(request.data)
    else:
        raise ValidationError(["Send the report as a JSON object (or as multipart form data)."])
    for name in ("form_data", "severity_suggestion"):
        if isinstance(data.get(name), str):
            try:
                data[name] = json.loads(data[name]) if data[name].strip() else None
            except ValueError as exc:
                raise ValidationError({name: [f"Send {name} as a JSON object ({exc})."]})
    for name in request.FILES:
        data.pop(name, None)
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    by_field = {name: request.FILES.getlist(name) for name in request.FILES if name != ATTACHMENTS_PART}
    return dict(serializer.validated_data), by_field, request.FILES.getlist(ATTACHMENTS_PART)


def deviation_response(deviation, request, status_code=status.HTTP_200_OK) -> Response:
    deviation = selectors.deviation_detail_queryset(request.user).get(pk=deviation.pk)
    detail = selectors.deviation_detail(deviation, request.user)
    data = DeviationDetailSerializer(deviation, context={"detail": detail, "workflow": detail.workflow}).data
    response = Response(data, status=status_code)
    response["ETag"] = f'"{deviation.row_version}"'
    return response


@extend_schema(tags=["deviations"])
@extend_schema_view(
    list=extend_schema(
        summary="List deviations",
        description="Deviations you may see (reporters: the ones they reported; deviations.view: all), with filters "
        "and `sort` (number, title, status, severity, occurred_at, reported_at, due_date, updated_at).",
        responses={200: DeviationListSerializer(many=True), **error_responses(401, 403, 422)},
    ),
)
class DeviationViewSet(ControlledRecordActionsMixin, ListModelMixin, viewsets.GenericViewSet):
    record_type = "deviation"
    record_response_serializer = DeviationDetailSerializer
    serializer_class = DeviationListSerializer
    filterset_class = DeviationFilter
    filter_backends = [QueryFilterBackend, SortFilter]
    sort_fields = {
        "number": "number",
        "title": "title",
        "status": "status",
        "severity": "severity_rank",
        "occurred_at": "occurred_at",
        "reported_at": "created_at",
        "created_at": "created_at",
        "due_date": "due_date",
        "updated_at": "updated_at",
    }
    default_sort = ["-created_at", "-pk"]
    required_permissions = {
        "list": READ,
        "retrieve": READ,
        "create": CREATE,
        "update": EDIT,
        "links": READ,
        "add_link": EDIT,
        "remove_link": EDIT,
        "add_attachments": EDIT,
        "download_attachment": READ,
        # approve, transition, configure_approval, workflow: the record type's (ControlledRecordActionsMixin)
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Deviation.objects.none()
        queryset = selectors.deviation_list(self.request.user)
        if "severity" in self.request.query_params.get("sort", ""):
            queryset = selectors.with_severity_rank(queryset)  # ranked only when sorted by it
        return queryset

    def get_object(self):
        return get_object_or_404(selectors.deviation_detail_queryset(self.request.user), pk=self.kwargs["pk"])

    def record_response(self, record, request) -> Response:
        return deviation_response(record, request)

    @extend_schema(
        request={
            "application/json": DeviationReportSerializer,
            "multipart/form-data": _multipart_schema(
                "form_data, severity_suggestion (a JSON string), one part per file of an image or file field named "
                "<section>.<field>, and further files as parts named attachments.",
                severity_suggestion={"type": "string", "description": "The suggestion shown, as a JSON string"},
            ),
        },
        responses={201: DeviationDetailSerializer, **error_responses(401, 403, 409, 413, 415, 422)},
        description="Reports a deviation through the active report form (GET /api/deviations/form-templates/active). "
        "Its number is DEV-<year>-NNNN (gap-free); its title, description, dates, area, category, severity, product, "
        "batch and immediate action come from the answers to the fields with those keys, the due date from the "
        "severity's rule. Every bad answer is listed in one 422 FORM_ANSWERS_INVALID with loc "
        '["body", "form_data", "<section>", "<field>"]. Files get the document upload checks: over MAX_UPLOAD_MB is '
        "413 FILE_TOO_LARGE, content that is not what its name says (or not an image in an image field) 415 "
        'UNSUPPORTED_FILE_TYPE, naming the field (or ["attachments", n]) in `loc`. Records picked on the form become '
        "related items. Nothing is kept when anything fails. 409 NO_ACTIVE_FORM when no form is published.",
    )
    def create(self, request):
        data, by_field, attachments = answers_request(request, DeviationReportSerializer)
        deviation = services.report_deviation(
            actor=request.user,
            form_data=data["form_data"],
            files_by_field=by_field,
            attachments=attachments,
            severity_suggestion=data.get("severity_suggestion"),
        )
        return deviation_response(deviation, request, status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: DeviationDetailSerializer, **error_responses(401, 403, 404)},
        description="A deviation with its answers as reported, attachments, related items both ways, earlier "
        "deviations with the same category, area or product in the 12 months before it (recurrence), and its workflow: "
        "state, approvals, signatures, history and the transitions you may perform.",
    )
    def retrieve(self, request, pk=None):
        return deviation_response(self.get_object(), request)

    @extend_schema(
        request=DeviationUpdateSerializer,
        parameters=[IF_MATCH],
        responses={200: DeviationDetailSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Changes the fields sent (classification, investigation, CAPA decision, owner, due date); `reason` "
        "is required and `row_version` (or If-Match) must be the one you read, else 409 VERSION_CONFLICT. Every bad "
        "value is listed at once (422). A new severity moves the due date by its rule unless `due_date` is sent. "
        "Closed and cancelled deviations are read-only and a deviation in QA review is locked until returned to "
        "investigation: 409 NOT_EDITABLE.",
    )
    def update(self, request, pk=None):
        deviation = self.get_object()
        data = validated(DeviationUpdateSerializer, request, partial=True)  # only the fields sent (also in form data)
        reason, row_version = pop_reason_and_row_version(data, request)
        deviation = services.update_deviation(
            actor=request.user, deviation=deviation, changes=data, reason=reason, row_version=row_version
        )
        return deviation_response(deviation, request)

    @extend_schema(
        responses={200: LinksSerializer, **error_responses(401, 403, 404)},
        description="The deviation's related items (removed ones too, with who removed them and why) and the records "
        "linking to it. A linked record you may not view shows its number only (title null, accessible false).",
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def links(self, request, pk=None):
        deviation = self.get_object()
        return Response(
            LinksSerializer(
                {
                    "links": selectors.deviation_links(deviation, request.user),
                    "linked_from": selectors.link_registry.backlinks(deviation, request.user),
                }
            ).data
        )

    @extend_schema(
        request=LinkCreateSerializer,
        responses={201: DeviationDetailSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Links a record you may view: a document (at a version: `version`, default the one you see), "
        "another deviation, or a CAPA (422 LINK_TYPE_UNAVAILABLE until the CAPA module is installed), by id or number, "
        "with a `reason`. 409 ALREADY_LINKED when linked already; 409 NOT_EDITABLE on closed or cancelled deviations. "
        "The link shows on both records and is audited.",
    )
    @links.mapping.post
    def add_link(self, request, pk=None):
        deviation = self.get_object()
        data = validated(LinkCreateSerializer, request)
        services.link_record(
            actor=request.user,
            deviation=deviation,
            target_type=data["target_type"],
            target=data["target"],
            version=data["version"] or None,
            reason=data["reason"],
        )
        return deviation_response(deviation, request, status.HTTP_201_CREATED)

    @extend_schema(
        request=ReasonSerializer,
        parameters=[
            OpenApiParameter("link_id", int, OpenApiParameter.PATH),
            OpenApiParameter("reason", str, description="Why (or in the JSON body)"),
        ],
        responses={200: DeviationDetailSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Removes a link with a `reason` (query parameter or JSON body). The link stays on record as removed; "
        "409 LINK_REMOVED when it was removed already, NOT_EDITABLE on closed or cancelled deviations.",
    )
    @action(detail=True, methods=["delete"], url_path=r"links/(?P<link_id>[0-9]+)")
    def remove_link(self, request, pk=None, link_id=None):
        deviation = self.get_object()
        link = get_object_or_404(deviation.links.all(), pk=link_id)
        body = request.data if isinstance(request.data, dict) and request.data else {"reason": request.query_params.get("reason")}
        reason = ReasonSerializer(data=body)
        reason.is_valid(raise_exception=True)
        services.unlink_record(actor=request.user, deviation=deviation, link=link, reason=reason.validated_data["reason"])
        return deviation_response(deviation, request)

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    "description": {"type": "string", "maxLength": limits.DESCRIPTION},
                },
                "required": ["files"],
            }
        },
        responses={201: DeviationDetailSerializer, **error_responses(401, 403, 404, 409, 413, 415, 422)},
        description="Adds files to a deviation while it is reported or under investigation (the document upload "
        'checks: 413 FILE_TOO_LARGE, 415 UNSUPPORTED_FILE_TYPE with loc ["files", n]); audited with each checksum.',
    )
    @action(detail=True, methods=["post"], url_path="attachments")
    def add_attachments(self, request, pk=None):
        files.check_request_size(request.META.get("CONTENT_LENGTH"))
        deviation = self.get_object()
        description = request.data.get("description", "") if hasattr(request.data, "get") else ""
        if not isinstance(description, str) or len(description) > limits.DESCRIPTION:
            raise ValidationError({"description": [f"At most {limits.DESCRIPTION} characters."]})
        services.add_attachments(
            actor=request.user, deviation=deviation, uploads=request.FILES.getlist("files"), description=description
        )
        return deviation_response(deviation, request, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("attachment_id", int, OpenApiParameter.PATH)],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file, byte for byte"),
            **error_responses(401, 403, 404),
        },
        description="Streams a file of the deviation (its content type, Content-Disposition attachment with its name, "
        "X-Content-SHA256). Every download is audited.",
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
        deviation = self.get_object()
        return attachment_response(request.user, deviation, get_object_or_404(deviation.attachments.all(), pk=attachment_id))


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
class FormTemplateViewSet(ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = FormTemplateSerializer
    filterset_class = FormTemplateFilter
    sort_fields = ["name", "version", "status", "created_at", "published_at"]
    default_sort = ["name", "-version"]
    lookup_value_regex = r"\d+"
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
            "multipart/form-data": _multipart_schema("form_data, and one part per uploaded file named <section>.<field>."),
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
        template = self.get_object()
        data, by_field, _ = answers_request(request, AnswersCheckSerializer)
        cleaned = validate_answers(version=template, form_data=data["form_data"], files=by_field, user=request.user)
        return Response({"valid": True, "answers": cleaned.answers})

    def _response(self, template, status_code=status.HTTP_200_OK) -> Response:
        template = selectors.form_template_list(None).get(pk=template.pk)
        response = Response(form_template_data(template), status=status_code)
        response["ETag"] = f'"{template.row_version}"'
        return response
