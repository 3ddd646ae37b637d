"""Deviations and the forms they are reported with.

Deviation records (`Deviation`): an unplanned departure from an approved procedure, reported through
the active report form, classified (category, area, severity), investigated (impact, root cause
with its method, the CAPA decision) and closed with an electronic signature on the workflow kit.
Categories, areas and the due-date rule per severity are configured in the admin. Attachments and
links to other records (documents at a version, other deviations, CAPAs) belong to a deviation;
links are never deleted, only marked removed with a reason.

Deviation report forms: versioned form templates made of sections and typed fields.

A form template is a family of versions (rows sharing `family`). A version is a draft until it is
published; publishing makes it THE active reporting form (the version previously active, of any
family, is retired). Published versions are never edited: a change to one makes a new draft
version, and a deviation keeps the version it was reported with. The sections and fields of a
version are its `sections` definition (see deviations/definition.py for the shape and its rules).
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse

from audit.changes import AuditedFieldsMixin

from . import limits


class FormStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class FieldType(models.TextChoices):
    TEXT = "text", "Text (one line)"
    TEXTAREA = "textarea", "Text (several lines)"
    SELECT = "select", "Choice from a list"
    NUMBER = "number", "Number"
    DATE = "date", "Date"
    CHECKBOX = "checkbox", "Checkbox"
    DOCUMENT_PICKER = "document_picker", "Controlled documents"
    CAPA_PICKER = "capa_picker", "CAPAs"
    IMAGE = "image", "Images (PNG, JPEG)"
    FILE = "file", "Files"


PICKER_TYPES = frozenset({FieldType.DOCUMENT_PICKER, FieldType.CAPA_PICKER})
FILE_TYPES = frozenset({FieldType.IMAGE, FieldType.FILE})


class FormTemplate(models.Model):
    """One version of a deviation report form."""

    family = models.UUIDField(default=uuid.uuid4, db_index=True, editable=False)
    name = models.CharField(max_length=limits.FORM_NAME)
    description = models.TextField(blank=True)  # at most limits.FORM_DESCRIPTION (deviations/definition.py)
    version = models.PositiveIntegerField(default=1, editable=False)
    status = models.CharField(max_length=10, choices=FormStatus.choices, default=FormStatus.DRAFT, editable=False)
    sections = models.JSONField(default=list, blank=True, help_text="Sections with their fields (deviations/definition.py).")
    previous_version = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_versions", editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False, help_text="When it last became active.")
    row_version = models.PositiveIntegerField(default=1, editable=False)

    audit_resource_type = "form_template"

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["family", "version"], name="form_template_family_version"),
            # One reporting form at a time: at most one version (of any family) is active.
            models.UniqueConstraint(fields=["status"], condition=Q(status="active"), name="form_template_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def is_active(self) -> bool:
        return self.status == FormStatus.ACTIVE

    def fields(self) -> list[tuple[dict, dict]]:
        """(section, field) pairs in form order."""
        return [(section, field) for section in self.sections for field in section.get("fields", [])]

    def field(self, key: str) -> dict | None:
        """The field with this key (keys are unique within a version), or None."""
        return next((field for _, field in self.fields() if field.get("key") == key), None)


# --- deviation records ------------------------------------------------------------------------------


class Severity(models.TextChoices):
    """The labels are the values (as the severity suggestion answers them: "High")."""

    LOW = "Low", "Low"
    MEDIUM = "Medium", "Medium"
    HIGH = "High", "High"
    CRITICAL = "Critical", "Critical"


SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


class RootCauseMethod(models.TextChoices):
    FIVE_WHYS = "five_whys", "5 Whys"
    FISHBONE = "fishbone", "Fishbone (Ishikawa)"
    OTHER = "other", "Other"


class ListEntry(AuditedFieldsMixin, models.Model):
    """An entry of a list QA keeps in the admin (categories, areas): named once, deactivated rather
    than deleted (deviations keep pointing at it), offered by report forms while active."""

    name = models.CharField(max_length=limits.NAME, unique=True)
    description = models.TextField(blank=True, max_length=limits.DESCRIPTION)
    is_active = models.BooleanField(default=True, help_text="Inactive entries are no longer offered when reporting.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    row_version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Category(ListEntry):
    """A deviation category (Equipment, Process, ...); the report form's category choices."""

    audit_resource_type = "deviation_category"
    audit_fields = ["name", "description", "is_active"]

    class Meta(ListEntry.Meta):
        verbose_name = "deviation category"
        verbose_name_plural = "deviation categories"


class Area(ListEntry):
    """Where deviations happen (a site, building, room or line); the report form's area choices."""

    audit_resource_type = "deviation_area"
    audit_fields = ["name", "site", "description", "is_active"]

    site = models.CharField(max_length=limits.SITE, blank=True)

    class Meta(ListEntry.Meta):
        verbose_name = "deviation area"


class SeverityDueRule(AuditedFieldsMixin, models.Model):
    """How many days a deviation of a severity has from its report to its closure (its due date)."""

    audit_resource_type = "deviation_due_rule"
    audit_fields = ["severity", "due_days"]

    severity = models.CharField(max_length=10, choices=Severity.choices, unique=True)
    due_days = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(365)])
    updated_at = models.DateTimeField(auto_now=True)
    row_version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["due_days"]
        verbose_name = "severity due-date rule"

    def __str__(self) -> str:
        return f"{self.severity}: {self.due_days} days"


class Deviation(AuditedFieldsMixin, models.Model):
    """One reported deviation. `status` follows its workflow (reported, under_investigation,
    qa_review, closed, cancelled); what was answered on the report form is kept as reported in
    `form_answers`, with the form version used."""

    audit_resource_type = "deviation"
    # What an update may change (deviations.services.update_deviation), and how it is audited.
    UPDATABLE_FIELDS = (
        "title",
        "description",
        "occurred_at",
        "discovered_at",
        "area",
        "category",
        "product",
        "batch",
        "severity",
        "severity_rationale",
        "immediate_action",
        "impact_assessment",
        "root_cause",
        "root_cause_method",
        "capa_required",
        "capa_decision_rationale",
        "owner",
        "due_date",
    )
    audit_fields = [
        {"area": "area.name", "category": "category.name", "owner": "owner.username"}.get(name, name) for name in UPDATABLE_FIELDS
    ]

    number = models.CharField(max_length=limits.NUMBER, unique=True, editable=False)
    legacy_number = models.CharField(
        max_length=limits.NUMBER,
        blank=True,
        editable=False,
        help_text="Its number in the legacy system it was imported from (blank for deviations reported here).",
    )
    title = models.CharField(max_length=limits.TITLE)
    description = models.TextField(max_length=limits.LONG_TEXT)
    occurred_at = models.DateField(help_text="The day the deviation happened.")
    discovered_at = models.DateField(null=True, blank=True, help_text="The day it was noticed (when other than reported).")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="deviations")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="deviations")
    product = models.CharField(max_length=limits.PRODUCT, blank=True)
    batch = models.CharField(max_length=limits.BATCH, blank=True, help_text="Batch or lot numbers, comma-separated.")
    severity = models.CharField(max_length=10, choices=Severity.choices, db_index=True)
    severity_rationale = models.TextField(blank=True, max_length=limits.LONG_TEXT)
    severity_suggestion = models.JSONField(
        null=True,
        blank=True,
        help_text="The severity suggested to the reporter (severity, confidence, rationale, method), kept beside "
        "the severity chosen; a suggestion, never the decision.",
    )
    immediate_action = models.TextField(blank=True, max_length=limits.LONG_TEXT)
    impact_assessment = models.TextField(blank=True, max_length=limits.LONG_TEXT)
    root_cause = models.TextField(blank=True, max_length=limits.LONG_TEXT)
    root_cause_method = models.CharField(max_length=20, choices=RootCauseMethod.choices, blank=True)
    capa_required = models.BooleanField(
        null=True, blank=True, help_text="Whether a CAPA is needed (empty: not decided yet; needed to close)."
    )
    capa_decision_rationale = models.TextField(
        blank=True, max_length=limits.LONG_TEXT, help_text="Why; required when no CAPA is raised."
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reported_deviations", editable=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_deviations",
        help_text="Who investigates it.",
    )
    due_date = models.DateField(db_index=True, help_text="From the severity's due-date rule unless set.")
    status = models.CharField(max_length=50, db_index=True, editable=False, help_text="State of its workflow")
    closed_at = models.DateTimeField(null=True, blank=True, editable=False, help_text="When it was last closed.")
    form_version = models.ForeignKey(FormTemplate, on_delete=models.PROTECT, related_name="deviations", editable=False)
    form_answers = models.JSONField(default=dict, editable=False, help_text="As reported, typed per field.")
    workflow_instance = models.ForeignKey(
        "workflows.WorkflowInstance", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, help_text="When it was reported.")
    updated_at = models.DateTimeField(auto_now=True)
    row_version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["category", "created_at"], name="deviation_category_reported"),
            models.Index(fields=["area", "created_at"], name="deviation_area_reported"),
            models.Index(Upper("product"), "created_at", name="deviation_product_reported"),
            models.Index(fields=["owner", "status"], name="deviation_owner_status"),
            models.Index(fields=["status", "due_date"], name="deviation_status_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["legacy_number"], condition=~models.Q(legacy_number=""), name="deviation_legacy_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("deviations:detail", args=[self.pk])

    @property
    def reported_at(self):
        return self.created_at

    def search_text(self) -> str:
        """What describes the deviation in words (for indexing and similarity)."""
        parts = [self.title, self.description, self.product, self.immediate_action, self.impact_assessment, self.root_cause]
        return "\n".join(part for part in parts if part)

    def signature_content(self) -> dict:
        """What a signature on the deviation covers: its classification, investigation, CAPA
        decision, the form answers as reported and the attachments' checksums (not its status, which
        the signed step itself changes)."""
        from audit.signatures import content_hash_of

        return {
            "number": self.number,
            "title": self.title,
            "description": self.description,
            "occurred_at": self.occurred_at.isoformat() if self.occurred_at else None,
            "area": self.area.name,
            "category": self.category.name,
            "product": self.product,
            "batch": self.batch,
            "severity": self.severity,
            "immediate_action": self.immediate_action,
            "impact_assessment": self.impact_assessment,
            "root_cause": self.root_cause,
            "root_cause_method": self.root_cause_method,
            "capa_required": self.capa_required,
            "capa_decision_rationale": self.capa_decision_rationale,
            "form_version": self.form_version_id,
            "form_answers_sha256": content_hash_of(self.form_answers),
            "attachments_sha256": sorted(a.sha256 for a in self.attachments.all()),
        }


class Attachment(models.Model):
    """A file kept with a deviation: from an image or file field of its report form (`field` is
    "<section>.<field>") or added to the record (`field` empty). Written once, never replaced."""

    audit_resource_type = "deviation_attachment"

    deviation = models.ForeignKey(Deviation, on_delete=models.PROTECT, related_name="attachments")
    field = models.CharField(max_length=101, blank=True, help_text="<section>.<field> of the report form, or empty")
    name = models.CharField(max_length=255, help_text="Safe file name")
    description = models.CharField(max_length=limits.DESCRIPTION, blank=True)
    size = models.PositiveBigIntegerField()
    mime_type = models.CharField(max_length=150, help_text="Judged from the content")
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=500)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = "deviation attachment"

    def __str__(self) -> str:
        return f"{self.name} ({self.deviation_id})"


class LinkSource(models.TextChoices):
    MANUAL = "manual", "Linked on the record"
    REPORT_FORM = "report_form", "Picked on the report form"


class Link(models.Model):
    """A related record of a deviation: a document at a version, another deviation, a CAPA. Shown
    on both records. Removing a link keeps the row (who, when, why) and audits it."""

    audit_resource_type = "deviation_link"

    deviation = models.ForeignKey(Deviation, on_delete=models.PROTECT, related_name="links")
    target_type = models.CharField(max_length=30, help_text="document, deviation, capa")
    target_id = models.BigIntegerField()
    target_number = models.CharField(max_length=limits.NUMBER, help_text="As it was when linked")
    target_title = models.CharField(max_length=limits.TITLE, blank=True)
    target_version = models.CharField(max_length=limits.VERSION, blank=True, help_text="Documents: the version linked")
    reason = models.TextField(max_length=limits.REASON)
    source = models.CharField(max_length=20, choices=LinkSource.choices, default=LinkSource.MANUAL)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    removal_reason = models.TextField(blank=True, max_length=limits.REASON)

    class Meta:
        ordering = ["pk"]
        verbose_name = "deviation link"
        constraints = [
            models.UniqueConstraint(
                fields=["deviation", "target_type", "target_id"],
                condition=Q(removed_at__isnull=True),
                name="deviation_link_once",
            ),
        ]
        indexes = [models.Index(fields=["target_type", "target_id"], name="deviation_link_target")]

    def __str__(self) -> str:
        return f"{self.deviation_id} → {self.target_type} {self.target_number}"

    @property
    def is_active(self) -> bool:
        return self.removed_at is None
