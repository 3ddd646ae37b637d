"""Deviation report forms: versioned form templates made of sections and typed fields.

A form template is a family of versions (rows sharing `family`). A version is a draft until it is
published; publishing makes it THE active reporting form (the version previously active, of any
family, is retired). Published versions are never edited: a change to one makes a new draft
version, and a deviation keeps the version it was reported with. The sections and fields of a
version are its `sections` definition (see deviations/definition.py for the shape and its rules).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


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
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
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
