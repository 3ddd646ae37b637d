"""API actions of the copy register, mixed into the documents ViewSet:
`GET /api/documents/{id}/controlled-copy?version=` and `GET /api/documents/{id}/copies`."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer

from qms.api.renderers import AnyMediaRenderer
from qms.api.schema import error_responses

from . import copies
from .models import ControlledCopy

COPY_PERMISSIONS = {"controlled_copy": "documents.download", "copies": "documents.view"}


class ControlledCopySerializer(serializers.ModelSerializer):
    version = serializers.CharField(source="version.version", read_only=True)
    issued_to = serializers.SerializerMethodField()

    class Meta:
        model = ControlledCopy
        fields = ["id", "number", "version", "kind", "issued_to", "issued_at", "valid_until", "page_count", "sha256"]
        read_only_fields = fields

    @staticmethod
    def get_issued_to(obj) -> dict:
        return {"id": obj.issued_to_id, "username": obj.issued_to.username, "full_name": obj.issued_to_name}


def copy_response(copy: ControlledCopy, pdf: bytes, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{copy.number}.pdf"'
    response["X-Copy-Number"] = copy.number
    response["X-Content-SHA256"] = copy.sha256
    return response


class ControlledCopyActionsMixin:
    """Needs the ViewSet's get_object() (a document the user may see) and pagination."""

    @extend_schema(
        parameters=[OpenApiParameter("version", str, description="Version label, e.g. 1.0 (default: the effective version)")],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The stamped copy"),
            **error_responses(401, 403, 404, 409),
        },
        description="A numbered PDF copy of a version: the original PDF pages (or a rendition of a DOCX, text, Markdown "
        "or image file), stamped on every page with number, version, effective date and 'CONTROLLED COPY — printed by "
        "<name> at <UTC time>, valid until <time>' (the earlier of the next periodic review and "
        "CONTROLLED_COPY_VALID_HOURS); a version that is not the effective one prints as an UNCONTROLLED COPY (for "
        "those who may see it). The last pages list every electronic signature of the version (printed name, UTC "
        "time, meaning) and the revision history. Each copy is numbered (X-Copy-Number), registered (GET "
        "/api/documents/{id}/copies) and audited. 409 NO_RENDITION for files that cannot be printed (XLSX).",
    )
    @action(detail=True, methods=["get"], url_path="controlled-copy", renderer_classes=[JSONRenderer, AnyMediaRenderer])
    def controlled_copy(self, request, pk=None):
        copy, pdf = copies.issue_copy(
            actor=request.user, document=self.get_object(), version_label=request.query_params.get("version")
        )
        return copy_response(copy, pdf)

    @extend_schema(
        responses={200: ControlledCopySerializer(many=True), **error_responses(401, 403, 404)},
        description="The copy register of the document, newest first: every copy for those who see all versions, "
        "otherwise your own.",
    )
    @action(detail=True, methods=["get"])
    def copies(self, request, pk=None):
        page = self.paginate_queryset(copies.copies_visible_to(request.user, self.get_object()))
        return self.get_paginated_response(ControlledCopySerializer(page, many=True).data)
