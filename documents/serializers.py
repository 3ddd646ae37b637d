"""Request and response shapes of the documents, document types and templates API (shape only)."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from qms.api import limits
from workflows.models import ApprovalMode, WorkflowTemplate
from workflows.serializers import ApprovalRuleSerializer

from .models import Document, DocumentTemplate, DocumentType, DocumentVersion, OutputFormat, split_keywords
from .rendering import PARAMETER_TYPES

# --- references -------------------------------------------------------------------------------------


class UserRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "full_name"]
        read_only_fields = fields


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


class TransitionOptionSerializer(serializers.Serializer):
    name = serializers.CharField()
    to_state = serializers.CharField()
    requires_signature = serializers.BooleanField()
    label = serializers.CharField()
    requires_comment = serializers.BooleanField()


class RuleProgressSerializer(serializers.Serializer):
    kind = serializers.CharField()
    role = serializers.CharField(allow_null=True)
    required_approvals = serializers.IntegerField()
    users = serializers.ListField(child=serializers.IntegerField())
    approvals = serializers.IntegerField(help_text="Approvals counted toward this rule in the current review")
    satisfied = serializers.BooleanField()


class ApprovalStatusSerializer(serializers.Serializer):
    state = serializers.CharField()
    approval_mode = serializers.CharField()
    author_may_approve = serializers.BooleanField()
    overridden = serializers.BooleanField(help_text="True when this document has its own rules (configure-approval)")
    satisfied = serializers.BooleanField()
    rules = RuleProgressSerializer(many=True)


class StateRefSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField()


class WorkflowTemplateRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.IntegerField()


class HistoryEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    workflow_instance = serializers.IntegerField()
    version = serializers.CharField(allow_null=True, help_text="Document version of this workflow cycle")
    action = serializers.CharField()
    transition = serializers.CharField(allow_blank=True)
    from_state = serializers.CharField(allow_blank=True)
    to_state = serializers.CharField(allow_blank=True)
    actor = UserRefSerializer(allow_null=True)
    actor_name = serializers.CharField(allow_blank=True)
    comment = serializers.CharField(allow_blank=True)
    signature_id = serializers.IntegerField(allow_null=True)
    is_automatic = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class WorkflowStatusSerializer(serializers.Serializer):
    instance_id = serializers.IntegerField()
    template = WorkflowTemplateRefSerializer()
    state = StateRefSerializer()
    started_at = serializers.DateTimeField()
    approval = ApprovalStatusSerializer(allow_null=True)
    history = HistoryEntrySerializer(many=True)


class ApprovalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    approver = UserRefSerializer()
    approver_name = serializers.CharField()
    approver_role = serializers.CharField(allow_blank=True)
    state = serializers.CharField()
    version = serializers.CharField(allow_null=True)
    rule = serializers.CharField(allow_blank=True)
    comment = serializers.CharField(allow_blank=True)
    signature_id = serializers.IntegerField(allow_null=True)
    current = serializers.BooleanField(help_text="Counts toward the review now in progress")
    created_at = serializers.DateTimeField()


class DocumentSignatureSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    signer = UserRefSerializer()
    printed_name = serializers.CharField()
    signed_at = serializers.DateTimeField()
    signature_type = serializers.CharField()
    meaning = serializers.CharField()
    intent = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    resource_type = serializers.CharField()
    resource_id = serializers.IntegerField()
    version = serializers.CharField(allow_null=True)
    content_hash = serializers.CharField()
    valid = serializers.BooleanField(help_text="The signed content still matches the record (metadata and file unchanged)")


class DocumentDetailSerializer(DocumentListSerializer):
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
    workflow = serializers.SerializerMethodField()
    available_transitions = serializers.SerializerMethodField()
    approvals = serializers.SerializerMethodField()
    signatures = serializers.SerializerMethodField()
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

    def _detail(self):
        return self.context["detail"]

    @extend_schema_field(DocumentVersionSerializer(many=True))
    def get_versions(self, obj):
        return DocumentVersionSerializer(self._detail().versions, many=True).data

    @extend_schema_field(WorkflowStatusSerializer(allow_null=True))
    def get_workflow(self, obj):
        workflow = self._detail().workflow
        return WorkflowStatusSerializer(workflow).data if workflow is not None else None

    @extend_schema_field(TransitionOptionSerializer(many=True))
    def get_available_transitions(self, obj):
        return [
            {
                "name": t.name,
                "to_state": t.to_state,
                "requires_signature": t.requires_signature,
                "label": t.label,
                "requires_comment": t.requires_comment,
            }
            for t in self._detail().available_transitions
        ]

    @extend_schema_field(ApprovalSerializer(many=True))
    def get_approvals(self, obj):
        return ApprovalSerializer(self._detail().approvals, many=True).data

    @extend_schema_field(DocumentSignatureSerializer(many=True))
    def get_signatures(self, obj):
        return DocumentSignatureSerializer(self._detail().signatures, many=True).data


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
    row_version = serializers.IntegerField(required=False, min_value=1, help_text="Optimistic concurrency check")


class MetadataUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=255, required=False)
    category = serializers.CharField(max_length=100, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=limits.DESCRIPTION)
    keywords = KeywordsField(required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    next_review_date = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=limits.REASON, help_text="Why the metadata changes (recorded in the audit trail)")
    row_version = serializers.IntegerField(required=False, min_value=1, help_text="The row_version you read (or send If-Match)")


class ApproveSerializer(serializers.Serializer):
    password = serializers.CharField(
        trim_whitespace=False,
        max_length=limits.PASSWORD,
        style={"input_type": "password"},
        help_text="Your password: approving applies your electronic signature",
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=limits.COMMENT)
    intent = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=limits.REASON,
        help_text="Statement of intent; defaults to the approval meaning",
    )


class TransitionRequestSerializer(serializers.Serializer):
    transition = serializers.CharField(max_length=50, help_text="Name from available_transitions")
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=limits.COMMENT)
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        default="",
        max_length=limits.PASSWORD,
        help_text="Required when the transition requires a signature",
    )
    intent = serializers.CharField(required=False, allow_blank=True, default="", max_length=limits.REASON)


class ConfigureApprovalSerializer(serializers.Serializer):
    state = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=limits.CODE,
        help_text="Approval state to configure (default: the workflow's first approval state)",
    )
    approval_mode = serializers.ChoiceField(choices=ApprovalMode.choices, required=False, default=ApprovalMode.ALL)
    author_may_approve = serializers.BooleanField(required=False, default=False)
    rules = ApprovalRuleSerializer(many=True, required=False, default=list, max_length=limits.LIST_ITEMS)
    reset = serializers.BooleanField(required=False, default=False, help_text="Go back to the template's rules")
    reason = serializers.CharField(max_length=limits.REASON, help_text="Why the approvers change (audit trail)")


# --- document types ------------------------------------------------------------------------------------


class DocumentTypeSerializer(serializers.ModelSerializer):
    default_workflow = serializers.PrimaryKeyRelatedField(queryset=WorkflowTemplate.objects.all())
    default_workflow_name = serializers.CharField(source="default_workflow.name", read_only=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=limits.DESCRIPTION)
    reason = serializers.CharField(required=False, allow_blank=True, write_only=True, default="", max_length=limits.REASON)
    row_version = serializers.IntegerField(required=False, min_value=1)

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
    row_version = serializers.IntegerField(required=False, min_value=1)

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
    template_id = serializers.IntegerField(min_value=1)
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
