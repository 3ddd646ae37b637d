"""Request and response shapes for the accounts API (shape only; rules live in services)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.serializers import ReasonField
from qms.api import limits

from .models import Group, Permission, Role, User
from .passwords import status_of as password_status_of


class UserSummarySerializer(serializers.ModelSerializer):
    role = serializers.CharField(source="role.name", default=None, read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = ["id", "username", "email", "full_name", "role"]


class GroupRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Group
        fields = ["id", "name"]


class UserSerializer(serializers.ModelSerializer):
    role = serializers.CharField(source="role.name", default=None, read_only=True, allow_null=True)
    groups = GroupRefSerializer(many=True, read_only=True)
    is_locked = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "full_name",
            "role",
            "department",
            "office_location",
            "is_active",
            "is_superuser",
            "groups",
            "last_login",
            "date_joined",
            "deactivated_at",
            "is_locked",
            "password_change_required",
            "password_changed_at",
            "row_version",
        ]
        read_only_fields = fields

    def get_is_locked(self, obj) -> bool:
        return obj.is_locked()


class MeSerializer(UserSerializer):
    permissions = serializers.SerializerMethodField()
    password_change_required = serializers.SerializerMethodField(
        help_text="A password set by someone else, or an expired one: change it before anything else"
    )
    password_change_reason = serializers.SerializerMethodField(help_text="first_use, expired or null")
    password_expires_at = serializers.SerializerMethodField(help_text="null when passwords do not age")
    password_expires_in_days = serializers.SerializerMethodField()
    password_expiry_warning = serializers.SerializerMethodField(help_text="The expiry is within PASSWORD_EXPIRY_WARNING_DAYS")

    class Meta(UserSerializer.Meta):
        fields = UserSerializer.Meta.fields + [
            "permissions",
            "password_change_reason",
            "password_expires_at",
            "password_expires_in_days",
            "password_expiry_warning",
        ]
        read_only_fields = fields

    def _status(self, obj):
        if not hasattr(obj, "_password_status"):
            obj._password_status = password_status_of(obj)
        return obj._password_status

    def get_permissions(self, obj) -> list[str]:
        return sorted(obj.effective_permissions)

    def get_password_change_required(self, obj) -> bool:
        return self._status(obj).change_required

    @extend_schema_field(serializers.ChoiceField(choices=["first_use", "expired"], allow_null=True))
    def get_password_change_reason(self, obj):
        return self._status(obj).change_reason

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_password_expires_at(self, obj):
        expiry = self._status(obj).expires_at
        return serializers.DateTimeField().to_representation(expiry) if expiry else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_password_expires_in_days(self, obj):
        return self._status(obj).expires_in_days

    def get_password_expiry_warning(self, obj) -> bool:
        return self._status(obj).expiry_warning


def password_field(**kwargs) -> serializers.CharField:
    kwargs.setdefault("style", {"input_type": "password"})
    return serializers.CharField(trim_whitespace=False, max_length=limits.PASSWORD, write_only=True, **kwargs)


def reauthentication_field() -> serializers.CharField:
    return password_field(
        help_text="Your own password: this change re-authenticates you (401 REAUTHENTICATION_FAILED when wrong)"
    )


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=limits.NAME, help_text="Username or email address")
    password = password_field()


class TokenResponseSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField(default="bearer")
    expires_in = serializers.IntegerField(help_text="Access token lifetime in seconds")
    user = UserSummarySerializer()


class RefreshRequestSerializer(serializers.Serializer):
    refresh_token = serializers.CharField(max_length=limits.TOKEN)


class LogoutRequestSerializer(serializers.Serializer):
    refresh_token = serializers.CharField(required=False, max_length=limits.TOKEN, help_text="The refresh token to revoke")


class SetPasswordSerializer(serializers.Serializer):
    new_password = password_field(help_text="The password the user must change at first use")
    reason = ReasonField()
    password = reauthentication_field()


class ChangePasswordSerializer(serializers.Serializer):
    current_password = password_field()
    new_password = password_field()


class RegisterSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254)
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    password = password_field()


class UserCreateSerializer(RegisterSerializer):
    role = serializers.CharField(
        required=False, allow_null=True, default=None, max_length=limits.CODE, help_text="Role name, e.g. 'QA'"
    )
    department = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    office_location = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(required=False, default=True)


class UserUpdateSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_null=True, max_length=254)
    department = serializers.CharField(max_length=150, required=False, allow_blank=True)
    office_location = serializers.CharField(max_length=150, required=False, allow_blank=True)
    role = serializers.CharField(
        required=False, allow_null=True, max_length=limits.CODE, help_text="Role name (administrators only)"
    )
    is_active = serializers.BooleanField(required=False, help_text="Administrators only")
    reason = ReasonField(
        required=False, help_text="Why the change is made (audit trail). Required when role or is_active changes."
    )
    password = password_field(required=False, help_text="Your own password; required when `role` changes")
    row_version = serializers.IntegerField(
        max_value=limits.MAX_INT, required=False, write_only=True, min_value=1, help_text="Optimistic concurrency check"
    )


class ReasonSerializer(serializers.Serializer):
    reason = ReasonField()


class UserRoleSerializer(serializers.Serializer):
    role = serializers.CharField(allow_null=True, max_length=limits.CODE)
    reason = ReasonField()
    password = reauthentication_field()


class PermissionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Permission
        fields = ["id", "codename", "description", "domain"]


class RoleSerializer(serializers.ModelSerializer):
    user_count = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = Role
        fields = ["id", "name", "description", "user_count"]


class RoleDetailSerializer(RoleSerializer):
    permissions = PermissionSerializer(many=True, read_only=True)

    class Meta(RoleSerializer.Meta):
        fields = RoleSerializer.Meta.fields + ["permissions", "created_at", "updated_at"]


class RolePermissionsSerializer(serializers.Serializer):
    permissions = serializers.ListField(
        child=serializers.CharField(max_length=limits.CODE), allow_empty=True, max_length=limits.LIST_ITEMS
    )
    reason = ReasonField()
    password = reauthentication_field()


class PermissionOverrideSerializer(serializers.Serializer):
    codename = serializers.CharField(max_length=limits.CODE)
    effect = serializers.ChoiceField(choices=["grant", "revoke"])
    reason = ReasonField()


class UserPermissionsSerializer(serializers.Serializer):
    role = serializers.CharField(allow_null=True)
    role_permissions = serializers.ListField(child=serializers.CharField())
    grants = serializers.ListField(child=serializers.CharField())
    revocations = serializers.ListField(child=serializers.CharField())
    effective = serializers.ListField(child=serializers.CharField())


class GroupSerializer(serializers.ModelSerializer):
    members = UserSummarySerializer(many=True, read_only=True)
    member_count = serializers.SerializerMethodField()

    class Meta:
        model = Group
        fields = ["id", "name", "description", "members", "member_count", "created_at", "updated_at"]

    def get_member_count(self, obj) -> int:
        return len(obj.members.all())


class GroupWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=limits.DESCRIPTION)
    member_ids = serializers.ListField(
        child=serializers.IntegerField(max_value=limits.MAX_INT, min_value=1),
        required=False,
        default=list,
        max_length=limits.LIST_ITEMS,
    )


class GroupUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=limits.DESCRIPTION)
    reason = ReasonField(required=False)


class AddMemberSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(max_value=limits.MAX_INT, min_value=1)


def access_token_lifetime_seconds() -> int:
    return int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds())
