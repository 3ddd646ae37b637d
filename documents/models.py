"""Controlled documents: types, documents, their immutable versions (files), and document templates.

A document moves through workflow instances (one per revision cycle): the first cycle takes
version 1.0 (1.1, ... while still a draft) to effective; revising an effective document starts a
new cycle with version 2.0 while 1.x stays effective, and when 2.0 becomes effective 1.x is
superseded. `Document.status` is the state of the current cycle; `effective_version` is what
readers use.
"""

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse

from audit.changes import AuditedFieldsMixin


class DocumentType(AuditedFieldsMixin, models.Model):
    """A kind of controlled document; its code is the prefix of its documents' numbers (SOP-0001,
    from the running sequence of workflows.numbering)."""

    audit_resource_type = "document_type"
    audit_fields = [
        "name",
        "code",
        "description",
        "default_workflow",
        "review_period_months",
        "approvers_need_training",
        "is_active",
    ]

    name = models.CharField(max_length=100, unique=True)
    code = models.CharField(
        max_length=10,
        unique=True,
        validators=[RegexValidator(r"^[A-Z][A-Z0-9]{0,9}$", "Upper-case letters and digits.")],
        help_text="Number prefix, e.g. SOP gives SOP-0001.",
    )
    description = models.TextField(blank=True)
    default_workflow = models.ForeignKey(
        "workflows.WorkflowTemplate",
        on_delete=models.PROTECT,
        related_name="document_types",
        help_text="New documents of this type start on the current version of this workflow template.",
    )
    review_period_months = models.PositiveSmallIntegerField(default=24, validators=[MinValueValidator(1)])
    approvers_need_training = models.BooleanField(
        default=False, help_text="Approvers must have completed qualification training (enforced by the training module)."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    row_version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class Document(AuditedFieldsMixin, models.Model):
    # The metadata an update may change (documents.services.update_metadata), as audited.
    audit_fields = ["title", "category", "description", "keywords", "owner.username", "next_review_date"]

    number = models.CharField(max_length=30, unique=True, editable=False)
    title = models.CharField(max_length=255)
    document_type = models.ForeignKey(DocumentType, on_delete=models.PROTECT, related_name="documents")
    category = models.CharField(max_length=100, blank=True, db_index=True)
    description = models.TextField(blank=True)
    keywords = models.CharField(max_length=500, blank=True, help_text="Comma-separated")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_documents")
    status = models.CharField(max_length=50, db_index=True, editable=False, help_text="State of the current workflow cycle")
    current_version = models.ForeignKey(
        "DocumentVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        help_text="The latest version (the one the current workflow cycle is about).",
    )
    effective_version = models.ForeignKey(
        "DocumentVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        help_text="The version in force (readers use this one).",
    )
    workflow_instance = models.ForeignKey(
        "workflows.WorkflowInstance", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    effective_date = models.DateField(null=True, blank=True)
    next_review_date = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    row_version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("documents:detail", args=[self.pk])

    @property
    def keyword_list(self) -> list[str]:
        return split_keywords(self.keywords)

    def signature_content(self) -> dict:
        """What a signature on the document covers: its current version (see DocumentVersion)."""
        return self.current_version.signature_content(document=self)


class ProcessingStatus(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class DocumentVersion(models.Model):
    """One immutable file of a document. The file is written once and never overwritten."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(max_length=20)
    major = models.PositiveIntegerField()
    minor = models.PositiveIntegerField()
    file = models.FileField(max_length=500)
    original_filename = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    mime_type = models.CharField(max_length=150)
    change_summary = models.TextField(blank=True)
    status = models.CharField(max_length=50, help_text="Life-cycle state of this version")
    workflow_instance = models.ForeignKey("workflows.WorkflowInstance", on_delete=models.PROTECT, related_name="+")
    source_text = models.TextField(blank=True, help_text="Rendered Markdown when the version was made from a template")
    extracted_text = models.TextField(blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    processing_status = models.CharField(max_length=20, choices=ProcessingStatus.choices, default=ProcessingStatus.UPLOADED)
    processing_error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document_id", "major", "minor"]
        constraints = [models.UniqueConstraint(fields=["document", "major", "minor"], name="document_version_unique")]

    def __str__(self) -> str:
        return f"{self.document.number} v{self.version}"

    def signature_content(self, document: Document | None = None) -> dict:
        """Number, version, title, metadata and the file's SHA-256: a change to any of them after
        signing makes the signature's verification fail."""
        document = document or self.document
        return {
            "number": document.number,
            "version": self.version,
            "title": document.title,
            "document_type": document.document_type.code,
            "category": document.category,
            "description": document.description,
            "keywords": document.keyword_list,
            "file_sha256": self.sha256,
            "file_size": self.file_size,
            "original_filename": self.original_filename,
        }


class OutputFormat(models.TextChoices):
    DOCX = "docx", "Word document (DOCX)"
    PDF = "pdf", "PDF"


class DocumentTemplate(AuditedFieldsMixin, models.Model):
    """A body with `{{ variable }}` placeholders and the typed variables that fill it."""

    audit_resource_type = "document_template"
    audit_fields = ["name", "description", "category", "document_type.code", "body", "variables", "output_format", "is_active"]

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=100, blank=True, db_index=True)
    document_type = models.ForeignKey(DocumentType, on_delete=models.PROTECT, related_name="templates")
    body = models.TextField(help_text="Markdown with {{ variable }} placeholders (no other template syntax is executed).")
    variables = models.JSONField(
        default=list,
        blank=True,
        help_text='[{"name", "parameter_type": string|number|date|email|choice, "is_required", "default_value", '
        '"description", "choices"}]',
    )
    output_format = models.CharField(max_length=10, choices=OutputFormat.choices, default=OutputFormat.DOCX)
    is_active = models.BooleanField(default=True)
    usage_count = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    row_version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def split_keywords(raw) -> list[str]:
    if isinstance(raw, (list, tuple)):
        items = raw
    else:
        items = (raw or "").split(",")
    seen, out = set(), []
    for item in items:
        word = str(item).strip()
        if word and word.lower() not in seen:
            seen.add(word.lower())
            out.append(word)
    return out


class CopyKind(models.TextChoices):
    CONTROLLED = "controlled", "Controlled copy"
    UNCONTROLLED = "uncontrolled", "Uncontrolled copy"


class ControlledCopy(models.Model):
    """A numbered printed copy of a document version (EU GMP Annex 11 §8, ISO 13485 4.2.4): who
    printed which version when, until when it is valid, and the SHA-256 of the PDF issued.
    Controlled copies are of the effective version; any other version prints as uncontrolled."""

    number = models.CharField(max_length=40, unique=True, editable=False)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="copies", editable=False)
    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="copies", editable=False)
    kind = models.CharField(max_length=20, choices=CopyKind.choices, editable=False)
    issued_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    issued_to_name = models.CharField(max_length=200, editable=False, help_text="Printed name at issue")
    issued_at = models.DateTimeField(db_index=True, editable=False)
    valid_until = models.DateTimeField(null=True, blank=True, editable=False, help_text="None for uncontrolled copies")
    page_count = models.PositiveIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name_plural = "controlled copies"

    def __str__(self) -> str:
        return self.number
