"""The search page's form (shape only; search.selectors does the work)."""

from django import forms

from qms.searchables import SearchFilters


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
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Any status"),
            ("draft", "Draft"),
            ("in_review", "In review"),
            ("approved", "Approved"),
            ("effective", "Effective"),
            ("obsolete", "Obsolete"),
        ],
    )
    document_type = forms.CharField(required=False, max_length=20, label="Document type code")
    date_from = forms.DateField(required=False, widget=DateInput, label="Created from")
    date_to = forms.DateField(required=False, widget=DateInput, label="Created to")

    def filters(self) -> SearchFilters:
        data = self.cleaned_data
        return SearchFilters(
            category=data.get("category") or "",
            status=data.get("status") or "",
            document_type=data.get("document_type") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
