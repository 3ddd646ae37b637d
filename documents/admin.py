"""Admin screens for document types and document templates (configuration, changed through the
services so they are validated and audited) and read-only views of documents and versions (GMP
evidence: they change only through their workflow, in the pages or the API)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from qms.admin_services import ReadOnly, SavedThroughServices
from qms.errors import DomainError, InvalidInputs
from workflows.numbering import last_number

from . import rendering, services
from .models import Document, DocumentTemplate, DocumentType, DocumentVersion


def _raise_as_validation_error(exc: DomainError):
    if isinstance(exc, InvalidInputs):
        raise ValidationError([f"{'.'.join(map(str, loc))}: {msg}" for loc, msg, _ in exc.problems])
    raise ValidationError(str(exc.detail))


@admin.register(DocumentType)
class DocumentTypeAdmin(SavedThroughServices, admin.ModelAdmin):
    list_display = ["code", "name", "default_workflow", "review_period_months", "approvers_need_training", "is_active"]
    list_filter = ["is_active", "default_workflow"]
    search_fields = ["code", "name"]
    readonly_fields = ["numbers_given", "created_at", "updated_at", "row_version"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: documents keep their type

    @admin.display(description="Numbers given")
    def numbers_given(self, obj):
        """How many numbers the type's sequence has handed out (its last document is CODE-NNNN)."""
        return last_number(obj.code, yearly=False) if obj.pk else 0

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data[field] for field in form.changed_data if field in services.TYPE_FIELDS}
        if change:
            saved = services.update_document_type(actor=request.user, doc_type=obj, data=data, reason="Changed in the admin")
        else:
            saved = services.create_document_type(
                actor=request.user, data={f: form.cleaned_data[f] for f in services.TYPE_FIELDS if f in form.cleaned_data}
            )
        obj.pk, obj.row_version = saved.pk, saved.row_version


class DocumentTemplateForm(forms.ModelForm):
    class Meta:
        model = DocumentTemplate
        fields = ["name", "description", "category", "document_type", "body", "variables", "output_format", "is_active"]

    def clean(self):
        data = super().clean()
        try:
            rendering.check_template(data.get("body", ""), rendering.normalise_variables(data.get("variables") or []))
        except DomainError as exc:
            _raise_as_validation_error(exc)
        return data


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(SavedThroughServices, admin.ModelAdmin):
    form = DocumentTemplateForm
    list_display = ["name", "category", "document_type", "output_format", "usage_count", "is_active"]
    list_filter = ["category", "document_type", "is_active"]
    search_fields = ["name", "description"]
    readonly_fields = ["usage_count", "created_by", "created_at", "updated_at", "row_version"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: created documents refer to their template in the audit trail

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in DocumentTemplateForm.Meta.fields}
        if change:
            saved = services.update_template(actor=request.user, template=obj, data=data, reason="Changed in the admin")
        else:
            saved = services.create_template(actor=request.user, data=data)
        obj.pk, obj.row_version = saved.pk, saved.row_version


class VersionInline(ReadOnly, admin.TabularInline):
    model = DocumentVersion
    extra = 0
    fields = [
        "version",
        "status",
        "original_filename",
        "file_size",
        "mime_type",
        "sha256",
        "processing_status",
        "created_by",
        "created_at",
    ]
    readonly_fields = fields


@admin.register(Document)
class DocumentAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["number", "title", "document_type", "status", "current_version", "effective_version", "owner", "updated_at"]
    list_filter = ["document_type", "status", "category"]
    search_fields = ["number", "title"]
    list_select_related = ["document_type", "current_version", "effective_version", "owner"]
    readonly_fields = [
        "number",
        "title",
        "document_type",
        "category",
        "description",
        "keywords",
        "owner",
        "status",
        "current_version",
        "effective_version",
        "workflow_instance",
        "effective_date",
        "next_review_date",
        "created_by",
        "created_at",
        "updated_at",
        "row_version",
    ]
    fields = readonly_fields
    inlines = [VersionInline]


@admin.register(DocumentVersion)
class DocumentVersionAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["document", "version", "status", "original_filename", "processing_status", "created_at"]
    list_filter = ["processing_status", "status", "mime_type"]
    search_fields = ["document__number", "original_filename", "sha256"]
    list_select_related = ["document"]
    exclude = ["extracted_text", "source_text"]
    readonly_fields = [
        "document",
        "version",
        "major",
        "minor",
        "file",
        "original_filename",
        "file_size",
        "sha256",
        "mime_type",
        "change_summary",
        "status",
        "workflow_instance",
        "page_count",
        "processing_status",
        "processing_error",
        "processed_at",
        "created_by",
        "created_at",
    ]
