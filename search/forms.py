"""The search page's form (shape only; search.selectors does the work)."""

from django import forms

from qms import searchables as registry
from qms.searchables import SearchFilters

# Statuses of document versions (the states of the document workflow).
DOCUMENT_STATUSES = [
    ("draft", "Draft"),
    ("in_review", "In review"),
    ("approved", "Approved"),
    ("effective", "Effective"),
    ("obsolete", "Obsolete"),
]


class DateInput(forms.DateInput):
    input_type = "date"


class SearchForm(forms.Form):
    q = forms.CharField(max_length=500, label="Search", widget=forms.TextInput(attrs={"type": "search", "autofocus": True}))
    type = forms.ChoiceField(
        required=False,
        choices=[
            ("", "All types"),
            ("document", "Documents"),
            ("deviation", "Deviations"),
            ("capa", "CAPAs"),
            ("training", "Training"),
        ],
    )
    category = forms.CharField(required=False, max_length=100)
    status = forms.ChoiceField(required=False)
    document_type = forms.CharField(required=False, max_length=20, label="Document type code")
    date_from = forms.DateField(required=False, widget=DateInput, label="Created from")
    date_to = forms.DateField(required=False, widget=DateInput, label="Created to")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Statuses grouped by record type: those of documents and those each searchable type offers.
        self.fields["status"].choices = [
            ("", "Any status"),
            ("Documents", DOCUMENT_STATUSES),
            *[(f"{itype.label}s", list(itype.statuses)) for itype in registry.all_types() if itype.statuses],
        ]

    def filters(self) -> SearchFilters:
        data = self.cleaned_data
        return SearchFilters(
            category=data.get("category") or "",
            status=data.get("status") or "",
            document_type=data.get("document_type") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
