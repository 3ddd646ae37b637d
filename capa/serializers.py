"""Request and response shapes of the CAPA API (shape only; the rules live in capa/services.py)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from qms.api.fields import IdField
from workflows.serializers import RecordWorkflowFields, UserRefSerializer

from . import limits
from .models import (
    ActionStatus,
    Attachment,
    Capa,
    CapaAction,
    CapaSource,
    CapaType,
    EffectivenessReview,
    Priority,
    ReviewResult,
)
from .selectors import is_overdue

USERS = User.objects.all()


class CapaListSerializer(serializers.ModelSerializer):
    type = serializers.ChoiceField(source="capa_type", choices=CapaType.choices, read_only=True)
    source = serializers.ChoiceField(choices=CapaSource.choices, read_only=True)
    priority = serializers.ChoiceField(choices=Priority.choices, read_only=True)
    owner = UserRefSerializer(read_only=True)
    # A column of the list querysets (selectors.capa_list: `overdue`), so rows are read flat.
    is_overdue = serializers.BooleanField(
        source="overdue", read_only=True, help_text="Past its due date and neither closed nor cancelled"
    )

    class Meta:
        model = Capa
        fields = [
            "id",
            "number",
            "legacy_number",
            "title",
            "type",
            "source",
            "source_reference",
            "priority",
            "status",
            "owner",
            "due_date",
            "is_overdue",
            "created_at",
            "closed_at",
            "row_version",
        ]
        read_only_fields = fields


class CapaAttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = UserRefSerializer(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "action_id",
            "name",
            "description",
            "size",
            "mime_type",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj) -> str:
        return f"/api/capa/{obj.capa_id}/attachments/{obj.pk}"


class ActionSerializer(serializers.ModelSerializer):
    owner = UserRefSerializer(read_only=True)
    completed_by = UserRefSerializer(read_only=True, allow_null=True)
    created_by = UserRefSerializer(read_only=True)
    is_overdue = serializers.SerializerMethodField()
    evidence_files = serializers.SerializerMethodField()

    class Meta:
        model = CapaAction
        fields = [
            "id",
            "sequence",
            "description",
            "owner",
            "due_date",
            "original_due_date",
            "is_overdue",
            "status",
            "completion_evidence",
            "evidence_files",
            "completed_at",
            "completed_by",
            "cancellation_reason",
            "created_by",
            "created_at",
            "row_version",
        ]
        read_only_fields = fields

    def get_is_overdue(self, obj) -> bool:
        from django.utils import timezone

        return obj.status == ActionStatus.OPEN and obj.due_date < timezone.localdate()

    @extend_schema_field(CapaAttachmentSerializer(many=True))
    def get_evidence_files(self, obj):
        files = getattr(obj, "evidence_files", None)
        if files is None:
            files = list(obj.attachments.select_related("uploaded_by"))
        return CapaAttachmentSerializer(files, many=True).data


class ReviewSerializer(serializers.ModelSerializer):
    reviewer = UserRefSerializer(read_only=True, allow_null=True)
    created_by = UserRefSerializer(read_only=True)

    class Meta:
        model = EffectivenessReview
        fields = [
            "id",
            "sequence",
            "planned_date",
            "method",
            "reviewer",
            "result",
            "evidence",
            "reviewed_at",
            "signature_id",
            "due_flagged_at",
            "created_by",
            "created_at",
            "row_version",
        ]
        read_only_fields = fields


class LinkedDeviationSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The link's id (held_by capa: DELETE /api/capa/{id}/deviations/{link id})")
    held_by = serializers.ChoiceField(
        choices=["capa", "deviation"], help_text="capa: linked on the CAPA; deviation: the deviation's CAPA decision links it"
    )
    deviation_id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField(allow_null=True, help_text="null when you may not view the deviation")
    status = serializers.CharField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    accessible = serializers.BooleanField()
    linked_by = UserRefSerializer()
    linked_at = serializers.DateTimeField()
    removed_at = serializers.DateTimeField(allow_null=True)
    removed_by = UserRefSerializer(allow_null=True)
    removal_reason = serializers.CharField(allow_blank=True)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not instance["accessible"]:
            data["title"] = data["status"] = None
        return data


class LinkedDocumentSerializer(serializers.Serializer):
    version_id = serializers.IntegerField()
    document_id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    version = serializers.CharField()
    status = serializers.CharField()
    linked_at = serializers.DateTimeField()


class CapaDetailSerializer(CapaListSerializer, RecordWorkflowFields):
    """context: {"detail": selectors.capa_detail(...), "workflow": that detail's workflow}."""

    created_by = UserRefSerializer(read_only=True)
    is_overdue = serializers.SerializerMethodField(help_text="Past its due date and neither closed nor cancelled")
    actions = serializers.SerializerMethodField()
    effectiveness_reviews = serializers.SerializerMethodField()
    deviations = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()

    class Meta(CapaListSerializer.Meta):
        fields = CapaListSerializer.Meta.fields + [
            "description",
            "root_cause",
            "created_by",
            "updated_at",
            "actions",
            "effectiveness_reviews",
            "deviations",
            "documents",
            "attachments",
            "workflow",
            "available_transitions",
            "approvals",
            "signatures",
        ]
        read_only_fields = fields

    def get_is_overdue(self, obj) -> bool:
        return is_overdue(obj)

    @extend_schema_field(ActionSerializer(many=True))
    def get_actions(self, obj):
        return ActionSerializer(self.context["detail"].actions, many=True).data

    @extend_schema_field(ReviewSerializer(many=True))
    def get_effectiveness_reviews(self, obj):
        return ReviewSerializer(self.context["detail"].reviews, many=True).data

    @extend_schema_field(LinkedDeviationSerializer(many=True))
    def get_deviations(self, obj):
        return LinkedDeviationSerializer(self.context["detail"].deviations, many=True).data

    @extend_schema_field(LinkedDocumentSerializer(many=True))
    def get_documents(self, obj):
        return LinkedDocumentSerializer(self.context["detail"].documents, many=True).data

    @extend_schema_field(CapaAttachmentSerializer(many=True))
    def get_attachments(self, obj):
        return CapaAttachmentSerializer(self.context["detail"].attachments, many=True).data


def _text(limit: int, **kwargs):
    return serializers.CharField(max_length=limit, **kwargs)


def _user(**kwargs):
    return serializers.PrimaryKeyRelatedField(queryset=USERS, **kwargs)


class CapaCreateSerializer(serializers.Serializer):
    title = _text(limits.TITLE)
    description = _text(limits.LONG_TEXT, help_text="The problem statement")
    type = serializers.ChoiceField(choices=CapaType.choices, default=CapaType.CORRECTIVE)
    source = serializers.ChoiceField(choices=CapaSource.choices)
    source_reference = _text(limits.SOURCE_REFERENCE, required=False, allow_blank=True, default="")
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.MEDIUM)
    root_cause = _text(limits.LONG_TEXT, required=False, allow_blank=True, default="", help_text="May be copied from a deviation")
    owner_id = _user(source="owner", help_text="User id of the CAPA's owner")
    due_date = serializers.DateField()
    deviation_ids = serializers.ListField(
        child=IdField(),
        required=False,
        default=list,
        max_length=limits.MAX_LINKS_PER_REQUEST,
        help_text="Deviations it addresses",
    )
    document_version_ids = serializers.ListField(
        child=IdField(),
        required=False,
        default=list,
        max_length=limits.MAX_LINKS_PER_REQUEST,
        help_text="Document versions it refers to. With any, the CAPA starts open; without, as a draft awaiting approval",
    )
    legacy_number = _text(limits.LEGACY_NUMBER, required=False, allow_blank=True, default="", help_text="Imports: the old number")
    reason = _text(limits.REASON, required=False, allow_blank=True, default="")


class RaiseFromDeviationSerializer(serializers.Serializer):
    deviation_id = IdField(help_text="The deviation to raise the CAPA from (pre-fills title, problem, root cause, priority)")
    title = _text(limits.TITLE, required=False)
    description = _text(limits.LONG_TEXT, required=False)
    type = serializers.ChoiceField(choices=CapaType.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    root_cause = _text(limits.LONG_TEXT, required=False, allow_blank=True)
    owner_id = _user(source="owner", required=False)
    due_date = serializers.DateField(required=False)


class CapaUpdateSerializer(serializers.Serializer):
    title = _text(limits.TITLE, required=False)
    description = _text(limits.LONG_TEXT, required=False)
    type = serializers.ChoiceField(choices=CapaType.choices, required=False, source="capa_type")
    source = serializers.ChoiceField(choices=CapaSource.choices, required=False)
    source_reference = _text(limits.SOURCE_REFERENCE, required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    root_cause = _text(limits.LONG_TEXT, required=False, allow_blank=True)
    owner_id = _user(source="owner", required=False)
    due_date = serializers.DateField(required=False)
    document_version_ids = serializers.ListField(
        child=IdField(), required=False, max_length=limits.MAX_LINKS_PER_REQUEST, help_text="Replaces the linked versions"
    )
    reason = _text(limits.REASON, help_text="Why it changes (audit trail)")
    row_version = serializers.IntegerField(required=False, help_text="The row_version you read (or send If-Match)")


class ApproveDraftSerializer(serializers.Serializer):
    password = serializers.CharField(
        write_only=True, style={"input_type": "password"}, help_text="Your password: approving applies your e-signature"
    )
    comment = _text(limits.REASON, required=False, allow_blank=True, default="")


class ActionCreateSerializer(serializers.Serializer):
    description = _text(limits.LONG_TEXT)
    owner_id = _user(source="owner")
    due_date = serializers.DateField()


class ActionUpdateSerializer(serializers.Serializer):
    description = _text(limits.LONG_TEXT, required=False)
    owner_id = _user(source="owner", required=False)
    status = serializers.ChoiceField(
        choices=ActionStatus.choices,
        required=False,
        help_text="cancelled: cancel the action (with the reason); done: the owner completes it with `completion_evidence`",
    )
    completion_evidence = _text(limits.LONG_TEXT, required=False, help_text="With status done: what was done")
    due_date = serializers.DateField(required=False, help_text="A later date extends the due date (the reason is required)")
    reason = _text(limits.REASON, required=False, allow_blank=True, default="", help_text="Required for changes and extensions")
    row_version = serializers.IntegerField(required=False)


class ReviewCreateSerializer(serializers.Serializer):
    planned_date = serializers.DateField()
    method = _text(limits.LONG_TEXT, help_text="How effectiveness is judged, and the criteria")
    reviewer_id = _user(source="reviewer", required=False, allow_null=True, default=None)


class NewActionSerializer(serializers.Serializer):
    description = _text(limits.LONG_TEXT)
    owner_id = _user(source="owner")
    due_date = serializers.DateField()


class ReviewUpdateSerializer(serializers.Serializer):
    planned_date = serializers.DateField(required=False)
    method = _text(limits.LONG_TEXT, required=False)
    reviewer_id = _user(source="reviewer", required=False, allow_null=True)
    result = serializers.ChoiceField(
        choices=ReviewResult.choices, required=False, help_text="effective or not_effective records the result (signed)"
    )
    evidence = _text(limits.LONG_TEXT, required=False, allow_blank=True)
    password = serializers.CharField(required=False, write_only=True, allow_blank=True, style={"input_type": "password"})
    new_action = NewActionSerializer(required=False, allow_null=True, help_text="Required with not_effective")
    comment = _text(limits.REASON, required=False, allow_blank=True, default="")
    reason = _text(limits.REASON, required=False, allow_blank=True, default="", help_text="Required to change a plan")
    row_version = serializers.IntegerField(required=False)


class DeviationLinkSerializer(serializers.Serializer):
    deviation_id = IdField()
    reason = _text(limits.REASON, help_text="Why they are related (audit trail)")


class ReasonSerializer(serializers.Serializer):
    reason = _text(limits.REASON, help_text="Why (audit trail)")
