"""Admin pages that save through services (what a service refuses is shown on the form), and
read-only admin pages (`ReadOnly`) for records only services write: audit trail, outbox, history.

    class WorkflowTemplateAdmin(SavedThroughServices, admin.ModelAdmin):
        def save_related(self, request, form, formsets, change):
            services.update_template(...)        # may raise a DomainError

A save is tried inside a transaction; when a service raises a qms.errors.DomainError (a 422 with
its located problems, a 409, a 403) the transaction is rolled back, so nothing is saved, and the
form is shown again with the service's messages, the same messages the API answers with.
"""

from django.db import transaction

from qms.errors import DomainError, InvalidInputs


def refusal_messages(exc: DomainError) -> list[str]:
    if isinstance(exc, InvalidInputs):
        return [f"{'.'.join(map(str, loc))}: {msg}" if loc else msg for loc, msg, _ in exc.problems]
    return [str(exc.detail)]


class SavedThroughServices:
    """ModelAdmin mixin: a refused save leaves nothing behind and re-renders the form with the refusal."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        try:
            with transaction.atomic():
                return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            request._service_refusal = exc
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "_service_refusal", None)
        if refusal is None:
            return form_class
        problems = refusal_messages(refusal)

        class RefusedForm(form_class):
            def clean(self):
                cleaned = super().clean()
                for message in problems:
                    self.add_error(None, message)
                return cleaned

        return RefusedForm

    def construct_change_message(self, request, form, formsets, add=False):
        # The services saved the related rows (and audited them); the formsets saved nothing.
        return [{"added": {}}] if add else [{"changed": {"fields": sorted(form.changed_data) or ["related"]}}]


class ReadOnly:
    """ModelAdmin or inline mixin: the records are shown, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
