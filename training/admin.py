"""Admin screens: programs, training audiences and qualification requirements are changed through
the training services (validated and audited, with a reason where the API asks for one);
assignments, completions and registrations are read-only evidence (they change through the pages
and the API). The completion list shows who is qualified for what."""

from django import forms
from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils import timezone

from audit.admin import ReadOnlyAdmin
from qms.admin_services import SavedThroughServices
from qms.api import limits
from workflows.models import WorkflowTemplate

from . import selectors, services
from .models import Assignment, Completion, QualificationRequirement, Registration, TrainingAudience, TrainingProgram


class _DeletedThroughTheService:
    """The admin's bulk delete removes each row with `delete_model` (which calls the service)."""

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


def _reason_field(help_text: str) -> forms.CharField:
    """The reason for the audit trail; the service decides when it is required (and its minimum length)."""
    return forms.CharField(
        required=False, max_length=limits.REASON, widget=forms.Textarea(attrs={"rows": 2}), help_text=help_text
    )


class ProgramAdminForm(forms.ModelForm):
    reason = _reason_field("Why the program changes (audit trail). Required when changing a program.")

    class Meta:
        model = TrainingProgram
        fields = [*services.PROGRAM_FIELDS, "linked_documents"]


@admin.register(TrainingProgram)
class TrainingProgramAdmin(SavedThroughServices, admin.ModelAdmin):
    form = ProgramAdminForm
    list_display = ["title", "category", "level", "status", "instructor", "requires_signature", "retraining_interval_days"]
    list_filter = ["category", "level", "status", "requires_signature"]
    search_fields = ["title", "description"]
    readonly_fields = ["read_and_understood_document", "created_by", "created_at", "updated_at", "row_version"]
    filter_horizontal = ["linked_documents"]

    def has_delete_permission(self, request, obj=None):
        return False  # retire instead (pages or API): a program with history is never deleted

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in [*services.PROGRAM_FIELDS, "linked_documents"] if f in form.cleaned_data}
        if change:
            changed = {f: data[f] for f in form.changed_data if f in data}
            if not changed:
                return  # nothing to change (a reason alone changes nothing)
            saved = services.update_program(
                actor=request.user,
                program=TrainingProgram.objects.get(pk=obj.pk),
                data=changed,
                reason=form.cleaned_data.get("reason", ""),
            )
        else:
            saved = services.create_program(actor=request.user, data=data)
        obj.pk, obj.row_version = saved.pk, saved.row_version
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        pass  # linked documents were saved by the service


class AudienceAdminForm(forms.ModelForm):
    reason = _reason_field("Why the audience changes (audit trail). Required when changing an audience.")

    class Meta:
        model = TrainingAudience
        fields = ["document_type", "document", "groups", "roles", "due_days"]


@admin.register(TrainingAudience)
class TrainingAudienceAdmin(SavedThroughServices, _DeletedThroughTheService, admin.ModelAdmin):
    """Who must read and understand each new effective version (a type's documents, or one document)."""

    form = AudienceAdminForm
    list_display = ["__str__", "due_days", "updated_at"]
    filter_horizontal = ["groups", "roles"]

    def get_readonly_fields(self, request, obj=None):
        return ["document_type", "document"] if obj else []

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.set_training_audience(
            actor=request.user,
            document_type=obj.document_type,
            document=obj.document,
            groups=list(data["groups"]),
            roles=list(data["roles"]),
            due_days=data["due_days"],
            reason=data.get("reason", ""),
        )
        obj.pk = saved.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        pass  # groups and roles were saved by the service

    def delete_model(self, request, obj):
        services.delete_training_audience(actor=request.user, audience=obj, reason="Removed in the admin")


@admin.register(QualificationRequirement)
class QualificationRequirementAdmin(SavedThroughServices, _DeletedThroughTheService, admin.ModelAdmin):
    """What approvers of controlled records must be trained on, per document type, workflow and
    workflow state. Not edited in place: remove one and add another."""

    list_display = [
        "__str__",
        "document_type",
        "workflow_template",
        "workflow_state",
        "program",
        "requires_document_training",
        "created_at",
    ]
    list_filter = ["document_type", "workflow_template", "requires_document_training"]
    list_select_related = ["document_type", "workflow_template", "program"]
    fields = ["document_type", "workflow_template", "workflow_state", "program", "requires_document_training"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "workflow_template":  # a requirement holds for every version of the workflow
            kwargs["queryset"] = WorkflowTemplate.objects.filter(is_current=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        saved = services.add_qualification_requirement(
            actor=request.user,
            document_type=obj.document_type,
            workflow_template=obj.workflow_template,
            workflow_state=obj.workflow_state,
            program=obj.program,
            requires_document_training=obj.requires_document_training,
        )
        obj.pk = saved.pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        services.remove_qualification_requirement(actor=request.user, requirement=obj, reason="Removed in the admin")


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["program", "user", "kind", "document_version", "status", "due_date", "assigned_at", "assigned_by"]
    list_filter = ["status", "kind", "program"]
    search_fields = ["user__username", "user__full_name", "program__title"]
    list_select_related = ["program", "user", "assigned_by", "document_version__document"]
    date_hierarchy = "assigned_at"


@admin.register(Completion)
class CompletionAdmin(ReadOnlyAdmin):
    """Who completed what, when, on which document version, and whether it still qualifies them."""

    list_display = [
        "user",
        "program_title",
        "document_number",
        "document_version_label",
        "completed_at",
        "expires_at",
        "method",
        "qualifies_now",
    ]
    list_filter = ["program", "method"]
    search_fields = ["user__username", "user__full_name", "program_title", "document_number"]
    list_select_related = ["user", "program", "revocation"]
    date_hierarchy = "completed_at"

    def get_queryset(self, request):
        valid = Completion.objects.filter(selectors.valid_completion_q(timezone.now()), pk=OuterRef("pk"))
        return super().get_queryset(request).annotate(qualifies=Exists(valid))

    @admin.display(boolean=True, description="Qualifies now", ordering="qualifies")
    def qualifies_now(self, obj) -> bool:
        return obj.qualifies


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    list_display = ["program", "user", "status", "registered_at", "attended_at", "completion_date", "feedback_score"]
    list_filter = ["status", "program"]
    search_fields = ["user__username", "program__title"]
    list_select_related = ["program", "user"]
