"""Forms of the training pages (shape only; the services enforce the rules)."""

from django import forms

from accounts.models import Group, User
from documents.models import Document
from qms.api import limits

from .models import Category, Level, ProgramStatus, RegistrationStatus, TrainingProgram
from .selectors import CellStatus


class DateInput(forms.DateInput):
    input_type = "date"


def ReasonFormField(**kwargs) -> forms.CharField:  # noqa: N802 - used like a field class
    """A reason for the audit trail. Optional in the form: the service decides whether it is required
    and how long it must be (audit.services.require_reason), so the page shows the API's message."""
    kwargs.setdefault("help_text", "Recorded in the audit trail")
    return forms.CharField(required=False, max_length=limits.REASON, **kwargs)


def _active_users():
    return User.objects.filter(is_active=True).order_by("full_name", "username")


class ProgramFilterForm(forms.Form):
    search = forms.CharField(required=False, label="Title or description")
    category = forms.ChoiceField(required=False, choices=[("", "Any category"), *Category.choices])
    level = forms.ChoiceField(required=False, choices=[("", "Any level"), *Level.choices])
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *ProgramStatus.choices])


class ProgramForm(forms.Form):
    title = forms.CharField(max_length=limits.NAME)
    description = forms.CharField(required=False, max_length=limits.DESCRIPTION, widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.ChoiceField(choices=Category.choices)
    level = forms.ChoiceField(choices=Level.choices, initial=Level.BEGINNER)
    status = forms.ChoiceField(
        choices=[(ProgramStatus.DRAFT, "Draft"), (ProgramStatus.PUBLISHED, "Published")], initial=ProgramStatus.DRAFT
    )
    duration_minutes = forms.IntegerField(min_value=1, required=False)
    credits = forms.IntegerField(min_value=0, initial=0)
    instructor = forms.ModelChoiceField(_active_users(), required=False, empty_label="No instructor")
    max_participants = forms.IntegerField(min_value=1, required=False, help_text="Seats per session; empty: no limit")
    linked_documents = forms.ModelMultipleChoiceField(
        Document.objects.order_by("number"), required=False, widget=forms.SelectMultiple(attrs={"size": 5})
    )
    retraining_interval_days = forms.IntegerField(min_value=1, required=False, help_text="A completion expires after this")
    default_due_days = forms.IntegerField(min_value=1, initial=30)
    requires_signature = forms.TypedChoiceField(
        choices=[("", "Default (yes for GMP and SOP)"), ("yes", "Yes"), ("no", "No")],
        coerce=lambda v: {"yes": True, "no": False}.get(v),
        empty_value=None,
        required=False,
        label="Completion needs an e-signature",
    )

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("reason", None), data.pop("row_version", None)
        return data


class ProgramEditForm(ProgramForm):
    reason = ReasonFormField(help_text="Why the program changes (audit trail)")
    row_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, program: TrainingProgram, **kwargs):
        initial = {
            "title": program.title,
            "description": program.description,
            "category": program.category,
            "level": program.level,
            "status": program.status,
            "duration_minutes": program.duration_minutes,
            "credits": program.credits,
            "instructor": program.instructor,
            "max_participants": program.max_participants,
            "linked_documents": list(program.linked_documents.all()),
            "retraining_interval_days": program.retraining_interval_days,
            "default_due_days": program.default_due_days,
            "requires_signature": "yes" if program.requires_signature else "no",
            "row_version": program.row_version,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["requires_signature"].choices = [("yes", "Yes"), ("no", "No")]
        self.fields["requires_signature"].required = True


class ReasonForm(forms.Form):
    reason = ReasonFormField()


class AssignForm(forms.Form):
    program = forms.ModelChoiceField(
        TrainingProgram.objects.filter(status=ProgramStatus.PUBLISHED).order_by("title"), label="Training program"
    )
    users = forms.ModelMultipleChoiceField(
        _active_users(), required=False, widget=forms.SelectMultiple(attrs={"size": 8}), label="Users"
    )
    groups = forms.ModelMultipleChoiceField(
        Group.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
        label="Groups (their members now)",
    )
    due_date = forms.DateField(required=False, widget=DateInput, help_text="Empty: the program's default due days")
    reason = ReasonFormField(help_text="Optional; recorded in the audit trail")

    def clean(self):
        data = super().clean()
        if not data.get("users") and not data.get("groups"):
            raise forms.ValidationError("Choose at least one user or group.")
        return data


class MatrixFilterForm(forms.Form):
    group_id = forms.ModelChoiceField(Group.objects.order_by("name"), required=False, empty_label="Everyone", label="Group")
    program_id = forms.ModelChoiceField(
        TrainingProgram.objects.filter(status=ProgramStatus.PUBLISHED).order_by("title"),
        required=False,
        empty_label="All programs",
        label="Program",
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *CellStatus.LABELS.items()])


class RegistrationStatusForm(forms.Form):
    status = forms.ChoiceField(choices=RegistrationStatus.choices)


class FeedbackForm(forms.Form):
    feedback_score = forms.IntegerField(min_value=1, max_value=5, label="Feedback (1–5)")
