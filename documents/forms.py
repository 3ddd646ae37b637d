"""Forms of the document pages (shape only; the services enforce the rules)."""

from django import forms

from accounts.models import User

from .models import DocumentType


class DateInput(forms.DateInput):
    input_type = "date"


class DocumentFilterForm(forms.Form):
    search = forms.CharField(required=False, label="Title or number")
    document_type = forms.ModelChoiceField(DocumentType.objects.all(), required=False, empty_label="All types")
    category = forms.CharField(required=False)
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Any status"),
            ("draft", "Draft"),
            ("in_review", "In review"),
            ("rejected", "Rejected"),
            ("approved", "Approved"),
            ("effective", "Effective"),
            ("obsolete", "Obsolete"),
        ],
    )
    owner = forms.ModelChoiceField(
        User.objects.filter(is_active=True).order_by("username"), required=False, empty_label="Any owner"
    )
    date_from = forms.DateField(required=False, widget=DateInput, label="Created from")
    date_to = forms.DateField(required=False, widget=DateInput, label="Created to")


class UploadForm(forms.Form):
    file = forms.FileField()
    title = forms.CharField(max_length=255)
    document_type = forms.ModelChoiceField(DocumentType.objects.filter(is_active=True))
    category = forms.CharField(max_length=100, required=False)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    keywords = forms.CharField(required=False, help_text="Comma-separated")
    change_summary = forms.CharField(required=False, max_length=2000, initial="Initial version")


class NewVersionForm(forms.Form):
    file = forms.FileField()
    change_summary = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), help_text="What changed")


class MetadataForm(forms.Form):
    title = forms.CharField(max_length=255)
    category = forms.CharField(max_length=100, required=False)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    keywords = forms.CharField(required=False, help_text="Comma-separated")
    owner = forms.ModelChoiceField(User.objects.filter(is_active=True).order_by("username"))
    next_review_date = forms.DateField(required=False, widget=DateInput)
    reason = forms.CharField(max_length=2000, help_text="Why the metadata changes (audit trail)")
    row_version = forms.IntegerField(widget=forms.HiddenInput)


class TemplateUseForm(forms.Form):
    """Built from a template's declared variables; values are checked by the service (typed)."""

    def __init__(self, *args, template, **kwargs):
        super().__init__(*args, **kwargs)
        self.template = template
        for spec in template.variables:
            required = bool(spec.get("is_required")) and spec.get("default_value") is None
            common = {
                "required": required,
                "label": spec["name"].replace("_", " ").capitalize(),
                "help_text": spec.get("description", ""),
                "initial": spec.get("default_value"),
            }
            kind = spec.get("parameter_type")
            if kind == "choice":
                field = forms.ChoiceField(choices=[("", "---------")] + [(c, c) for c in spec.get("choices", [])], **common)
            elif kind == "date":
                field = forms.CharField(widget=DateInput, **common)
            elif kind == "email":
                field = forms.CharField(widget=forms.EmailInput, **common)
            elif kind == "number":
                field = forms.CharField(widget=forms.NumberInput(attrs={"step": "any"}), **common)
            else:
                field = forms.CharField(max_length=5000, **common)
            self.fields[f"var_{spec['name']}"] = field

    def variables(self) -> dict:
        return {
            name[4:]: value for name, value in self.cleaned_data.items() if name.startswith("var_") and value not in (None, "")
        }
