"""Admin screens for users, roles, permission grants and groups.

Changes made here go through the same services as the API, so they are validated and audited,
and the same rule applies: a change to an existing account's or role's access needs a reason
(accounts.services.REASON_RULE), typed into the form or into the action's confirmation page.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.forms import ReadOnlyPasswordHashField
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse

from qms.errors import DomainError

from . import services
from .models import Group, Permission, Role, User, UserPermissionOverride


class PermissionOverrideInline(admin.TabularInline):
    model = UserPermissionOverride
    fk_name = "user"
    extra = 0
    fields = ["permission", "effect", "reason", "created_by", "created_at"]
    readonly_fields = ["permission", "effect", "reason", "created_by", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


REASON_HELP = "Why the change is made (recorded in the audit trail)."


def your_password_field(when: str) -> forms.CharField:
    """Re-authentication for sensitive changes: the administrator's own password."""
    return forms.CharField(
        label="Your password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=f"Your own password, required when {when} (re-authentication; a wrong one counts toward lockout).",
    )


class ServiceErrorsAsMessages:
    """A domain error raised by a service while saving rolls the whole save back (the admin's change
    view runs in one transaction) and comes back as an error message, never as "saved successfully"."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            if request.method == "POST" and request.POST.get("your_password"):
                # Checked before the admin's transaction, so that a wrong password stays counted toward lockout.
                services.reauthenticate(user=request.user, password=request.POST["your_password"], what="this change")
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, str(exc.detail), level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class UserAdminForm(forms.ModelForm):
    password = ReadOnlyPasswordHashField(help_text="Passwords are changed by the user (profile page) or set at creation.")
    reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=REASON_HELP + " Required when the role, active or staff status changes.",
    )
    your_password = your_password_field("the role changes")

    class Meta:
        model = User
        fields = ["username", "email", "full_name", "role", "department", "office_location", "is_active", "is_staff", "password"]

    def clean(self):
        data = super().clean()
        access = [f for f in services.REASON_REQUIRED_USER_FIELDS if f in self.changed_data]
        if access and not (data.get("reason") or "").strip():
            self.add_error("reason", f"A reason is required when changing {', '.join(access)}.")
        return data


class UserCreationAdminForm(forms.ModelForm):
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)

    class Meta:
        model = User
        fields = ["username", "email", "full_name", "role", "department", "office_location", "is_staff"]


@admin.register(User)
class UserAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    list_display = ["username", "full_name", "email", "role", "department", "is_active", "is_staff", "last_login"]
    list_filter = ["role", "is_active", "is_staff", "department"]
    search_fields = ["username", "full_name", "email"]
    readonly_fields = [
        "last_login",
        "date_joined",
        "deactivated_at",
        "reactivated_at",
        "failed_login_count",
        "locked_until",
        "password_changed_at",
        "password_change_required",
        "row_version",
    ]
    inlines = [PermissionOverrideInline]
    actions = ["unlock_accounts", "deactivate_accounts", "require_password_changes"]

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = UserCreationAdminForm if obj is None else UserAdminForm
        return super().get_form(request, obj, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False  # accounts are deactivated, never deleted

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = services.create_user(
                actor=request.user,
                username=data["username"],
                email=data.get("email") or "",
                password=data["password1"],
                full_name=data.get("full_name", ""),
                role=data["role"].name if data.get("role") else None,
                department=data.get("department", ""),
                office_location=data.get("office_location", ""),
                is_staff=bool(data.get("is_staff")),
            )
            obj.pk = created.pk
            obj._state.adding = False
            return
        changes = {
            f: data[f]
            for f in ("full_name", "email", "department", "office_location", "is_active", "is_staff")
            if f in form.changed_data
        }
        if "role" in form.changed_data:
            changes["role"] = data["role"].name if data.get("role") else None
        services.update_user(
            actor=request.user,
            user=User.objects.get(pk=obj.pk),
            changes=changes,
            reason=data.get("reason", ""),
            password=data.get("your_password") or None,
        )

    def save_related(self, request, form, formsets, change):
        for formset in formsets:  # the read-only grants inline: nothing to write, but the admin expects it saved
            self.save_formset(request, form, formset, change=change)

    @admin.action(description="Unlock selected accounts", permissions=["change"])
    def unlock_accounts(self, request, queryset):
        return self._apply_with_reason(
            request,
            queryset,
            "Unlock accounts",
            lambda user, reason: services.unlock_user(user=user, actor=request.user, reason=reason),
        )

    @admin.action(description="Deactivate selected accounts", permissions=["change"])
    def deactivate_accounts(self, request, queryset):
        return self._apply_with_reason(
            request,
            queryset,
            "Deactivate accounts",
            lambda user, reason: services.deactivate_user(actor=request.user, user=user, reason=reason),
        )

    @admin.action(description="Require a password change at next use", permissions=["change"])
    def require_password_changes(self, request, queryset):
        return self._apply_with_reason(
            request,
            queryset,
            "Require a password change",
            lambda user, reason: services.require_password_change(actor=request.user, user=user, reason=reason),
        )

    def _apply_with_reason(self, request, queryset, title, apply):
        """Asks for the reason on a confirmation page, then applies the service to each selected account."""
        reason = (request.POST.get("reason") or "").strip()
        if not reason:
            if "apply" in request.POST:
                self.message_user(request, "A reason is required.", level=messages.ERROR)
            context = {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                "queryset": queryset,
                "action": request.POST.get("action", ""),
                "checkbox_name": ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/accounts/action_reason.html", context)
        for user in queryset:
            try:
                apply(user, reason)
            except DomainError as exc:
                self.message_user(request, f"{user.username}: {exc.detail}", level=messages.ERROR)
        return None


class PermissionOverrideAdminForm(forms.ModelForm):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), help_text=REASON_HELP + " Required.")

    class Meta:
        model = UserPermissionOverride
        fields = ["user", "permission", "effect", "reason"]


@admin.register(UserPermissionOverride)
class UserPermissionOverrideAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    """Grants and revocations. Removing one needs a reason too: use the API
    (DELETE /api/users/{id}/permissions/{codename}?reason=...) or set the opposite effect here."""

    form = PermissionOverrideAdminForm
    list_display = ["user", "permission", "effect", "reason", "created_by", "created_at"]
    list_filter = ["effect", "permission__domain"]
    search_fields = ["user__username", "permission__codename"]
    fields = ["user", "permission", "effect", "reason"]

    def has_delete_permission(self, request, obj=None):
        return False  # the admin's delete confirmation cannot ask for the required reason

    def get_readonly_fields(self, request, obj=None):
        return ["user", "permission"] if obj else []

    def save_model(self, request, obj, form, change):
        saved = services.set_permission_override(
            actor=request.user, user=obj.user, codename=obj.permission.codename, effect=obj.effect, reason=obj.reason
        )
        obj.pk = saved.pk


class RoleAdminForm(forms.ModelForm):
    reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=REASON_HELP + " Required when the permissions change.",
    )
    your_password = your_password_field("the permissions change")

    class Meta:
        model = Role
        fields = ["name", "description", "permissions"]
        widgets = {"permissions": forms.CheckboxSelectMultiple}

    def clean(self):
        data = super().clean()
        existing = self.instance.pk is not None
        if existing and "permissions" in self.changed_data and not (data.get("reason") or "").strip():
            self.add_error("reason", "A reason is required when changing a role's permissions.")
        return data


@admin.register(Role)
class RoleAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    form = RoleAdminForm
    list_display = ["name", "description"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        codenames = [p.codename for p in data["permissions"]]
        if not change:
            created = services.create_role(
                actor=request.user,
                name=data["name"],
                description=data["description"],
                codenames=codenames,
                reason=data.get("reason", ""),
            )
            obj.pk = created.pk
            obj._state.adding = False
            return
        role = Role.objects.get(pk=obj.pk)
        services.update_role(
            actor=request.user,
            role=role,
            reason=data.get("reason", ""),
            changes={"name": data["name"], "description": data["description"]},
        )
        services.set_role_permissions(
            actor=request.user,
            role=role,
            codenames=codenames,
            reason=data.get("reason", ""),
            password=data.get("your_password") or None,
        )

    def save_related(self, request, form, formsets, change):
        pass  # permissions were set through the service in save_model

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Permission)
class PermissionAdmin(admin.ModelAdmin):
    list_display = ["codename", "description", "domain"]
    list_filter = ["domain"]
    search_fields = ["codename", "description"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class GroupAdminForm(forms.ModelForm):
    reason = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), help_text=REASON_HELP + " Optional."
    )

    class Meta:
        model = Group
        fields = ["name", "description", "members"]


@admin.register(Group)
class GroupAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    form = GroupAdminForm
    list_display = ["name", "description", "created_at"]
    search_fields = ["name"]
    filter_horizontal = ["members"]
    fields = ["name", "description", "members", "reason"]

    def save_model(self, request, obj, form, change):
        if change:
            services.update_group(
                actor=request.user,
                group=obj,
                changes={"name": obj.name, "description": obj.description},
                reason=form.cleaned_data.get("reason", ""),
            )
        else:
            created = services.create_group(actor=request.user, name=obj.name, description=obj.description)
            obj.pk = created.pk

    def save_related(self, request, form, formsets, change):
        group = Group.objects.get(pk=form.instance.pk)
        wanted = {u.pk for u in form.cleaned_data["members"]}
        current = set(group.members.values_list("pk", flat=True))
        for user_id in wanted - current:
            services.add_group_member(actor=request.user, group=group, user_id=user_id)
        for user_id in current - wanted:
            services.remove_group_member(actor=request.user, group=group, user_id=user_id)

    def delete_model(self, request, obj):
        services.delete_group(actor=request.user, group=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
