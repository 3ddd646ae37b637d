"""Admin screens to configure workflow templates, their states, transitions and approval rules.

A template that records already use is read-only here ("Create a new version" copies it into an
editable version; running records keep theirs). Every change is validated and audited. Instances,
approvals and history are GMP evidence: shown read-only.
"""

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import F
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from audit import services as audit
from qms.errors import DomainError

from . import selectors, services
from .definition import definition_of, validate_definition
from .models import Approval, ApprovalRule, WorkflowHistory, WorkflowInstance, WorkflowState, WorkflowTemplate, WorkflowTransition


def _in_use(template) -> bool:
    return template is not None and template.pk is not None and template.instances.exists()


class _LockedWhenInUse:
    """Inline/admin mixin: no changes to a template version that records use."""

    def _template(self, obj):
        return obj if isinstance(obj, WorkflowTemplate) else getattr(obj, "template", None)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _in_use(self._template(obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _in_use(self._template(obj))


class _LockedInline(_LockedWhenInUse):
    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not _in_use(self._template(obj))


class StateInline(_LockedInline, admin.TabularInline):
    model = WorkflowState
    extra = 0
    fields = ["order", "name", "label", "kind", "is_initial", "is_terminal", "approval_mode", "author_may_approve"]
    show_change_link = True


class TransitionInline(_LockedInline, admin.TabularInline):
    model = WorkflowTransition
    extra = 0
    fields = [
        "order",
        "name",
        "label",
        "from_state",
        "to_state",
        "trigger",
        "required_permission",
        "requires_signature",
        "signature_type",
        "requires_comment",
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("from_state", "to_state"):
            template_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = WorkflowState.objects.filter(template_id=template_id or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(WorkflowTemplate)
class WorkflowTemplateAdmin(_LockedWhenInUse, admin.ModelAdmin):
    list_display = ["name", "version", "is_current", "in_use_display", "created_at"]
    list_filter = ["is_current"]
    search_fields = ["name"]
    readonly_fields = [
        "family",
        "version",
        "is_current",
        "previous_version",
        "created_by",
        "created_at",
        "updated_at",
        "row_version",
        "problems",
    ]
    fields = [
        "name",
        "description",
        "version",
        "is_current",
        "previous_version",
        "family",
        "created_by",
        "created_at",
        "row_version",
        "problems",
    ]
    inlines = [StateInline, TransitionInline]
    actions = ["create_new_version"]

    def has_delete_permission(self, request, obj=None):
        # Retired versions are history (later versions point to them); only the current one may go.
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_current)

    def delete_model(self, request, obj):
        try:
            services.delete_template_version(actor=request.user, template=obj, reason="Deleted in the admin")
        except DomainError as exc:
            request._workflow_delete_refused = True
            self.message_user(request, f"{obj}: {exc.detail}", messages.ERROR)

    def response_delete(self, request, obj_display, obj_id):
        if getattr(request, "_workflow_delete_refused", False):
            return HttpResponseRedirect(reverse("admin:workflows_workflowtemplate_changelist"))
        return super().response_delete(request, obj_display, obj_id)

    def delete_queryset(self, request, queryset):
        for template in queryset:
            self.delete_model(request, template)

    @admin.display(description="In use", boolean=True)
    def in_use_display(self, obj):
        return _in_use(obj)

    @admin.display(description="Validation")
    def problems(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        found = validate_definition(definition_of(selectors.template_list(include_retired=True).get(pk=obj.pk)))
        if not found:
            return "Valid"
        return format_html("<br>".join(["{}"] * len(found)), *[f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in found])

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        request._workflow_before = definition_of(selectors.template_list(include_retired=True).get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        template = form.instance
        after = definition_of(selectors.template_list(include_retired=True).get(pk=template.pk))
        WorkflowTemplate.objects.filter(pk=template.pk).update(row_version=template.row_version + 1)
        audit.record(
            action="update" if change else "create",
            resource_type="workflow_template",
            resource_id=template.pk,
            actor=request.user,
            summary=f"Workflow template {template} {'changed' if change else 'created'} in the admin",
            old_values=getattr(request, "_workflow_before", None),
            new_values=after,
        )
        found = validate_definition(after)
        if found:
            messages.warning(
                request,
                "The template is saved but not usable until fixed: "
                + "; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in found),
            )

    @admin.action(description="Create a new (editable) version")
    def create_new_version(self, request, queryset):
        created = None
        for template in queryset.filter(is_current=True):
            try:
                with transaction.atomic():
                    created = services.new_version(actor=request.user, template=template, reason="New version from the admin")
            except DomainError as exc:
                self.message_user(request, f"{template}: {exc.detail}", messages.ERROR)
            else:
                self.message_user(request, f"{created} created; records already running keep {template}.")
        if created is not None and queryset.count() == 1:
            return HttpResponseRedirect(reverse("admin:workflows_workflowtemplate_change", args=[created.pk]))
        return None


class RuleInline(_LockedInline, admin.TabularInline):
    model = ApprovalRule
    extra = 0
    fields = ["order", "kind", "role", "required_approvals", "users"]
    filter_horizontal = ["users"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(override__isnull=True)


@admin.register(WorkflowState)
class WorkflowStateAdmin(_LockedWhenInUse, admin.ModelAdmin):
    """A state's approval rules (reached from its template's page)."""

    list_display = ["template", "name", "kind", "is_initial", "is_terminal", "approval_mode"]
    list_filter = ["template"]
    fields = ["template", "name", "label", "kind", "is_initial", "is_terminal", "approval_mode", "author_may_approve"]
    readonly_fields = ["template"]
    inlines = [RuleInline]

    def has_add_permission(self, request, obj=None):
        return False  # states are added on their template's page

    def save_model(self, request, obj, form, change):
        request._workflow_before = definition_of(selectors.template_list(include_retired=True).get(pk=obj.template_id))
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        state = form.instance
        before = request._workflow_before
        after = definition_of(selectors.template_list(include_retired=True).get(pk=state.template_id))
        # The template changed: API clients holding its old row_version must reload.
        WorkflowTemplate.objects.filter(pk=state.template_id).update(row_version=F("row_version") + 1)
        audit.record(
            action="update",
            resource_type="workflow_template",
            resource_id=state.template_id,
            actor=request.user,
            summary=f"Workflow template {state.template}: state {state.name} and its approval rules changed in the admin",
            old_values=before,
            new_values=after,
        )


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HistoryInline(_ReadOnly, admin.TabularInline):
    model = WorkflowHistory
    fields = [
        "created_at",
        "action",
        "transition_name",
        "from_state",
        "to_state",
        "actor_name",
        "comment",
        "signature_id",
        "is_automatic",
    ]
    readonly_fields = fields
    extra = 0


class ApprovalInline(_ReadOnly, admin.TabularInline):
    model = Approval
    fields = [
        "created_at",
        "state",
        "state_entry",
        "approver_name",
        "approver_role",
        "rule_description",
        "comment",
        "signature_id",
    ]
    readonly_fields = fields
    extra = 0


@admin.register(WorkflowInstance)
class WorkflowInstanceAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ["pk", "record_link", "template", "current_state", "started_at", "completed_at"]
    list_filter = ["template", "content_type"]
    readonly_fields = [
        "template",
        "content_type",
        "object_id",
        "current_state",
        "state_entry",
        "author",
        "started_by",
        "started_at",
        "completed_at",
        "row_version",
    ]
    fields = readonly_fields
    inlines = [ApprovalInline, HistoryInline]

    @admin.display(description="Record")
    def record_link(self, obj):
        return f"{obj.content_type.model} {obj.object_id}"
