"""Admin screens to configure workflow templates, their states, transitions and approval rules.

Saved through the workflow services (create_template / update_template): the page is turned into
a definition, which the services validate as a whole and audit, exactly as for the API; an invalid
definition is refused with every problem shown on the form and nothing is saved. A template that
records already use is read-only here ("Create a new version" copies it into an editable version;
running records keep theirs). Instances, approvals and history are GMP evidence: shown read-only.
"""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from qms.admin_services import ReadOnly, SavedThroughServices
from qms.errors import DomainError

from . import selectors, services
from .definition import definition_of, rule_definition, validate_definition
from .models import (
    Approval,
    ApprovalRule,
    NumberSequence,
    WorkflowHistory,
    WorkflowInstance,
    WorkflowState,
    WorkflowTemplate,
    WorkflowTransition,
)


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


class TransitionForm(forms.ModelForm):
    """States named as in a definition, so a new template's transitions can refer to states added
    on the same page."""

    from_state_name = forms.SlugField(max_length=50, label="From state")
    to_state_name = forms.SlugField(max_length=50, label="To state")

    class Meta:
        model = WorkflowTransition
        fields = [
            "order",
            "name",
            "label",
            "trigger",
            "required_permission",
            "requires_signature",
            "signature_type",
            "requires_comment",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["from_state_name"].initial = self.instance.from_state.name
            self.fields["to_state_name"].initial = self.instance.to_state.name


class TransitionInline(_LockedInline, admin.TabularInline):
    model = WorkflowTransition
    form = TransitionForm
    extra = 0
    fields = [
        "order",
        "name",
        "label",
        "from_state_name",
        "to_state_name",
        "trigger",
        "required_permission",
        "requires_signature",
        "signature_type",
        "requires_comment",
    ]


@admin.register(WorkflowTemplate)
class WorkflowTemplateAdmin(SavedThroughServices, _LockedWhenInUse, admin.ModelAdmin):
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
        "approve_permission",
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
        """Saved with its states and transitions in save_related, through the services."""

    def save_related(self, request, form, formsets, change):
        data = form.cleaned_data
        stored = _stored_rules(form.instance) if change else {}
        states, transitions = [], []
        for formset in formsets:
            rows = _kept_rows(formset)
            if formset.model is WorkflowState:
                states = [_state_definition(row, stored.get(getattr(row.get("id"), "pk", None), [])) for row in rows]
            elif formset.model is WorkflowTransition:
                transitions = [_transition_definition(row) for row in rows]
        definition = {
            "name": data["name"],
            "description": data.get("description", ""),
            "approve_permission": data.get("approve_permission", ""),
            "states": states,
            "transitions": transitions,
        }
        if change:
            saved = services.update_template(
                actor=request.user, template=form.instance, definition=definition, reason="Changed in the admin"
            )
        else:
            saved = services.create_template(actor=request.user, definition=definition)
        form.instance.pk, form.instance.version = saved.pk, saved.version

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
class WorkflowStateAdmin(SavedThroughServices, _LockedWhenInUse, admin.ModelAdmin):
    """A state's approval rules (reached from its template's page); saved as a change of the whole
    template definition through the services."""

    list_display = ["template", "name", "kind", "is_initial", "is_terminal", "approval_mode"]
    list_filter = ["template"]
    fields = ["template", "name", "label", "kind", "is_initial", "is_terminal", "approval_mode", "author_may_approve"]
    readonly_fields = ["template"]
    inlines = [RuleInline]

    def has_add_permission(self, request, obj=None):
        return False  # states are added on their template's page

    def save_model(self, request, obj, form, change):
        """Saved with its approval rules in save_related, through the services."""

    def save_related(self, request, form, formsets, change):
        state = form.instance
        template = selectors.template_list(include_retired=True).get(pk=state.template_id)
        definition = definition_of(template)
        rules = [_rule_definition(row) for formset in formsets for row in _kept_rows(formset)]
        changed = _state_definition(form.cleaned_data, rules)
        stored_states = list(template.states.all())
        definition["states"] = [
            changed if stored.pk == state.pk else definition["states"][index] for index, stored in enumerate(stored_states)
        ]
        services.update_template(
            actor=request.user,
            template=template,
            definition=definition,
            reason=f"State {changed['name']} and its approval rules changed in the admin",
        )

    def response_change(self, request, obj):
        # The template's states were written anew: go back to the template.
        self.message_user(request, f"State {obj.name} of {obj.template} saved.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:workflows_workflowtemplate_change", args=[obj.template_id]))


def _kept_rows(formset) -> list[dict]:
    """The inline rows that stay (filled in, not deleted), in their `order`."""
    rows = [f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
    return sorted(rows, key=lambda row: row.get("order") or 0)


def _stored_rules(template) -> dict[int, list[dict]]:
    """The approval rules of each stored state (edited on the state's page, kept here)."""
    stored = selectors.template_list(include_retired=True).get(pk=template.pk)
    return {
        state.pk: [rule_definition(rule) for rule in state.approval_rules.all() if rule.override_id is None]
        for state in stored.states.all()
    }


def _state_definition(row: dict, rules: list[dict]) -> dict:
    keys = ["name", "label", "kind", "is_initial", "is_terminal", "approval_mode", "author_may_approve"]
    return {**{key: row.get(key) for key in keys}, "approval_rules": rules}


def _transition_definition(row: dict) -> dict:
    keys = ["name", "label", "trigger", "required_permission", "requires_signature", "signature_type", "requires_comment"]
    return {**{key: row.get(key) for key in keys}, "from_state": row["from_state_name"], "to_state": row["to_state_name"]}


def _rule_definition(row: dict) -> dict:
    if row.get("kind") == "users":
        return {"kind": "users", "users": sorted(user.pk for user in row.get("users") or [])}
    role = row.get("role")
    return {"kind": row.get("kind"), "role": role.name if role else None, "required_approvals": row.get("required_approvals")}


class HistoryInline(ReadOnly, admin.TabularInline):
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


class ApprovalInline(ReadOnly, admin.TabularInline):
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
class WorkflowInstanceAdmin(ReadOnly, admin.ModelAdmin):
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


@admin.register(NumberSequence)
class NumberSequenceAdmin(ReadOnly, admin.ModelAdmin):
    """The numbers handed out per prefix and year (gap-free; changed only by workflows.numbering)."""

    list_display = ["prefix", "year", "last"]
    list_filter = ["year"]
    search_fields = ["prefix"]
