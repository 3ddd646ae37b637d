"""CAPAs (corrective and preventive actions), their action plans, effectiveness reviews, the
deviations and document versions they are linked to, and their files.

A CAPA's `status` follows its workflow ("CAPA handling": draft → open → in progress → pending
effectiveness → closed, or cancelled); its number is CAPA-YYYY-NNNN (gap-free, never reused).
Links to deviations are many-to-many and are never deleted: removing one keeps the row (who, when,
why). Actions and reviews are numbered 1, 2, ... within their CAPA.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from audit.changes import AuditedFieldsMixin

from . import limits


class CapaType(models.TextChoices):
    CORRECTIVE = "corrective", "Corrective"
    PREVENTIVE = "preventive", "Preventive"
    BOTH = "both", "Corrective and preventive"


class CapaSource(models.TextChoices):
    DEVIATION = "deviation", "Deviation"
    AUDIT_FINDING = "audit_finding", "Audit finding"
    COMPLAINT = "complaint", "Complaint"
    TREND = "trend", "Trend"
    OTHER = "other", "Other"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


PRIORITY_RANK = {Priority.LOW: 1, Priority.MEDIUM: 2, Priority.HIGH: 3, Priority.CRITICAL: 4}


class Capa(AuditedFieldsMixin, models.Model):
    """One CAPA. `status` is its workflow state's name; `closed_at` is set while it is closed."""

    audit_resource_type = "capa"
    # What an update may change (capa.services.update_capa), and how it is audited.
    UPDATABLE_FIELDS = (
        "title",
        "description",
        "capa_type",
        "source",
        "source_reference",
        "priority",
        "root_cause",
        "owner",
        "due_date",
    )
    audit_fields = [{"owner": "owner.username"}.get(name, name) for name in UPDATABLE_FIELDS]

    number = models.CharField(max_length=limits.NUMBER, unique=True, editable=False)
    legacy_number = models.CharField(
        max_length=limits.LEGACY_NUMBER,
        blank=True,
        help_text="The number the CAPA had in the system it was imported from (unique when given).",
    )
    title = models.CharField(max_length=limits.TITLE)
    description = models.TextField(max_length=limits.LONG_TEXT, help_text="The problem statement.")
    capa_type = models.CharField(max_length=20, choices=CapaType.choices, default=CapaType.CORRECTIVE)
    source = models.CharField(max_length=20, choices=CapaSource.choices, db_index=True)
    source_reference = models.CharField(
        max_length=limits.SOURCE_REFERENCE, blank=True, help_text="e.g. the audit report or complaint number."
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM, db_index=True)
    root_cause = models.TextField(blank=True, max_length=limits.LONG_TEXT)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_capas")
    due_date = models.DateField(db_index=True)
    status = models.CharField(max_length=50, db_index=True, editable=False, help_text="State of its workflow")
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    workflow_instance = models.ForeignKey(
        "workflows.WorkflowInstance", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    row_version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "CAPA"
        verbose_name_plural = "CAPAs"
        constraints = [
            models.UniqueConstraint(fields=["legacy_number"], condition=~Q(legacy_number=""), name="capa_legacy_number_unique"),
        ]
        indexes = [
            models.Index(fields=["owner", "status"], name="capa_owner_status"),
            models.Index(fields=["status", "due_date"], name="capa_status_due"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("capa:detail", args=[self.pk])

    def search_text(self) -> str:
        return "\n".join(part for part in (self.title, self.description, self.root_cause) if part)

    def signature_content(self) -> dict:
        """What a signature on the CAPA covers: the plan approved with it (the problem statement and
        its classification). The action plan, reviews and deviation links are records of their own
        (actions are completed, reviews signed separately), so they are not part of it."""
        return {
            "number": self.number,
            "legacy_number": self.legacy_number,
            "title": self.title,
            "description": self.description,
            "capa_type": self.capa_type,
            "source": self.source,
            "source_reference": self.source_reference,
        }


class CapaDeviation(models.Model):
    """A deviation the CAPA addresses (many-to-many). Removing a link keeps the row."""

    capa = models.ForeignKey(Capa, on_delete=models.PROTECT, related_name="deviation_links")
    deviation = models.ForeignKey("deviations.Deviation", on_delete=models.PROTECT, related_name="capa_links")
    reason = models.TextField(max_length=limits.REASON, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    removal_reason = models.TextField(blank=True, max_length=limits.REASON)

    class Meta:
        ordering = ["pk"]
        verbose_name = "CAPA deviation link"
        constraints = [
            models.UniqueConstraint(
                fields=["capa", "deviation"], condition=Q(removed_at__isnull=True), name="capa_deviation_link_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.capa_id} → deviation {self.deviation_id}"


class CapaDocument(models.Model):
    """A document version the CAPA refers to (e.g. the SOP it changes), as it was when linked."""

    capa = models.ForeignKey(Capa, on_delete=models.PROTECT, related_name="document_links")
    version = models.ForeignKey("documents.DocumentVersion", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = "CAPA document link"
        constraints = [models.UniqueConstraint(fields=["capa", "version"], name="capa_document_version_once")]

    def __str__(self) -> str:
        return f"{self.capa_id} → version {self.version_id}"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class CapaAction(AuditedFieldsMixin, models.Model):
    """One action of a CAPA's plan, done by its owner by its due date."""

    audit_resource_type = "capa_action"
    audit_fields = ["description", "owner.username", "due_date", "status", "completion_evidence"]

    capa = models.ForeignKey(Capa, on_delete=models.PROTECT, related_name="actions")
    sequence = models.PositiveIntegerField(help_text="1, 2, ... within the CAPA")
    description = models.TextField(max_length=limits.LONG_TEXT)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="capa_actions")
    due_date = models.DateField(db_index=True)
    original_due_date = models.DateField(help_text="The due date it was planned with (extensions move due_date).")
    status = models.CharField(max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN, db_index=True)
    completion_evidence = models.TextField(blank=True, max_length=limits.LONG_TEXT)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    cancellation_reason = models.TextField(blank=True, max_length=limits.REASON)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    row_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["capa_id", "sequence"]
        verbose_name = "CAPA action"
        constraints = [models.UniqueConstraint(fields=["capa", "sequence"], name="capa_action_sequence")]
        indexes = [models.Index(fields=["owner", "status", "due_date"], name="capa_action_owner_status")]

    def __str__(self) -> str:
        return f"Action {self.sequence} of CAPA {self.capa_id}"


class ReviewResult(models.TextChoices):
    PENDING = "pending", "Pending"
    EFFECTIVE = "effective", "Effective"
    NOT_EFFECTIVE = "not_effective", "Not effective"


class EffectivenessReview(AuditedFieldsMixin, models.Model):
    """A planned check, some time after the actions, that the CAPA worked. Its result is recorded
    once, with the reviewer's electronic signature; from then on it never changes."""

    audit_resource_type = "capa_effectiveness_review"
    audit_fields = ["planned_date", "method", "reviewer.username", "result", "evidence"]

    capa = models.ForeignKey(Capa, on_delete=models.PROTECT, related_name="effectiveness_reviews")
    sequence = models.PositiveIntegerField()
    planned_date = models.DateField(db_index=True)
    method = models.TextField(max_length=limits.LONG_TEXT, help_text="How effectiveness is judged, and the criteria.")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who is to review (anyone with capa.effectiveness when empty); then who reviewed.",
    )
    result = models.CharField(max_length=20, choices=ReviewResult.choices, default=ReviewResult.PENDING, db_index=True)
    evidence = models.TextField(blank=True, max_length=limits.LONG_TEXT)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    signature_id = models.BigIntegerField(null=True, blank=True, help_text="The reviewer's electronic signature (audit app).")
    due_flagged_at = models.DateTimeField(
        null=True, blank=True, help_text="When the daily job flagged it as due (once per review)."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    row_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["capa_id", "sequence"]
        verbose_name = "CAPA effectiveness review"
        constraints = [models.UniqueConstraint(fields=["capa", "sequence"], name="capa_review_sequence")]

    def __str__(self) -> str:
        return f"Effectiveness review {self.sequence} of CAPA {self.capa_id}"

    def signature_content(self) -> dict:
        """What the reviewer signs: the review's plan, result and evidence, for this CAPA."""
        return {
            "capa": self.capa.number,
            "review": self.sequence,
            "planned_date": self.planned_date.isoformat(),
            "method": self.method,
            "result": self.result,
            "evidence": self.evidence,
        }


class Attachment(models.Model):
    """A file kept with a CAPA, or as completion evidence of one of its actions. Written once."""

    capa = models.ForeignKey(Capa, on_delete=models.PROTECT, related_name="attachments")
    action = models.ForeignKey(CapaAction, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments")
    name = models.CharField(max_length=255)
    description = models.CharField(max_length=2000, blank=True)
    size = models.PositiveBigIntegerField()
    mime_type = models.CharField(max_length=150)
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=500)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = "CAPA attachment"

    def __str__(self) -> str:
        return f"{self.name} ({self.capa_id})"
