"""Forms for the audit pages and the reusable signature dialog (shape only; signing is audit.signatures)."""

from django import forms

from .models import SignatureType


class SignatureForm(forms.Form):
    """What the signature dialog posts. Pages that sign (approve a document, complete training, approve a
    CAPA draft) validate their POST with it and call audit.signatures.sign(...) with the cleaned data."""

    signature_type = forms.ChoiceField(label="Meaning", choices=SignatureType.choices)
    intent = forms.CharField(label="Statement of intent", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    password = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    reason = forms.CharField(label="Reason", max_length=2000, required=False)

    def __init__(self, *args, allowed_types: list[str] | None = None, require_reason: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if allowed_types:
            self.fields["signature_type"].choices = [c for c in SignatureType.choices if c[0] in allowed_types]
        self.fields["reason"].required = require_reason
