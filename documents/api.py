"""REST endpoints: documents (upload, list, detail, metadata, versions, download; approve,
transition, configure-approval and workflow from the controlled-record kit's mixin), document types
and document templates."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from qms.api.lists import ListModelMixin
from qms.api.renderers import AnyMediaRenderer
from qms.api.request_data import if_match_version, pop_reason_and_row_version, validated
from qms.api.schema import error_responses
from qms.errors import NotFound
from workflows.api import ControlledRecordActionsMixin

from . import files, selectors, services
from .copies_api import COPY_PERMISSIONS, ControlledCopyActionsMixin
from .downloads import download_response
from .filters import DocumentFilter, DocumentTemplateFilter
from .models import Document, DocumentTemplate
from .serializers import (
    DocumentDetailSerializer,
    DocumentListSerializer,
    DocumentTemplateListSerializer,
    DocumentTemplateSerializer,
    DocumentTypeSerializer,
    DocumentVersionSerializer,
    MetadataUpdateSerializer,
    NewVersionSerializer,
    UploadSerializer,
    UseTemplateSerializer,
)


def detail_response(document, request, status_code=status.HTTP_200_OK) -> Response:
    document = selectors.document_detail_queryset(request.user).get(pk=document.pk)
    detail = selectors.document_detail(document, request.user)
    response = Response(
        DocumentDetailSerializer(document, context={"detail": detail, "workflow": detail.workflow}).data, status=status_code
    )
    response["ETag"] = f'"{document.row_version}"'
    return response


@extend_schema_view(
    list=extend_schema(responses={200: DocumentListSerializer(many=True), **error_responses(401, 403, 422)}),
)
@extend_schema(tags=["documents"])
class DocumentViewSet(ControlledRecordActionsMixin, ControlledCopyActionsMixin, ListModelMixin, viewsets.GenericViewSet):
    record_type = "document"
    record_response_serializer = DocumentDetailSerializer
    serializer_class = DocumentListSerializer
    filterset_class = DocumentFilter
    sort_fields = {
        "number": "number",
        "title": "title",
        "status": "status",
        "category": "category",
        "created_at": "created_at",
        "updated_at": "updated_at",
        "effective_date": "effective_date",
        "next_review_date": "next_review_date",
    }
    default_sort = ["-created_at", "-pk"]
    required_permissions = {
        "list": "documents.view",
        "retrieve": "documents.view",
        "update": "documents.edit",
        "upload": "documents.create",
        "versions": "documents.view",
        "add_version": "documents.create",
        "download": "documents.download",
        **COPY_PERMISSIONS,
        # approve, transition, configure_approval, workflow: the record type's (ControlledRecordActionsMixin)
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Document.objects.none()
        if self.action == "list":
            return selectors.documents_visible_to(self.request.user)
        return selectors.document_list(self.request.user)

    def get_object(self):
        return get_object_or_404(selectors.document_detail_queryset(self.request.user), pk=self.kwargs["pk"])

    def record_response(self, record, request) -> Response:
        return detail_response(record, request)

    @extend_schema(responses={200: DocumentDetailSerializer, **error_responses(401, 403, 404)})
    def retrieve(self, request, pk=None):
        return detail_response(self.get_object(), request)

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={201: DocumentDetailSerializer, **error_responses(401, 403, 413, 415, 422)},
        description="Creates a controlled document (number from its type, e.g. SOP-0007) whose version 1.0 is the "
        "file, in the initial state of the type's workflow. Files over MAX_UPLOAD_MB are refused with 413 "
        "FILE_TOO_LARGE before anything is stored; the type is checked from the content (PDF, DOCX, XLSX, TXT, "
        "Markdown, PNG, JPEG), a mismatch is 415 UNSUPPORTED_FILE_TYPE. Text extraction runs in the background "
        "(current_version.processing_status: uploaded → processing → completed | failed).",
    )
    @action(detail=False, methods=["post"])
    def upload(self, request):
        files.check_request_size(request.META.get("CONTENT_LENGTH"))
        data = validated(UploadSerializer, request)
        document = services.upload_document(actor=request.user, **data)
        return detail_response(document, request, status.HTTP_201_CREATED)

    @extend_schema(
        request=MetadataUpdateSerializer,
        responses={200: DocumentDetailSerializer, **error_responses(401, 403, 404, 409, 422)},
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, description='The row_version, e.g. "3"')],
        description="Changes metadata (only the fields sent). `reason` is required; `row_version` (or If-Match) "
        "must be the one you read, else 409 VERSION_CONFLICT. `title`, `category`, `description` and `keywords` are "
        "part of what electronic signatures on the document cover: once a version carries signatures or the document "
        "is approved (or effective), changing them is 409 SIGNED_CONTENT_LOCKED (with `locked_fields`; signed content "
        "changes only with a new revision). `owner` and `next_review_date` stay editable.",
    )
    def update(self, request, pk=None):
        document = self.get_object()
        data = validated(MetadataUpdateSerializer, request)
        reason = data.pop("reason")
        row_version = data.pop("row_version", None)
        if row_version is None:
            row_version = if_match_version(request)
        document = services.update_metadata(
            actor=request.user, document=document, changes=data, reason=reason, row_version=row_version
        )
        return detail_response(document, request)

    @extend_schema(responses={200: DocumentVersionSerializer(many=True), **error_responses(401, 403, 404)})
    @action(detail=True, methods=["get"])
    def versions(self, request, pk=None):
        document = self.get_object()
        return self.paginated_rows(selectors.versions_visible_to(request.user, document), DocumentVersionSerializer)

    @extend_schema(
        request={"multipart/form-data": NewVersionSerializer},
        responses={201: DocumentDetailSerializer, **error_responses(401, 403, 404, 409, 413, 415, 422)},
        description="Uploads a new version. While the document is a draft (or rejected) this is the next minor "
        "version (1.1); on an effective document it starts a revision (2.0) in a new workflow cycle while the "
        "effective version stays effective until the revision becomes effective, then it is superseded. "
        "In review or approved: 409 NOT_EDITABLE.",
    )
    @versions.mapping.post
    def add_version(self, request, pk=None):
        files.check_request_size(request.META.get("CONTENT_LENGTH"))
        document = self.get_object()
        data = validated(NewVersionSerializer, request)
        services.add_version(
            actor=request.user,
            document=document,
            file=data["file"],
            change_summary=data["change_summary"],
            row_version=data.get("row_version") or if_match_version(request),
        )
        return detail_response(document, request, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("version", str, description="Version label, e.g. 1.0 (default: the current version)")],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file, byte for byte"),
            **error_responses(401, 403, 404),
        },
        description="Streams the stored file with its content type and Content-Disposition (attachment; the "
        "original filename). X-Content-SHA256 carries its checksum. Every download is audited.",
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, AnyMediaRenderer])
    def download(self, request, pk=None):
        document = self.get_object()
        version = selectors.version_for_download(request.user, document, request.query_params.get("version"))
        if version is None:
            raise NotFound("No such version of this document." if request.query_params.get("version") else "No file to download.")
        return download_response(actor=request.user, document=document, version=version)


@extend_schema_view(
    list=extend_schema(responses={200: DocumentTypeSerializer(many=True), **error_responses(401, 403, 422)}),
    retrieve=extend_schema(responses={200: DocumentTypeSerializer, **error_responses(401, 403, 404)}),
)
@extend_schema(tags=["document types"])
class DocumentTypeViewSet(ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DocumentTypeSerializer
    sort_fields = ["code", "name", "created_at"]
    default_sort = ["code"]
    required_permissions = {
        "list": "document_types.view",
        "retrieve": "document_types.view",
        "create": "document_types.manage",
        "update": "document_types.manage",
    }

    def get_queryset(self):
        return selectors.document_type_list()

    @extend_schema(request=DocumentTypeSerializer, responses={201: DocumentTypeSerializer, **error_responses(401, 403, 409, 422)})
    def create(self, request):
        data = validated(DocumentTypeSerializer, request)
        data.pop("reason", None), data.pop("row_version", None)
        doc_type = services.create_document_type(actor=request.user, data=data)
        return Response(DocumentTypeSerializer(doc_type).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DocumentTypeSerializer,
        responses={200: DocumentTypeSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Existing documents keep their numbers; the code of a type that has documents cannot change.",
    )
    def update(self, request, pk=None):
        doc_type = self.get_object()
        data = validated(DocumentTypeSerializer, request, partial=True)
        reason, row_version = pop_reason_and_row_version(data, request)
        doc_type = services.update_document_type(
            actor=request.user, doc_type=doc_type, data=data, reason=reason, row_version=row_version
        )
        return Response(DocumentTypeSerializer(doc_type).data)


@extend_schema_view(
    list=extend_schema(responses={200: DocumentTemplateListSerializer(many=True), **error_responses(401, 403, 422)}),
    retrieve=extend_schema(responses={200: DocumentTemplateSerializer, **error_responses(401, 403, 404)}),
)
@extend_schema(tags=["templates"])
class DocumentTemplateViewSet(ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DocumentTemplateSerializer
    filterset_class = DocumentTemplateFilter
    sort_fields = ["name", "category", "created_at", "usage_count"]
    default_sort = ["name"]
    required_permissions = {
        "list": "templates.view",
        "retrieve": "templates.view",
        "create": "templates.manage",
        "update": "templates.manage",
        "use": "templates.use",
    }

    def get_queryset(self):
        return selectors.template_list()

    def get_serializer_class(self):
        return DocumentTemplateListSerializer if self.action == "list" else DocumentTemplateSerializer

    @extend_schema(
        request=DocumentTemplateSerializer,
        responses={201: DocumentTemplateSerializer, **error_responses(401, 403, 409, 422)},
        description="`body` is Markdown with `{{ variable }}` placeholders; every placeholder must be declared in "
        "`variables` (parameter_type string, number, date, email or choice). No other template syntax is executed.",
    )
    def create(self, request):
        data = validated(DocumentTemplateSerializer, request)
        data.pop("reason", None), data.pop("row_version", None)
        template = services.create_template(actor=request.user, data=data)
        return Response(DocumentTemplateSerializer(template).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DocumentTemplateSerializer,
        responses={200: DocumentTemplateSerializer, **error_responses(401, 403, 404, 409, 422)},
    )
    def update(self, request, pk=None):
        template = self.get_object()
        data = validated(DocumentTemplateSerializer, request, partial=True)
        reason, row_version = pop_reason_and_row_version(data, request)
        template = services.update_template(
            actor=request.user, template=template, data=data, reason=reason, row_version=row_version
        )
        return Response(DocumentTemplateSerializer(template).data)

    @extend_schema(
        request=UseTemplateSerializer,
        responses={201: DocumentDetailSerializer, **error_responses(401, 403, 404, 409, 422)},
        description='Creates a draft document from a template, e.g. {"template_id": 1, "variables": {"title": '
        '"Quality Manual", "version": "1.0", "author": "John Doe"}}. Its version 1.0 is the rendered content as '
        "a DOCX or PDF file (the Markdown is kept as the version's source). Missing required variables, undeclared "
        "variables and values of the wrong type are a 422 naming each variable.",
    )
    @action(detail=False, methods=["post"])
    def use(self, request):
        data = validated(UseTemplateSerializer, request)
        template = DocumentTemplate.objects.select_related("document_type").filter(pk=data.pop("template_id")).first()
        if template is None:
            raise NotFound("Template not found.")
        document = services.use_template(actor=request.user, template=template, **data)
        return detail_response(document, request, status.HTTP_201_CREATED)
