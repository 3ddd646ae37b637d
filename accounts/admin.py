"""Admin screens for users, roles, permission grants and groups.

Changes made here go through the same services as the API, so they are validated and audited.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.forms import ReadOnlyPasswordHashField

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


class UserAdminForm(forms.ModelForm):
    password = ReadOnlyPasswordHashField(help_text="Passwords are changed by the user (profile page) or set at creation.")

    class Meta:
        model = User
        fields = ["username", "email", "full_name", "role", "department", "office_location", "is_active", "is_staff", "password"]


class UserCreationAdminForm(forms.ModelForm):
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)

    class Meta:
        model = User
        fields = ["username", "email", "full_name", "role", "department", "office_location", "is_staff"]


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["username", "full_name", "email", "role", "department", "is_active", "is_staff", "last_login"]
    list_filter = ["role", "is_active", "is_staff", "department"]
    search_fields = ["username", "full_name", "email"]
    readonly_fields = ["last_login", "date_joined", "deactivated_at", "failed_login_count", "locked_until", "row_version"]
    inlines = [PermissionOverrideInline]
    actions = ["unlock_accounts", "deactivate_accounts"]

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = UserCreationAdminForm if obj is None else UserAdminForm
        return super().get_form(request, obj, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False  # accounts are deactivated, never deleted

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
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
                )
                obj.pk = created.pk
                if data.get("is_staff"):
                    User.objects.filter(pk=created.pk).update(is_staff=True)
            else:
                changes = {
                    f: data[f]
                    for f in ("full_name", "email", "department", "office_location", "is_active")
                    if f in form.changed_data
                }
                if "role" in form.changed_data:
                    changes["role"] = data["role"].name if data.get("role") else None
                services.update_user(
                    actor=request.user, user=User.objects.get(pk=obj.pk), changes=changes, reason="Changed in admin"
                )
                if "is_staff" in form.changed_data:
                    User.objects.filter(pk=obj.pk).update(is_staff=data["is_staff"])
        except DomainError as exc:
            self.message_user(request, str(exc.detail), level=messages.ERROR)

    @admin.action(description="Unlock selected accounts")
    def unlock_accounts(self, request, queryset):
        for user in queryset:
            services.unlock_user(user=user, actor=request.user, reason="Unlocked in admin")

    @admin.action(description="Deactivate selected accounts")
    def deactivate_accounts(self, request, queryset):
        for user in queryset:
            try:
                services.deactivate_user(actor=request.user, user=user, reason="Deactivated in admin")
            except DomainError as exc:
                self.message_user(request, f"{user.username}: {exc.detail}", level=messages.ERROR)


@admin.register(UserPermissionOverride)
class UserPermissionOverrideAdmin(admin.ModelAdmin):
    list_display = ["user", "permission", "effect", "reason", "created_by", "created_at"]
    list_filter = ["effect", "permission__domain"]
    search_fields = ["user__username", "permission__codename"]
    fields = ["user", "permission", "effect", "reason"]

    def get_readonly_fields(self, request, obj=None):
        return ["user", "permission"] if obj else []

    def save_model(self, request, obj, form, change):
        try:
            services.set_permission_override(
                actor=request.user, user=obj.user, codename=obj.permission.codename, effect=obj.effect, reason=obj.reason
            )
        except DomainError as exc:
            self.message_user(request, str(exc.detail), level=messages.ERROR)

    def delete_model(self, request, obj):
        services.remove_permission_override(
            actor=request.user, user=obj.user, codename=obj.permission.codename, reason="Removed in admin"
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class RoleAdminForm(forms.ModelForm):
    class Meta:
        model = Role
        fields = ["name", "description", "permissions"]
        widgets = {"permissions": forms.CheckboxSelectMultiple}


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    form = RoleAdminForm
    list_display = ["name", "description"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        codenames = [p.codename for p in form.cleaned_data["permissions"]]
        services.set_role_permissions(actor=request.user, role=form.instance, codenames=codenames, reason="Changed in admin")
        if change:
            Role.objects.filter(pk=form.instance.pk).update(
                description=form.cleaned_data["description"], name=form.cleaned_data["name"]
            )

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


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "description", "created_at"]
    search_fields = ["name"]
    filter_horizontal = ["members"]
    fields = ["name", "description", "members"]

    def save_model(self, request, obj, form, change):
        if change:
            services.update_group(
                actor=request.user,
                group=obj,
                changes={"name": obj.name, "description": obj.description},
                reason="Changed in admin",
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
        services.delete_group(actor=request.user, group=obj, reason="Deleted in admin")

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
