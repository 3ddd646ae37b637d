"""Request and response shapes for the accounts API (shape only; rules live in services)."""

from django.conf import settings
from rest_framework import serializers

from audit.serializers import ReasonField

from .models import Group, Permission, Role, User


class UserSummarySerializer(serializers.ModelSerializer):
    role = serializers.CharField(source="role.name", default=None, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "email", "full_name", "role"]


class GroupRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Group
        fields = ["id", "name"]


class UserSerializer(serializers.ModelSerializer):
    role = serializers.CharField(source="role.name", default=None, read_only=True)
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
            "row_version",
        ]
        read_only_fields = fields

    def get_is_locked(self, obj) -> bool:
        return obj.is_locked()


class MeSerializer(UserSerializer):
    permissions = serializers.SerializerMethodField()

    class Meta(UserSerializer.Meta):
        fields = UserSerializer.Meta.fields + ["permissions"]
        read_only_fields = fields

    def get_permissions(self, obj) -> list[str]:
        return sorted(obj.effective_permissions)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(help_text="Username or email address")
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class TokenResponseSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField(default="bearer")
    expires_in = serializers.IntegerField(help_text="Access token lifetime in seconds")
    user = UserSummarySerializer()


class RefreshRequestSerializer(serializers.Serializer):
    refresh_token = serializers.CharField()


class LogoutRequestSerializer(serializers.Serializer):
    refresh_token = serializers.CharField(required=False, help_text="The refresh token to revoke")


class ChangePasswordSerializer(serializers.Serializer):
    current_password = serializers.CharField(trim_whitespace=False)
    new_password = serializers.CharField(trim_whitespace=False)


class RegisterSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    password = serializers.CharField(trim_whitespace=False)


class UserCreateSerializer(RegisterSerializer):
    role = serializers.CharField(required=False, allow_null=True, default=None, help_text="Role name, e.g. 'QA'")
    department = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    office_location = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(required=False, default=True)


class UserUpdateSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_null=True)
    department = serializers.CharField(max_length=150, required=False, allow_blank=True)
    office_location = serializers.CharField(max_length=150, required=False, allow_blank=True)
    role = serializers.CharField(required=False, allow_null=True, help_text="Role name (administrators only)")
    is_active = serializers.BooleanField(required=False, help_text="Administrators only")
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        write_only=True,
        max_length=2000,
        help_text="Why the change is made (audit trail). Required when role or is_active changes.",
    )
    row_version = serializers.IntegerField(required=False, write_only=True, help_text="Optimistic concurrency check")


class ReasonSerializer(serializers.Serializer):
    reason = ReasonField()


class UserRoleSerializer(serializers.Serializer):
    role = serializers.CharField(allow_null=True)
    reason = ReasonField()


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
    permissions = serializers.ListField(child=serializers.CharField(), allow_empty=True)
    reason = ReasonField()


class PermissionOverrideSerializer(serializers.Serializer):
    codename = serializers.CharField()
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
    description = serializers.CharField(required=False, allow_blank=True, default="")
    member_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class GroupUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AddMemberSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["healthy", "unhealthy"])
    database = serializers.CharField()
    version = serializers.CharField()
    redis = serializers.CharField(required=False)


def access_token_lifetime_seconds() -> int:
    return int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds())
