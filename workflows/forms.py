"""Forms of the controlled-record kit's pages (shape only; the services enforce the rules)."""

from django import forms

from accounts.models import Role, User

from .models import ApprovalMode


class TransitionForm(forms.Form):
    comment = forms.CharField(required=False, max_length=2000)


class ConfigureApprovalForm(forms.Form):
    state = forms.ChoiceField(label="Approval step")
    approval_mode = forms.ChoiceField(choices=ApprovalMode.choices, initial=ApprovalMode.ALL)
    role_1 = forms.ModelChoiceField(Role.objects.all(), required=False, label="Role")
    count_1 = forms.IntegerField(min_value=1, initial=1, required=False, label="Approvers with that role")
    role_2 = forms.ModelChoiceField(Role.objects.all(), required=False, label="Second role")
    count_2 = forms.IntegerField(min_value=1, initial=1, required=False, label="Approvers with the second role")
    users = forms.ModelMultipleChoiceField(
        User.objects.filter(is_active=True).order_by("username"),
        required=False,
        label="Named approvers (all must approve)",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    author_may_approve = forms.BooleanField(required=False, label="The author may approve")
    reset = forms.BooleanField(required=False, label="Use the workflow template's rules again")
    reason = forms.CharField(max_length=2000, help_text="Why the approvers change (audit trail)")

    def __init__(self, *args, states: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [(s.name, s.label) for s in states]

    def rules(self) -> list[dict]:
        data = self.cleaned_data
        rules = []
        for n in (1, 2):
            if data.get(f"role_{n}"):
                rules.append({"kind": "role", "role": data[f"role_{n}"].name, "required_approvals": data.get(f"count_{n}") or 1})
        if data.get("users"):
            rules.append({"kind": "users", "users": [u.pk for u in data["users"]]})
        return rules
