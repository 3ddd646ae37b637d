"""Request and response shapes of the documents, document types and templates API (shape only)."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from qms.api import limits
from workflows.models import WorkflowTemplate
from workflows.serializers import RecordWorkflowFields, UserRefSerializer

from .models import Document, DocumentTemplate, DocumentType, DocumentVersion, OutputFormat, split_keywords
from .rendering import PARAMETER_TYPES

# --- references -------------------------------------------------------------------------------------


class DocumentTypeRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = DocumentType
        fields = ["id", "code", "name"]
        read_only_fields = fields


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "maxLength": limits.KEYWORDS},
            {"type": "array", "items": {"type": "string", "maxLength": limits.KEYWORDS}, "maxItems": limits.LIST_ITEMS},
        ]
    }
)
class KeywordsField(serializers.Field):
    """Accepts "a, b, c" or ["a", "b", "c"] (at most limits.KEYWORDS characters in all); returns a list."""

    def to_internal_value(self, data):
        if isinstance(data, str) or (isinstance(data, list) and all(isinstance(item, str) for item in data)):
            if len(data if isinstance(data, str) else ", ".join(data)) > limits.KEYWORDS:
                raise serializers.ValidationError(
                    f"Ensure the keywords have no more than {limits.KEYWORDS} characters.", code="max_length"
                )
            return split_keywords(data)
        raise serializers.ValidationError("Give keywords as a comma-separated string or a list of strings.")

    def to_representation(self, value):
        return split_keywords(value)


# --- documents -------------------------------------------------------------------------------------------


class DocumentVersionSerializer(serializers.ModelSerializer):
    file_path = serializers.CharField(source="file.name", read_only=True)
    created_by = UserRefSerializer(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DocumentVersion
        fields = [
            "id",
            "version",
            "status",
            "original_filename",
            "file_path",
            "file_size",
            "mime_type",
            "sha256",
            "change_summary",
            "processing_status",
            "processing_error",
            "page_count",
            "created_by",
            "created_at",
            "processed_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj) -> str:
        return f"{reverse('document-download', kwargs={'pk': obj.document_id})}?version={obj.version}"


class DocumentListSerializer(serializers.ModelSerializer):
    document_type = DocumentTypeRefSerializer(read_only=True)
    owner = UserRefSerializer(read_only=True)
    version = serializers.CharField(source="current_version.version", default=None, read_only=True, allow_null=True)
    effective_version = serializers.CharField(source="effective_version.version", default=None, read_only=True, allow_null=True)
    processing_status = serializers.CharField(
        source="current_version.processing_status", default=None, read_only=True, allow_null=True
    )
    keywords = KeywordsField(read_only=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "number",
            "title",
            "document_type",
            "category",
            "keywords",
            "status",
            "version",
            "effective_version",
            "owner",
            "effective_date",
            "next_review_date",
            "processing_status",
            "created_at",
            "updated_at",
            "row_version",
        ]
        read_only_fields = fields


class DocumentDetailSerializer(DocumentListSerializer, RecordWorkflowFields):
    """context: {"detail": selectors.document_detail(...), "workflow": that detail's workflow}."""

    description = serializers.CharField(read_only=True)
    file_path = serializers.CharField(
        source="current_version.file.name",
        default=None,
        allow_null=True,
        read_only=True,
        help_text="Where the current version's file is kept in the configured storage (STORAGE_TYPE)",
    )
    current_version = DocumentVersionSerializer(read_only=True, allow_null=True)
    versions = serializers.SerializerMethodField()
    created_by = UserRefSerializer(read_only=True)

    class Meta(DocumentListSerializer.Meta):
        fields = DocumentListSerializer.Meta.fields + [
            "description",
            "file_path",
            "current_version",
            "versions",
            "workflow",
            "available_transitions",
            "approvals",
            "signatures",
            "created_by",
        ]
        read_only_fields = fields

    @extend_schema_field(DocumentVersionSerializer(many=True))
    def get_versions(self, obj):
        return DocumentVersionSerializer(self.context["detail"].versions, many=True).data


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, max_length=1000)
    title = serializers.CharField(max_length=255)
    document_type = serializers.PrimaryKeyRelatedField(queryset=DocumentType.objects.filter(is_active=True))
    category = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=limits.DESCRIPTION)
    keywords = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=limits.KEYWORDS, help_text="Comma-separated keywords"
    )
    change_summary = serializers.CharField(required=False, allow_blank=True, default="", max_length=limits.COMMENT)


class NewVersionSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, max_length=1000)
    change_summary = serializers.CharField(max_length=limits.COMMENT, help_text="What changed in this version")
    row_version = serializers.IntegerField(
        max_value=limits.MAX_INT, required=False, min_value=1, help_text="Optimistic concurrency check"
    )


class MetadataUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=255, required=False)
    category = serializers.CharField(max_length=100, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=limits.DESCRIPTION)
    keywords = KeywordsField(required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    next_review_date = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=limits.REASON, help_text="Why the metadata changes (recorded in the audit trail)")
    row_version = serializers.IntegerField(
        max_value=limits.MAX_INT, required=False, min_value=1, help_text="The row_version you read (or send If-Match)"
    )


# --- document types ------------------------------------------------------------------------------------


class DocumentTypeSerializer(serializers.ModelSerializer):
    default_workflow = serializers.PrimaryKeyRelatedField(queryset=WorkflowTemplate.objects.all())
    default_workflow_name = serializers.CharField(source="default_workflow.name", read_only=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=limits.DESCRIPTION)
    reason = serializers.CharField(required=False, allow_blank=True, write_only=True, default="", max_length=limits.REASON)
    row_version = serializers.IntegerField(max_value=limits.MAX_INT, required=False, min_value=1)

    class Meta:
        model = DocumentType
        fields = [
            "id",
            "name",
            "code",
            "description",
            "default_workflow",
            "default_workflow_name",
            "review_period_months",
            "approvers_need_training",
            "is_active",
            "created_at",
            "updated_at",
            "row_version",
            "reason",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}, "code": {"validators": []}}

    def validate_code(self, value):
        value = value.strip().upper()
        DocumentType._meta.get_field("code").run_validators(value)
        return value


# --- document templates ----------------------------------------------------------------------------------


class TemplateVariableSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    parameter_type = serializers.ChoiceField(choices=PARAMETER_TYPES, default="string")
    is_required = serializers.BooleanField(default=False)
    default_value = serializers.JSONField(required=False, allow_null=True, default=None)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=limits.DESCRIPTION)
    choices = serializers.ListField(
        child=serializers.CharField(max_length=limits.NAME),
        required=False,
        max_length=limits.LIST_ITEMS,
        help_text="parameter_type=choice",
    )


class DocumentTemplateSerializer(serializers.ModelSerializer):
    variables = TemplateVariableSerializer(many=True, required=False, default=list, max_length=limits.LIST_ITEMS)
    document_type = serializers.PrimaryKeyRelatedField(queryset=DocumentType.objects.all())
    output_format = serializers.ChoiceField(choices=OutputFormat.choices, default=OutputFormat.DOCX)
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=limits.DESCRIPTION)
    body = serializers.CharField(
        max_length=limits.TEMPLATE_BODY,
        help_text="Markdown with {{ variable }} placeholders (no other template syntax is executed).",
    )
    reason = serializers.CharField(required=False, allow_blank=True, write_only=True, default="", max_length=limits.REASON)
    row_version = serializers.IntegerField(max_value=limits.MAX_INT, required=False, min_value=1)

    class Meta:
        model = DocumentTemplate
        fields = [
            "id",
            "name",
            "description",
            "category",
            "document_type",
            "body",
            "variables",
            "output_format",
            "is_active",
            "usage_count",
            "created_by",
            "created_at",
            "updated_at",
            "row_version",
            "reason",
        ]
        read_only_fields = ["id", "usage_count", "created_by", "created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}


class DocumentTemplateListSerializer(DocumentTemplateSerializer):
    variable_count = serializers.SerializerMethodField()

    class Meta(DocumentTemplateSerializer.Meta):
        fields = [f for f in DocumentTemplateSerializer.Meta.fields if f not in ("body", "reason")] + ["variable_count"]

    def get_variable_count(self, obj) -> int:
        return len(obj.variables or [])


class UseTemplateSerializer(serializers.Serializer):
    template_id = serializers.IntegerField(max_value=limits.MAX_INT, min_value=1)
    variables = serializers.DictField(child=serializers.JSONField(), required=False, default=dict)
    title = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=255,
        help_text="Document title (default: the 'title' variable, else the template name)",
    )
    category = serializers.CharField(required=False, allow_null=True, default=None, max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=limits.DESCRIPTION)

    def validate_variables(self, value):
        too_long = [name for name, item in value.items() if len(str(item)) > limits.VARIABLE_VALUE]
        if too_long:
            raise serializers.ValidationError(
                f"Values may have at most {limits.VARIABLE_VALUE} characters: {', '.join(sorted(too_long))}."
            )
        return value

    keywords = KeywordsField(required=False, default=list)


class DownloadQuerySerializer(serializers.Serializer):
    version = serializers.CharField(required=False, help_text="Version label, e.g. 1.0 (default: the current version)")
