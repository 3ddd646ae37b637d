"""Page forms of the CAPA app (shape only; capa.services enforces the rules)."""

from django import forms

from accounts.models import User
from qms.files import ALLOWED_TYPES

from . import limits
from .defaults import CAPA_HANDLING
from .models import CapaSource, CapaType, Priority, ReviewResult

DATE = forms.DateInput(attrs={"type": "date"})


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


def _users():
    return User.objects.filter(is_active=True).order_by("full_name", "username")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class CapaFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status")] + [(s["name"], s["label"]) for s in CAPA_HANDLING["states"]]
    )
    priority = forms.ChoiceField(required=False, choices=[("", "Any priority"), *Priority.choices])
    source = forms.ChoiceField(required=False, choices=[("", "Any source"), *CapaSource.choices])
    type = forms.ChoiceField(required=False, choices=[("", "Any type"), *CapaType.choices])
    overdue = forms.ChoiceField(required=False, choices=[("", "Overdue or not"), ("true", "Overdue only")])
    search = forms.CharField(required=False, max_length=limits.SEARCH)


class CapaForm(forms.Form):
    title = forms.CharField(max_length=limits.TITLE)
    description = forms.CharField(
        max_length=limits.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 4}), label="Problem statement"
    )
    capa_type = forms.ChoiceField(choices=CapaType.choices, label="Type")
    source = forms.ChoiceField(choices=CapaSource.choices)
    source_reference = forms.CharField(max_length=limits.SOURCE_REFERENCE, required=False, label="Source reference")
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.MEDIUM)
    root_cause = forms.CharField(max_length=limits.LONG_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    owner = UserChoiceField(queryset=User.objects.none())
    due_date = forms.DateField(widget=DATE)
    documents = forms.CharField(
        required=False,
        max_length=500,
        label="Linked documents",
        help_text="Document numbers, comma-separated (e.g. SOP-0001): the version you see is linked. "
        "A CAPA with linked documents starts open; without, as a draft for the QA Manager's approval.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _users()

    def document_numbers(self) -> list[str]:
        return [n.strip().upper() for n in self.cleaned_data.get("documents", "").split(",") if n.strip()]


class CapaEditForm(CapaForm):
    reason = forms.CharField(max_length=limits.REASON, help_text="Why it changes (audit trail)")
    row_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["documents"]


class ActionForm(forms.Form):
    description = forms.CharField(max_length=limits.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 2}))
    owner = UserChoiceField(queryset=User.objects.none())
    due_date = forms.DateField(widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _users()


class CompleteActionForm(forms.Form):
    evidence = forms.CharField(max_length=limits.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 2}), label="What was done")
    files = forms.Field(
        required=False, widget=MultipleFileInput(attrs={"multiple": True, "accept": ",".join(sorted(ALLOWED_TYPES))})
    )


class ExtendForm(forms.Form):
    due_date = forms.DateField(widget=DATE, label="New due date")
    reason = forms.CharField(max_length=limits.REASON)


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=limits.REASON)


class ReviewPlanForm(forms.Form):
    planned_date = forms.DateField(widget=DATE)
    method = forms.CharField(max_length=limits.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 2}), label="Method and criteria")
    reviewer = UserChoiceField(queryset=User.objects.none(), required=False, help_text="Empty: anyone allowed to record it")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = _users()


class ReviewRecordForm(forms.Form):
    result = forms.ChoiceField(choices=[c for c in ReviewResult.choices if c[0] != ReviewResult.PENDING])
    evidence = forms.CharField(max_length=limits.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 2}))
    new_action_description = forms.CharField(required=False, max_length=limits.LONG_TEXT, label="New action (when not effective)")
    new_action_owner = UserChoiceField(queryset=User.objects.none(), required=False, label="Its owner")
    new_action_due_date = forms.DateField(required=False, widget=DATE, label="Its due date")
    intent = forms.CharField(required=False, max_length=2000)
    password = forms.CharField(widget=forms.PasswordInput)
    reason = forms.CharField(required=False, max_length=limits.REASON)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_action_owner"].queryset = _users()

    def new_action(self) -> dict | None:
        data = self.cleaned_data
        if data["result"] != ReviewResult.NOT_EFFECTIVE:
            return None
        if not (data.get("new_action_description") or data.get("new_action_owner") or data.get("new_action_due_date")):
            return None
        return {
            "description": data.get("new_action_description", ""),
            "owner": data.get("new_action_owner"),
            "due_date": data.get("new_action_due_date"),
        }


class DeviationLinkForm(forms.Form):
    deviation = forms.CharField(max_length=50, label="Deviation", help_text="Its number, e.g. DEV-2026-0001")
    reason = forms.CharField(max_length=limits.REASON, label="Why are they related?")


class AttachmentsForm(forms.Form):
    files = forms.Field(widget=MultipleFileInput(attrs={"multiple": True, "accept": ",".join(sorted(ALLOWED_TYPES))}))
    description = forms.CharField(required=False, max_length=2000)
