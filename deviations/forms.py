"""Forms of the deviation pages and the deviation form pages (shape only: the rules are in the
services, deviations/definition.py and deviations/forms_engine.py, which the views call).

`AnswersForm` is the reusable renderer's form: built from a form template version, one input per
field named "<section>.<field>", rendered by the include "deviations/includes/form_renderer.html".

    form = AnswersForm(request.POST or None, request.FILES or None, version=version)
    if request.method == "POST" and form.is_valid():
        try:
            cleaned = forms_engine.validate_answers(
                version=version, form_data=form.form_data(), files=form.files_data(), user=request.user
            )
        except DomainError as exc:
            form.add_problems(exc)   # messages next to their fields
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms
from django.urls import reverse

from accounts.models import User
from qms.errors import DomainError, InvalidInputs
from qms.files import ALLOWED_TYPES

from . import limits, pickers, selectors
from . import options as option_sources
from .definition import SUGGESTERS
from .forms_engine import TRUE_WORDS, max_length_of, resolve_date_bound
from .links import LINK_TYPES
from .models import FILE_TYPES, PICKER_TYPES, Area, Category, Deviation, FieldType, FormTemplate, RootCauseMethod, Severity
from .suggestions import suggestion_url

# --- the renderer --------------------------------------------------------------------------------------


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class PickerWidget(forms.TextInput):
    """A text input taking record numbers (works without JavaScript) with an htmx search that fills it."""

    template_name = "deviations/widgets/picker.html"

    def __init__(self, *, field_type: str, multiple: bool, attrs=None):
        super().__init__(attrs)
        self.field_type, self.multiple = field_type, multiple

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        picker = pickers.picker_for(self.field_type)
        context["picker"] = {
            "available": picker.available,
            "reason": picker.unavailable_reason,
            "plural": picker.plural_label,
            "multiple": self.multiple,
            "search_url": reverse("deviations:picker-search", args=[self.field_type]),
        }
        if not picker.available:
            context["widget"]["attrs"]["disabled"] = True
        return context

    def format_value(self, value):
        if isinstance(value, (list, tuple)):
            return ", ".join(str(v) for v in value)
        return super().format_value(value)


@dataclass
class RenderedSection:
    key: str
    title: str
    description: str
    fields: list  # BoundFields


def _html_attrs(spec: dict) -> dict:
    attrs = {"data-field-type": spec["type"]}
    if spec.get("required") and spec["type"] not in FILE_TYPES | PICKER_TYPES:
        attrs["required"] = True
    if spec.get("suggest"):
        attrs["data-suggest"] = spec["suggest"]
    kind = spec["type"]
    if kind in (FieldType.TEXT, FieldType.TEXTAREA):
        attrs["maxlength"] = max_length_of(spec)
    elif kind == FieldType.NUMBER:
        attrs.update(step="any", **{k: spec[k] for k in ("min", "max") if spec.get(k) is not None})
    elif kind == FieldType.DATE:
        for bound in ("min", "max"):
            if spec.get(bound):
                attrs[bound] = resolve_date_bound(spec[bound]).isoformat()
    return attrs


def _form_field(spec: dict, current: option_sources.CurrentOptions) -> forms.Field:
    kind, attrs = spec["type"], _html_attrs(spec)
    common = {"required": False, "label": spec["label"], "help_text": spec.get("help_text", "")}
    if kind == FieldType.CHECKBOX:
        field = forms.BooleanField(widget=forms.CheckboxInput(attrs=attrs), initial=bool(spec.get("default")), **common)
    elif kind in PICKER_TYPES:
        field = forms.CharField(widget=PickerWidget(field_type=kind, multiple=bool(spec.get("multiple")), attrs=attrs), **common)
    elif kind in FILE_TYPES:
        images = kind == FieldType.IMAGE
        accept = ".png,.jpg,.jpeg" if images else ",".join(sorted(ALLOWED_TYPES))
        widget = MultipleFileInput(attrs={**attrs, "accept": accept, **({"multiple": True} if spec.get("multiple") else {})})
        field = forms.Field(widget=widget, **common)
    else:
        widget = {
            FieldType.TEXTAREA: lambda: forms.Textarea(attrs={"rows": 4, **attrs}),
            FieldType.SELECT: lambda: forms.Select(
                attrs=attrs, choices=[("", "Choose …")] + [(o["value"], o["label"]) for o in current.of(spec)]
            ),
            FieldType.NUMBER: lambda: forms.NumberInput(attrs=attrs),
            FieldType.DATE: lambda: forms.DateInput(attrs={"type": "date", **attrs}),
        }.get(kind, lambda: forms.TextInput(attrs=attrs))()
        field = forms.CharField(widget=widget, strip=False, initial=spec.get("default"), **common)
    field.spec = spec
    # A field with a `suggest` hint gets a button that asks for the suggestion (deviations.suggestions).
    field.suggest_url = suggestion_url(spec.get("suggest"))
    return field


class AnswersForm(forms.Form):
    """The inputs of a form version as the reporter sees them."""

    template_name = "deviations/includes/form_renderer.html"

    def __init__(self, *args, version: FormTemplate, **kwargs):
        super().__init__(*args, **kwargs)
        self.version = version
        current = option_sources.CurrentOptions()
        for section, spec in version.fields():
            self.fields[f"{section['key']}.{spec['key']}"] = _form_field(spec, current)

    @property
    def sections(self) -> list[RenderedSection]:
        return [
            RenderedSection(
                key=section["key"],
                title=section["title"],
                description=section.get("description", ""),
                fields=[self[f"{section['key']}.{spec['key']}"] for spec in section.get("fields", [])],
            )
            for section in self.version.sections
        ]

    def form_data(self) -> dict:
        """The answers typed in, by section and field key (for forms_engine.validate_answers)."""
        data: dict = {}
        for section, spec in self.version.fields():
            if spec["type"] not in FILE_TYPES:
                data.setdefault(section["key"], {})[spec["key"]] = self.cleaned_data.get(f"{section['key']}.{spec['key']}")
        return data

    def files_data(self) -> dict:
        """The uploads by "<section>.<field>"."""
        names = [f"{s['key']}.{f['key']}" for s, f in self.version.fields() if f["type"] in FILE_TYPES]
        return {name: self.files.getlist(name) for name in names if self.files and self.files.getlist(name)}

    def add_problems(self, exc: DomainError) -> None:
        """Shows a domain error of the engine next to the fields it names."""
        located = exc.problems if isinstance(exc, InvalidInputs) else [(exc.extra.get("loc") or [], str(exc.detail), "")]
        for loc, msg, _ in located:
            name = ".".join(str(part) for part in loc[1:3]) if len(loc) >= 3 and loc[0] == "form_data" else None
            self.add_error(name if name in self.fields else None, msg)


# --- the editor ----------------------------------------------------------------------------------------


class NewFormTemplateForm(forms.Form):
    name = forms.CharField(max_length=limits.FORM_NAME)
    description = forms.CharField(required=False, max_length=limits.FORM_DESCRIPTION, widget=forms.Textarea(attrs={"rows": 2}))


class DetailsForm(NewFormTemplateForm):
    pass


class SectionForm(forms.Form):
    key = forms.CharField(max_length=limits.KEY, help_text="Lower-case identifier, e.g. product")
    title = forms.CharField(max_length=limits.LABEL)
    description = forms.CharField(required=False, max_length=limits.HELP_TEXT, widget=forms.Textarea(attrs={"rows": 2}))


class FieldForm(forms.Form):
    """One field's definition as the editor types it; `spec()` turns it into the definition's shape."""

    key = forms.CharField(max_length=limits.KEY, help_text="Lower-case identifier, unique in the form, e.g. batch")
    label = forms.CharField(max_length=limits.LABEL)
    type = forms.ChoiceField(choices=FieldType.choices)
    help_text = forms.CharField(required=False, max_length=limits.HELP_TEXT)
    required = forms.BooleanField(required=False)
    options = forms.CharField(
        required=False,
        max_length=limits.OPTIONS_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Select fields: one option per line, as “value” or “value | label”",
    )
    options_from = forms.ChoiceField(
        required=False,
        label="Options from",
        help_text="Select fields: offer the current records of a list kept in the admin instead of typed options",
    )
    default = forms.CharField(
        required=False, max_length=limits.DEFAULT_TEXT, help_text="Pre-filled answer (checkbox: true or false)"
    )
    min = forms.CharField(required=False, max_length=limits.BOUND, help_text='Number or date fields (a date may be "today")')
    max = forms.CharField(required=False, max_length=limits.BOUND, help_text='Number or date fields (a date may be "today")')
    max_length = forms.IntegerField(required=False, min_value=1, help_text="Text fields: most characters")
    regex = forms.CharField(
        required=False,
        max_length=limits.REGEX,
        label="Pattern",
        help_text="Text fields: a regular expression the answer must match",
    )
    regex_message = forms.CharField(required=False, max_length=limits.LABEL, label="Pattern message")
    multiple = forms.BooleanField(required=False, help_text="Pickers, images and files: several values")
    suggest = forms.ChoiceField(required=False, choices=[("", "—")] + [(k, v["label"]) for k, v in SUGGESTERS.items()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["options_from"].choices = [("", "—")] + [
            (name, source.label) for name, source in sorted(option_sources.sources().items())
        ]

    @classmethod
    def initial_for(cls, spec: dict) -> dict:
        initial = {k: spec.get(k) for k in cls.base_fields}
        initial["options"] = "\n".join(
            o["value"] if o["label"] == o["value"] else f"{o['value']} | {o['label']}" for o in spec.get("options", [])
        )
        for name in ("default", "min", "max", "regex", "suggest", "options_from"):
            initial[name] = (
                "" if spec.get(name) is None else str(spec[name]).lower() if isinstance(spec[name], bool) else spec[name]
            )
        return initial

    def spec(self) -> dict:
        data = self.cleaned_data
        kind = data["type"]
        options = []
        for line in (data.get("options") or "").splitlines():
            value, _, label = line.partition("|")
            if value.strip():
                options.append({"value": value.strip(), "label": label.strip() or value.strip()})
        return {
            "key": data["key"],
            "label": data["label"],
            "type": kind,
            "help_text": data.get("help_text") or "",
            "required": bool(data.get("required")),
            "options": options,
            "options_from": data.get("options_from") or None,
            "default": _typed(kind, data.get("default")),
            "min": _typed(kind, data.get("min")),
            "max": _typed(kind, data.get("max")),
            "max_length": data.get("max_length"),
            "regex": data.get("regex") or None,
            "regex_message": data.get("regex_message") or "",
            "multiple": bool(data.get("multiple")),
            "suggest": data.get("suggest") or None,
        }


def _typed(kind: str, text: str | None):
    """A typed-in value in the type the field holds (a number for number fields, true/false for
    checkboxes); text that does not fit is kept, for the definition rules to name."""
    text = (text or "").strip()
    if not text:
        return None
    if kind == FieldType.CHECKBOX:
        return text.lower() in TRUE_WORDS if text.lower() in TRUE_WORDS | {"false", "off", "0", "no"} else text
    if kind == FieldType.NUMBER:
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        if number.is_finite():
            return int(number) if number == number.to_integral_value() else float(number)
    return text


class PublishForm(forms.Form):
    reason = forms.CharField(max_length=limits.REASON, help_text="Why this version becomes the reporting form (audit trail)")


# --- deviation pages --------------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"


STATUS_CHOICES = [
    ("", "Any status"),
    ("reported", "Reported"),
    ("under_investigation", "Under investigation"),
    ("qa_review", "QA review"),
    ("closed", "Closed"),
    ("cancelled", "Cancelled"),
]


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


class DeviationFilterForm(forms.Form):
    """The list page's filters (the same names as the API's query parameters, deviations/filters.py)."""

    search = forms.CharField(required=False, max_length=limits.SEARCH, label="Text")
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES)
    severity = forms.ChoiceField(required=False, choices=[("", "Any severity"), *Severity.choices])
    category = forms.ModelChoiceField(Category.objects.all(), required=False, empty_label="Any category")
    area = forms.ModelChoiceField(Area.objects.all(), required=False, empty_label="Any area")
    owner = UserChoiceField(User.objects.filter(is_active=True).order_by("full_name"), required=False, empty_label="Any owner")
    overdue = forms.ChoiceField(required=False, choices=[("", "Due or not"), ("true", "Overdue"), ("false", "Not overdue")])
    date_from = forms.DateField(required=False, widget=DateInput, label="Reported from")
    date_to = forms.DateField(required=False, widget=DateInput, label="Reported to")


class ReportAttachmentsForm(forms.Form):
    """Further files with a report (besides the form's own image and file fields)."""

    attachments = forms.Field(
        required=False,
        label="Other attachments",
        widget=MultipleFileInput(attrs={"multiple": True, "accept": ",".join(sorted(ALLOWED_TYPES))}),
        help_text="Any further records: PDF, Word, Excel, text, Markdown, PNG or JPEG.",
    )


_CAPA_CHOICES = [("", "Not decided yet"), ("yes", "Yes: a CAPA is raised"), ("no", "No CAPA (give the rationale)")]


class DeviationEditForm(forms.Form):
    """Classification, investigation, CAPA decision, owner and due date, with the reason (audit
    trail) and the row_version the page was built from."""

    title = forms.CharField(max_length=limits.TITLE)
    description = forms.CharField(max_length=limits.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 4}))
    occurred_at = forms.DateField(widget=DateInput, label="Occurred on")
    discovered_at = forms.DateField(required=False, widget=DateInput, label="Discovered on")
    area = forms.ModelChoiceField(Area.objects.all())
    category = forms.ModelChoiceField(Category.objects.all())
    product = forms.CharField(required=False, max_length=limits.PRODUCT)
    batch = forms.CharField(required=False, max_length=limits.BATCH, label="Batch / lot")
    severity = forms.ChoiceField(choices=Severity.choices)
    severity_rationale = forms.CharField(required=False, max_length=limits.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 2}))
    immediate_action = forms.CharField(required=False, max_length=limits.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 2}))
    impact_assessment = forms.CharField(required=False, max_length=limits.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 3}))
    root_cause = forms.CharField(required=False, max_length=limits.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 3}))
    root_cause_method = forms.ChoiceField(required=False, choices=[("", "—"), *RootCauseMethod.choices])
    capa_required = forms.ChoiceField(required=False, choices=_CAPA_CHOICES, label="CAPA required")
    capa_decision_rationale = forms.CharField(
        required=False, max_length=limits.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 2}), label="CAPA decision rationale"
    )
    owner = UserChoiceField(
        selectors.possible_owners(),
        required=False,
        empty_label="Nobody yet",
        help_text="Who investigates",
    )
    due_date = forms.DateField(widget=DateInput, help_text="Changing the severity moves it by its rule unless you change it too")
    reason = forms.CharField(max_length=limits.REASON, help_text="Why it changes (audit trail)")
    row_version = forms.IntegerField(widget=forms.HiddenInput)

    EDITABLE = Deviation.UPDATABLE_FIELDS

    @classmethod
    def initial_for(cls, deviation) -> dict:
        initial = {name: getattr(deviation, name) for name in cls.EDITABLE}
        initial["capa_required"] = {True: "yes", False: "no", None: ""}[deviation.capa_required]
        initial["row_version"] = deviation.row_version
        return initial

    def changes(self) -> dict:
        """The fields whose value differs from the page's initial values, typed for the service."""
        data = dict(self.cleaned_data)
        data["capa_required"] = {"yes": True, "no": False}.get(data["capa_required"])
        initial = dict(self.initial, capa_required={"yes": True, "no": False}.get(self.initial.get("capa_required")))
        return {name: data[name] for name in self.EDITABLE if data[name] != initial.get(name)}


class LinkForm(forms.Form):
    target_type = forms.ChoiceField(choices=[(name, kind.label) for name, kind in LINK_TYPES.items()], label="Kind")
    target = forms.CharField(max_length=limits.LINK_TARGET, label="Number", help_text="e.g. SOP-0001 or DEV-2026-0003")
    version = forms.CharField(
        required=False, max_length=limits.VERSION, help_text="Documents: the version (default: the one you see)"
    )
    reason = forms.CharField(max_length=limits.REASON, help_text="Why they are related (audit trail)")


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=limits.REASON)


class AttachmentsForm(forms.Form):
    files = forms.Field(widget=MultipleFileInput(attrs={"multiple": True, "accept": ",".join(sorted(ALLOWED_TYPES))}))
    description = forms.CharField(required=False, max_length=limits.DESCRIPTION)
