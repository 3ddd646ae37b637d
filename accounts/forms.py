"""Forms for the sign-in, profile and user administration pages (shape only)."""

from django import forms

from .models import Role


class LoginForm(forms.Form):
    username = forms.CharField(
        label="Username or email", max_length=254, widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"})
    )
    password = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class ChangePasswordForm(forms.Form):
    current_password = forms.CharField(
        label="Current password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        label="New password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, with upper-case, lower-case and a digit.",
    )
    confirm_password = forms.CharField(
        label="Confirm new password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("confirm_password"):
            self.add_error("confirm_password", "The two new passwords do not match.")
        return data


class ProfileForm(forms.Form):
    full_name = forms.CharField(max_length=200, required=False)
    email = forms.EmailField(required=False)
    department = forms.CharField(max_length=150, required=False)
    office_location = forms.CharField(max_length=150, required=False)


class UserCreateForm(forms.Form):
    username = forms.CharField(max_length=150)
    email = forms.EmailField()
    full_name = forms.CharField(max_length=200, required=False)
    role = forms.ModelChoiceField(queryset=Role.objects.all(), to_field_name="name", required=False)
    password = forms.CharField(strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class GroupCreateForm(forms.Form):
    name = forms.CharField(max_length=150)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
