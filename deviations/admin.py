"""Admin for deviations: the categories, areas and due-date rules per severity (saved through
deviations.services: validated, audited with old and new values; never deleted, deactivated
instead), deviations themselves read-only (they change through their pages and the API), and the
report forms. Form saving goes through deviations.services, like the API and the editor pages: the
definition is checked as a whole (every problem shown on the form, nothing saved), a published
version is never changed (saving it makes a new draft version), and publishing needs a reason.
Versions are history and are never deleted."""

import json

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from accounts.admin import ServiceErrorsAsMessages
from audit.admin import ReadOnlyAdmin
from qms.admin_services import SavedThroughServices

from . import limits, selectors, services, usage
from .definition import definition_problems, normalise
from .models import Area, Category, Deviation, FormStatus, FormTemplate, SeverityDueRule


class _ReasonForm(forms.ModelForm):
    reason = forms.CharField(
        required=False,
        max_length=limits.REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why it changes (audit trail).",
    )


class _SettingAdmin(SavedThroughServices, admin.ModelAdmin):
    """Saved through a deviations.services function `save(actor=, obj=, data=, reason=)`."""

    form = _ReasonForm
    readonly_fields = ["row_version"]

    def save_through(self, *, actor, obj, data: dict, reason: str):
        raise NotImplementedError

    def has_delete_permission(self, request, obj=None):
        return False  # deviations keep their category, area and history; deactivate instead

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in obj.audit_fields if name in form.cleaned_data}
        saved = self.save_through(
            actor=request.user, obj=obj if change else None, data=data, reason=form.cleaned_data.get("reason", "")
        )
        obj.pk, obj.row_version = saved.pk, saved.row_version


@admin.register(Category)
class CategoryAdmin(_SettingAdmin):
    list_display = ["name", "is_active", "description"]
    list_filter = ["is_active"]
    search_fields = ["name"]

    def save_through(self, *, actor, obj, data, reason):
        return services.save_category(actor=actor, category=obj, data=data, reason=reason)


@admin.register(Area)
class AreaAdmin(_SettingAdmin):
    list_display = ["name", "site", "is_active"]
    list_filter = ["is_active", "site"]
    search_fields = ["name", "site"]

    def save_through(self, *, actor, obj, data, reason):
        return services.save_area(actor=actor, area=obj, data=data, reason=reason)


@admin.register(SeverityDueRule)
class SeverityDueRuleAdmin(_SettingAdmin):
    list_display = ["severity", "due_days"]

    def save_through(self, *, actor, obj, data, reason):
        return services.save_due_rule(actor=actor, rule=obj, data=data, reason=reason)


@admin.register(Deviation)
class DeviationAdmin(ReadOnlyAdmin):
    """Read-only: deviations change through their pages and the API (workflow, reasons, signatures)."""

    list_display = ["number", "title", "status", "severity", "category", "area", "owner", "due_date", "page"]
    list_filter = ["status", "severity", "category", "area"]
    search_fields = ["number", "title", "product", "batch"]
    list_select_related = ["category", "area", "owner"]
    exclude = ["form_answers", "severity_suggestion"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in self.exclude]

    @admin.display(description="Page")
    def page(self, obj):
        return format_html('<a href="{}">open</a>', obj.get_absolute_url())


class FormTemplateAdminForm(forms.ModelForm):
    publish = forms.BooleanField(required=False, help_text="Make this version the deviation report form once saved.")
    reason = forms.CharField(
        required=False,
        max_length=limits.REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the form changes or is published (audit trail). Required to publish.",
    )

    class Meta:
        model = FormTemplate
        fields = ["name", "description", "sections"]
        help_texts = {
            "sections": 'JSON list of sections: [{"key", "title", "description", "fields": [{"key", "label", "type", '
            '"required", "options", "default", "min", "max", "max_length", "regex", "regex_message", "multiple", '
            '"suggest", "help_text"}]}] — the same shape as the API.'
        }

    def clean(self):
        data = super().clean()
        if "sections" in data:
            definition = normalise(
                {"name": data.get("name"), "description": data.get("description"), "sections": data["sections"]}
            )
            for loc, msg, _ in definition_problems(definition, for_publish=bool(data.get("publish"))):
                field = loc[0] if loc and loc[0] in ("name", "description") else "sections"
                where = ".".join(str(part) for part in loc)
                self.add_error(field, msg if field != "sections" else f"{where}: {msg}")
        if data.get("publish") and not (data.get("reason") or "").strip():
            self.add_error("reason", "A reason is required to publish.")
        return data


@admin.register(FormTemplate)
class FormTemplateAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    form = FormTemplateAdminForm
    list_display = ["name", "version", "status", "usage_display", "updated_at", "published_at"]
    list_filter = ["status"]
    search_fields = ["name"]
    readonly_fields = [
        "family",
        "version",
        "status",
        "previous_version",
        "created_by",
        "created_at",
        "published_by",
        "published_at",
        "row_version",
    ]

    def get_fields(self, request, obj=None):
        editable = ["name", "description", "sections", "publish", "reason"]
        return editable + self.readonly_fields if obj is not None else editable

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and selectors.latest_version(obj).pk != obj.pk:
            return ["name", "description", "sections", *self.readonly_fields]  # older versions stay as they were
        return self.readonly_fields

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "sections":
            field.widget = forms.Textarea(attrs={"rows": 30, "cols": 120, "style": "font-family: monospace"})
            field.encoder = _PrettyJSON
        return field

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changelist_instance(self, request):
        """The usage of the listed versions, counted once for the page (not once per row)."""
        changelist = super().get_changelist_instance(request)
        counts = usage.usage_counts(template.pk for template in changelist.result_list)
        for template in changelist.result_list:
            template.usage_count = counts[template.pk]
        return changelist

    @admin.display(description="Reports")
    def usage_display(self, obj):
        counted = getattr(obj, "usage_count", None)
        return counted if counted is not None else usage.usage_count(obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        definition = {"name": data["name"], "description": data.get("description", ""), "sections": data["sections"]}
        if change:
            current = FormTemplate.objects.get(pk=obj.pk)
            saved = services.update_form_template(
                actor=request.user, template=current, definition=definition, reason=data.get("reason", "")
            )
            if saved.pk != current.pk:
                messages.info(
                    request,
                    f"{current} is {current.get_status_display().lower()}: the change was saved as draft v{saved.version}.",
                )
        else:
            saved = services.create_form_template(actor=request.user, definition=definition)
        if data.get("publish") and saved.status != FormStatus.ACTIVE:
            saved = services.publish_form_template(actor=request.user, template=saved, reason=data["reason"])
        obj.pk = saved.pk
        obj._state.adding = False
        obj.__dict__.update({k: v for k, v in saved.__dict__.items() if not k.startswith("_")})


class _PrettyJSON(json.JSONEncoder):
    def __init__(self, *args, **kwargs):
        kwargs["indent"] = 2
        super().__init__(*args, **kwargs)
