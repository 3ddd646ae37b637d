"""Request and response shapes of the training API (shape only; services enforce the rules)."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from audit.models import SignatureType
from audit.serializers import ReasonField
from documents.models import Document
from qms.api import limits
from qms.api.fields import IdField, RecordField
from workflows.serializers import UserRefSerializer

from .models import (
    AssignmentKind,
    AssignmentStatus,
    Category,
    Completion,
    Level,
    ProgramStatus,
    Registration,
    RegistrationStatus,
    TrainingProgram,
)
from .selectors import CellStatus


class DocumentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Document
        fields = ["id", "number", "title"]
        read_only_fields = fields


class ProgramRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrainingProgram
        fields = ["id", "title", "category", "requires_signature"]
        read_only_fields = fields


class DocumentVersionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    document_id = serializers.IntegerField()
    number = serializers.CharField(source="document.number")
    title = serializers.CharField(source="document.title")
    version = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="The document's page")

    def get_url(self, obj) -> str:
        return reverse("documents:detail", args=[obj.document_id])


# --- programs -------------------------------------------------------------------------------------------


class ProgramSerializer(serializers.ModelSerializer):
    instructor_id = serializers.IntegerField(allow_null=True, read_only=True)
    instructor = UserRefSerializer(allow_null=True, read_only=True)
    linked_documents = DocumentRefSerializer(many=True, read_only=True)
    read_and_understood_document = DocumentRefSerializer(
        allow_null=True, read_only=True, help_text="Set on a document's read-and-understood program"
    )

    class Meta:
        model = TrainingProgram
        fields = [
            "id",
            "title",
            "description",
            "category",
            "level",
            "status",
            "duration_minutes",
            "credits",
            "instructor_id",
            "instructor",
            "max_participants",
            "linked_documents",
            "read_and_understood_document",
            "retraining_interval_days",
            "default_due_days",
            "requires_signature",
            "created_at",
            "updated_at",
            "row_version",
        ]
        read_only_fields = fields


class ProgramWriteSerializer(serializers.Serializer):
    """Create: title and category are required. Update: only the fields sent change (with `reason`)."""

    title = serializers.CharField(max_length=limits.NAME)
    description = serializers.CharField(max_length=limits.DESCRIPTION, required=False, allow_blank=True)
    category = serializers.ChoiceField(choices=Category.choices)
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    status = serializers.ChoiceField(
        choices=[(ProgramStatus.DRAFT, "Draft"), (ProgramStatus.PUBLISHED, "Published")],
        required=False,
        help_text="DRAFT (default) or PUBLISHED; retire with POST /api/training/{id}/retire",
    )
    duration_minutes = serializers.IntegerField(min_value=1, max_value=100000, required=False, allow_null=True)
    credits = serializers.IntegerField(min_value=0, max_value=1000, required=False)
    instructor_id = RecordField(queryset=User.objects.all(), source="instructor", required=False, allow_null=True)
    max_participants = serializers.IntegerField(min_value=1, max_value=100000, required=False, allow_null=True)
    linked_document_ids = serializers.ListField(
        child=RecordField(queryset=Document.objects.all()),
        source="linked_documents",
        required=False,
        max_length=limits.LIST_ITEMS,
        help_text="Controlled documents the program covers",
    )
    retraining_interval_days = serializers.IntegerField(min_value=1, max_value=36500, required=False, allow_null=True)
    default_due_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)
    requires_signature = serializers.BooleanField(
        required=False, allow_null=True, help_text="Default: true for GMP and SOP programs, false otherwise"
    )


class ProgramUpdateSerializer(ProgramWriteSerializer):
    reason = ReasonField(help_text="Why the program changes (audit trail). Required.")
    row_version = IdField(required=False, help_text="The row_version you read (or send If-Match)")


class RequiredReasonSerializer(serializers.Serializer):
    reason = ReasonField()


class DeleteOutcomeSerializer(serializers.Serializer):
    message = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["deleted", "retired"])


# --- assignments ---------------------------------------------------------------------------------------------


class AssignRequestSerializer(serializers.Serializer):
    training_id = IdField()
    user_ids = serializers.ListField(child=IdField(), required=False, default=list, max_length=limits.LIST_ITEMS)
    group_ids = serializers.ListField(child=IdField(), required=False, default=list, max_length=limits.LIST_ITEMS)
    due_date = serializers.DateField(required=False, allow_null=True, help_text="Default: today + the program's default_due_days")
    reason = ReasonField(required=False)


class BulkAssignRequestSerializer(AssignRequestSerializer):
    training_id = None
    training_ids = serializers.ListField(child=IdField(), min_length=1, max_length=limits.LIST_ITEMS)


class SkippedSerializer(serializers.Serializer):
    user = UserRefSerializer()
    reason = serializers.CharField()
    assignment_id = IdField(help_text="The open assignment the user already holds")


class CompletionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    completed_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    method = serializers.CharField()
    revoked = serializers.BooleanField()
    signature_id = serializers.IntegerField(allow_null=True)
    signature_meaning = serializers.CharField(allow_null=True)
    signed_by = serializers.CharField(allow_null=True, help_text="Printed name of the signer")


class AssignmentSerializer(serializers.Serializer):
    """An assignment row (`source` is an AssignmentView from training.selectors.with_completions)."""

    id = serializers.IntegerField(source="assignment.id")
    training = ProgramRefSerializer(source="assignment.program")
    user = UserRefSerializer(source="assignment.user")
    kind = serializers.ChoiceField(source="assignment.kind", choices=AssignmentKind.choices)
    document_version = DocumentVersionRefSerializer(
        source="assignment.document_version", allow_null=True, help_text="The version to read (read-and-understood)"
    )
    status = serializers.ChoiceField(source="assignment.status", choices=AssignmentStatus.choices)
    due_date = serializers.DateField(source="assignment.due_date", allow_null=True)
    assigned_at = serializers.DateTimeField(source="assignment.assigned_at")
    assigned_by = UserRefSerializer(source="assignment.assigned_by", allow_null=True, help_text="null: the system")
    reason = serializers.CharField(source="assignment.reason")
    completed_at = serializers.DateTimeField(source="assignment.completed_at", allow_null=True)
    cancelled_at = serializers.DateTimeField(source="assignment.cancelled_at", allow_null=True)
    cancel_reason = serializers.CharField(source="assignment.cancel_reason")
    completion = serializers.SerializerMethodField()
    qualified = serializers.BooleanField(help_text="Whether the user is qualified on the program now")
    row_version = serializers.IntegerField(source="assignment.row_version")

    @extend_schema_field(CompletionRefSerializer(allow_null=True))
    def get_completion(self, view):
        completion = view.completion
        if completion is None:
            return None
        signature = view.signature
        return CompletionRefSerializer(
            {
                "id": completion.pk,
                "completed_at": completion.completed_at,
                "expires_at": completion.expires_at,
                "method": completion.method,
                "revoked": view.revoked,
                "signature_id": signature.pk if signature else None,
                "signature_meaning": signature.meaning if signature else None,
                "signed_by": signature.printed_name if signature else None,
            }
        ).data


class AssignOutcomeSerializer(serializers.Serializer):
    training = ProgramRefSerializer(source="program")
    created = AssignmentSerializer(many=True)
    skipped = SkippedSerializer(many=True)


class BulkAssignOutcomeSerializer(serializers.Serializer):
    results = AssignOutcomeSerializer(many=True)
    created_total = serializers.IntegerField()
    skipped_total = serializers.IntegerField()


class CompleteRequestSerializer(serializers.Serializer):
    assignment_id = IdField(required=False, allow_null=True, help_text="Default: your open assignment")
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=limits.PASSWORD,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Required when the program needs an e-signature",
    )
    meaning = serializers.ChoiceField(
        choices=[SignatureType.TRAINING_COMPLETION],
        required=False,
        default=SignatureType.TRAINING_COMPLETION,
        help_text="The signature's meaning",
    )
    intent = serializers.CharField(
        max_length=limits.REASON, required=False, allow_blank=True, default="", help_text="Statement of intent"
    )
    comment = serializers.CharField(max_length=limits.COMMENT, required=False, allow_blank=True, default="")


class CompletionSerializer(serializers.ModelSerializer):
    training_id = serializers.IntegerField(source="program_id")
    user = UserRefSerializer()
    recorded_by = UserRefSerializer()
    revoked = serializers.SerializerMethodField()

    class Meta:
        model = Completion
        fields = [
            "id",
            "assignment_id",
            "training_id",
            "program_title",
            "user",
            "document_number",
            "document_version_label",
            "completed_at",
            "expires_at",
            "method",
            "recorded_by",
            "comment",
            "revoked",
        ]
        read_only_fields = fields

    def get_revoked(self, obj) -> bool:
        return hasattr(obj, "revocation")


# --- registrations -----------------------------------------------------------------------------------------


class RegistrationSerializer(serializers.ModelSerializer):
    training_id = serializers.IntegerField(source="program_id")
    training = ProgramRefSerializer(source="program")
    user_id = serializers.IntegerField()
    user = UserRefSerializer()

    class Meta:
        model = Registration
        fields = [
            "id",
            "user_id",
            "user",
            "training_id",
            "training",
            "status",
            "registered_at",
            "attended_at",
            "completion_date",
            "cancelled_at",
            "feedback_score",
            "row_version",
        ]
        read_only_fields = fields


class RegisterRequestSerializer(serializers.Serializer):
    training_id = IdField()
    user_id = IdField(required=False, allow_null=True, help_text="Register someone else (training.assign)")


class RegistrationUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=RegistrationStatus.choices, required=False)
    feedback_score = serializers.IntegerField(min_value=1, max_value=5, required=False)
    complete_assignment = serializers.BooleanField(
        required=False,
        default=True,
        help_text="Marking ATTENDED or COMPLETED completes the participant's open assignment of the program "
        "(unless the program needs the trainee's own e-signature)",
    )
    reason = ReasonField(required=False)


class RegistrationUpdateOutcomeSerializer(RegistrationSerializer):
    assignment_completed = serializers.BooleanField()

    class Meta(RegistrationSerializer.Meta):
        fields = RegistrationSerializer.Meta.fields + ["assignment_completed"]
        read_only_fields = fields


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()


# --- matrix --------------------------------------------------------------------------------------------------


class MatrixQuerySerializer(serializers.Serializer):
    group_id = IdField(required=False, help_text="Only members of this group")
    program_id = IdField(required=False, help_text="Only this program (column)")
    status = serializers.ChoiceField(choices=CellStatus.ALL, required=False, help_text="Only people with a cell in this status")


class MatrixProgramSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    category = serializers.CharField()
    read_and_understood_document = DocumentRefSerializer(allow_null=True)


class MatrixCellSerializer(serializers.Serializer):
    training_id = serializers.IntegerField(source="program_id")
    status = serializers.ChoiceField(choices=CellStatus.ALL)
    qualified = serializers.BooleanField()
    assignment_id = serializers.IntegerField(allow_null=True, help_text="The open assignment, if any")
    due_date = serializers.DateField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True, help_text="Latest completion that is not revoked")
    expires_at = serializers.DateTimeField(allow_null=True)


class MatrixRowSerializer(serializers.Serializer):
    user = UserRefSerializer()
    cells = MatrixCellSerializer(many=True)


class MatrixSerializer(serializers.Serializer):
    programs = MatrixProgramSerializer(many=True)
    items = MatrixRowSerializer(many=True)
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    total = serializers.IntegerField()
    pages = serializers.IntegerField()
