"""Training records: the program catalogue, assignments (who must be trained on what, by when, and
for read-and-understood on which document version), completions (never changed or deleted: a
mistaken one is revoked by a CompletionRevocation with a reason), registrations for sessions with
limited seats, and what document control relies on: the training audience of a document type or
document, and the qualification requirements an approver must meet.

A person is *qualified* on a program when they hold a completion of it that is not revoked, not
expired (retraining interval) and, for a document's read-and-understood program, about the version
of the document that is effective now.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from audit.models import AppendOnlyModel
from qms.errors import Conflict, PermissionDenied

from .error_codes import ErrorCode


class Category(models.TextChoices):
    GMP = "GMP", "GMP"
    SOP = "SOP", "SOP"
    COMPLIANCE = "COMPLIANCE", "Compliance"
    SECURITY = "SECURITY", "Security"
    TECHNICAL = "TECHNICAL", "Technical"
    LEADERSHIP = "LEADERSHIP", "Leadership"


# Completing a program of these categories needs an e-signature unless the program says otherwise.
SIGNED_BY_DEFAULT = frozenset({Category.GMP, Category.SOP})


class Level(models.TextChoices):
    BEGINNER = "BEGINNER", "Beginner"
    INTERMEDIATE = "INTERMEDIATE", "Intermediate"
    ADVANCED = "ADVANCED", "Advanced"


class ProgramStatus(models.TextChoices):
    DRAFT = "DRAFT", "Draft"
    PUBLISHED = "PUBLISHED", "Published"
    RETIRED = "RETIRED", "Retired"


class TrainingProgram(models.Model):
    """One entry of the training catalogue. Retired, never deleted once it has history."""

    audit_resource_type = "training_program"

    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=20, choices=Category.choices, db_index=True)
    level = models.CharField(max_length=20, choices=Level.choices, default=Level.BEGINNER)
    status = models.CharField(max_length=20, choices=ProgramStatus.choices, default=ProgramStatus.DRAFT, db_index=True)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    credits = models.PositiveIntegerField(default=0)
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="instructed_programs"
    )
    max_participants = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text="Seats per session (registrations); blank: no limit."
    )
    linked_documents = models.ManyToManyField("documents.Document", blank=True, related_name="training_programs")
    read_and_understood_document = models.OneToOneField(
        "documents.Document",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="read_and_understood_program",
        help_text="Set on the read-and-understood program of a document: its assignments name the exact version.",
    )
    retraining_interval_days = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text="A completion expires after this many days."
    )
    default_due_days = models.PositiveIntegerField(default=30, validators=[MinValueValidator(1)])
    requires_signature = models.BooleanField(default=True, help_text="Completion needs the trainee's electronic signature.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    row_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read_and_understood(self) -> bool:
        return self.read_and_understood_document_id is not None


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    OVERDUE = "overdue", "Overdue"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = (AssignmentStatus.ASSIGNED, AssignmentStatus.OVERDUE)


class AssignmentKind(models.TextChoices):
    MANUAL = "manual", "Assigned"
    READ_AND_UNDERSTOOD = "read_and_understood", "Read and understood"
    RETRAINING = "retraining", "Retraining"
    HISTORICAL = "historical", "Historical (imported training record)"


class Assignment(models.Model):
    """Someone must complete a program by a due date. At most one is open per person and program."""

    audit_resource_type = "training_assignment"

    program = models.ForeignKey(TrainingProgram, on_delete=models.PROTECT, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_assignments")
    document_version = models.ForeignKey(
        "documents.DocumentVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="training_assignments",
        help_text="The version to read and understand (read-and-understood assignments).",
    )
    kind = models.CharField(max_length=20, choices=AssignmentKind.choices, default=AssignmentKind.MANUAL)
    status = models.CharField(max_length=20, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED)
    due_date = models.DateField(null=True, blank=True)
    assigned_at = models.DateTimeField()
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Blank: the system.",
    )
    via_group = models.ForeignKey(
        "accounts.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Assigned as a member."
    )
    reason = models.TextField(blank=True)
    retraining_of = models.OneToOneField(
        "Completion", null=True, blank=True, on_delete=models.PROTECT, related_name="retraining_assignment"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    row_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-assigned_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "program"],
                condition=Q(status__in=["assigned", "overdue"]),
                name="training_one_open_assignment",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_date"], name="training_assignment_due_idx"),
            models.Index(fields=["program", "user"], name="training_assignment_cell_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.program} for {self.user} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CompletionMethod(models.TextChoices):
    SELF = "self", "Completed by the trainee"
    ATTENDANCE = "attendance", "Attendance recorded by the instructor"
    IMPORTED = "imported", "Imported from a legacy system (history, no electronic signature)"


class Completion(AppendOnlyModel):
    """A person completed an assignment. Never changed or deleted (revocation is a new record), in the
    database too (append-only: audit.models.AppendOnlyModel, triggers from migration 0003).

    The program title and the document version's number, label and checksum are copied at
    completion: they are what the trainee's signature covers, and they stay as they were then."""

    audit_resource_type = "training_completion"

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="completions")
    program = models.ForeignKey(TrainingProgram, on_delete=models.PROTECT, related_name="completions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_completions")
    document_version = models.ForeignKey(
        "documents.DocumentVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="training_completions"
    )
    completed_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    method = models.CharField(max_length=20, choices=CompletionMethod.choices, default=CompletionMethod.SELF)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    program_title = models.CharField(max_length=255)
    document_number = models.CharField(max_length=30, blank=True)
    document_version_label = models.CharField(max_length=20, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-completed_at", "-pk"]
        indexes = [models.Index(fields=["user", "program"], name="training_completion_cell_idx")]

    def __str__(self) -> str:
        return f"{self.user} completed {self.program_title}"

    def signature_content(self) -> dict:
        """The trainee's signature covers who completed which program, on which document version."""
        return {
            "completion_id": self.pk,
            "trainee": self.user.username,
            "program_id": self.program_id,
            "program_title": self.program_title,
            "document_number": self.document_number or None,
            "document_version": self.document_version_label or None,
            "document_sha256": self.document_sha256 or None,
            "completed_at": self.completed_at,
        }

    def check_can_sign(self, user, signature_type: str) -> None:
        """Only the trainee signs their completion, once, with the meaning "training completion"."""
        from audit.models import Signature, SignatureType

        if user.pk != self.user_id:
            raise PermissionDenied("Only the trainee signs a training completion.")
        if signature_type != SignatureType.TRAINING_COMPLETION:
            raise PermissionDenied("A training completion is signed with the meaning 'training completion'.")
        if Signature.objects.filter(resource_type="training_completion", resource_id=self.pk).exists():
            raise Conflict("This completion is already signed.", error_code=ErrorCode.ALREADY_SIGNED)


class CompletionRevocation(AppendOnlyModel):
    """Withdraws a completion recorded by mistake; the completion itself stays as it was."""

    completion = models.OneToOneField(Completion, on_delete=models.PROTECT, related_name="revocation")
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField()
    reason = models.TextField()

    def __str__(self) -> str:
        return f"Revocation of completion {self.completion_id}"


class RegistrationStatus(models.TextChoices):
    REGISTERED = "REGISTERED", "Registered"
    ATTENDED = "ATTENDED", "Attended"
    CANCELLED = "CANCELLED", "Cancelled"
    COMPLETED = "COMPLETED", "Completed"


# Registrations that hold a seat.
SEAT_STATUSES = (RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED, RegistrationStatus.COMPLETED)


class Registration(models.Model):
    """A seat in a program's session (capacity: the program's max_participants)."""

    audit_resource_type = "training_registration"

    program = models.ForeignKey(TrainingProgram, on_delete=models.PROTECT, related_name="registrations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_registrations")
    status = models.CharField(max_length=20, choices=RegistrationStatus.choices, default=RegistrationStatus.REGISTERED)
    registered_at = models.DateTimeField()
    attended_at = models.DateTimeField(null=True, blank=True)
    completion_date = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    feedback_score = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    updated_at = models.DateTimeField(auto_now=True)
    row_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-registered_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "user"], condition=~Q(status="CANCELLED"), name="training_one_active_registration"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.program} ({self.status})"


class TrainingAudience(models.Model):
    """Who must read and understand each new effective version of a document type's documents (or of
    one document, which then replaces its type's audience): members of the groups and holders of the
    roles, as they are when the version becomes effective."""

    audit_resource_type = "training_audience"

    document_type = models.OneToOneField(
        "documents.DocumentType", null=True, blank=True, on_delete=models.CASCADE, related_name="training_audience"
    )
    document = models.OneToOneField(
        "documents.Document", null=True, blank=True, on_delete=models.CASCADE, related_name="training_audience"
    )
    groups = models.ManyToManyField("accounts.Group", blank=True, related_name="+")
    roles = models.ManyToManyField("accounts.Role", blank=True, related_name="+")
    due_days = models.PositiveIntegerField(default=14, validators=[MinValueValidator(1)])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(document_type__isnull=False, document__isnull=True)
                | Q(document_type__isnull=True, document__isnull=False),
                name="training_audience_type_or_document",
            ),
        ]

    def __str__(self) -> str:
        return f"Training audience of {self.document or self.document_type}"


class QualificationRequirement(models.Model):
    """What an approver must be trained on to approve or sign a controlled record in a workflow state
    (blank: every state): a program, or (documents only) the document's effective version.

    It applies to documents of a type (blank: every type) and to records following a workflow (any
    version of the template; blank: every workflow); with neither, to every controlled record
    (documents, deviations, CAPA, ...). A requirement naming a document type applies to documents only."""

    audit_resource_type = "qualification_requirement"

    document_type = models.ForeignKey(
        "documents.DocumentType",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="qualification_requirements",
        help_text="Documents of this type only; blank: any record.",
    )
    workflow_template = models.ForeignKey(
        "workflows.WorkflowTemplate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Records following this workflow (any of its versions); blank: any workflow.",
    )
    workflow_state = models.SlugField(max_length=50, blank=True, help_text="State name, e.g. in_review; blank: every state.")
    program = models.ForeignKey(
        TrainingProgram, null=True, blank=True, on_delete=models.PROTECT, related_name="qualification_requirements"
    )
    requires_document_training = models.BooleanField(
        default=False,
        help_text="The approver must have read and understood the document's effective version (documents only).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(program__isnull=False) | Q(requires_document_training=True),
                name="training_requirement_names_something",
            ),
        ]

    def __str__(self) -> str:
        what = self.program.title if self.program_id else "the document's effective version"
        scope = [
            self.document_type.code if self.document_type_id else "",
            self.workflow_template.name if self.workflow_template_id else "",
        ]
        where = " ".join(part for part in scope if part) or "any record"
        return f"{what} ({where}, {self.workflow_state or 'any state'})"
