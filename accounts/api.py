"""REST endpoints: authentication, users, roles, permissions and groups."""

from django.db.models import Count
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from qms.api.lists import ListModelMixin
from qms.api.permissions import PUBLIC
from qms.api.request_data import REASON_QUERY_PARAMETER, reason_from, validated
from qms.api.schema import error_responses
from qms.api.throttling import AuthRateThrottle

from . import selectors, services, tokens
from .filters import UserFilter
from .models import Group, Permission, User
from .serializers import (
    AddMemberSerializer,
    ChangePasswordSerializer,
    GroupSerializer,
    GroupUpdateSerializer,
    GroupWriteSerializer,
    LogoutRequestSerializer,
    MeSerializer,
    PermissionOverrideSerializer,
    PermissionSerializer,
    ReasonSerializer,
    RefreshRequestSerializer,
    RegisterSerializer,
    RoleDetailSerializer,
    RolePermissionsSerializer,
    RoleSerializer,
    SetPasswordSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    UserCreateSerializer,
    UserPermissionsSerializer,
    UserRoleSerializer,
    UserSerializer,
    UserSummarySerializer,
    UserUpdateSerializer,
    access_token_lifetime_seconds,
)


def token_response(user: User, *, family: str | None = None) -> dict:
    refresh = tokens.issue_tokens(user, family=family)
    return {
        "access_token": str(refresh.access_token),
        "refresh_token": str(refresh),
        "token_type": "bearer",
        "expires_in": access_token_lifetime_seconds(),
        "user": UserSummarySerializer(user).data,
    }


# --- authentication -------------------------------------------------------------------------------


class TokenView(APIView):
    """Sign in with username (or email) and password."""

    authentication_classes: list = []
    required_permissions = {"post": PUBLIC}
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        tags=["auth"],
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer, **error_responses(401, 422, 429)},
        description="JSON or form-encoded. After 5 consecutive failures the account is locked "
        "for 15 minutes (error_code ACCOUNT_LOCKED).",
    )
    def post(self, request):
        data = validated(TokenRequestSerializer, request)
        user = services.authenticate_credentials(login=data["username"], password=data["password"])
        return Response(token_response(user))


class RefreshView(APIView):
    """Exchange a refresh token for a new access token and a new refresh token (rotation)."""

    authentication_classes: list = []
    required_permissions = {"post": PUBLIC}
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        tags=["auth"],
        request=RefreshRequestSerializer,
        responses={200: TokenResponseSerializer, **error_responses(401, 422, 429)},
        description="Rotation: the refresh token sent stops working and a new pair is returned. A refresh token "
        "that already stopped working (rotated or signed out) presented again is taken as stolen: every token of "
        "its sign-in and the user's access tokens are revoked and the answer is 401 TOKEN_REUSED.",
    )
    def post(self, request):
        data = validated(RefreshRequestSerializer, request)
        user, family = services.rotate_refresh_token(refresh_token=data["refresh_token"])
        return Response(token_response(user, family=family))


class LogoutView(APIView):
    required_permissions = {"post": None}
    allowed_while_password_change_due = True

    @extend_schema(
        tags=["auth"],
        request=LogoutRequestSerializer,
        responses={204: None, **error_responses(401, 422)},
        description="Revokes the sign-in of `refresh_token` (without one: every sign-in of the user) and every "
        "access token issued to the user so far, this one included. Other sign-ins keep their refresh tokens "
        "and get new access tokens with them.",
    )
    def post(self, request):
        data = validated(LogoutRequestSerializer, request)
        services.log_out(user=request.user, refresh_token=data.get("refresh_token") or "")
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    required_permissions = {"get": None}
    allowed_while_password_change_due = True

    @extend_schema(
        tags=["auth"],
        responses={200: MeSerializer, **error_responses(401)},
        description="The signed-in user with role, permissions and groups, and the password's state: "
        "`password_change_required` (then every other endpoint but change-password and logout answers 403 "
        "PASSWORD_CHANGE_REQUIRED), `password_expires_at` (null when PASSWORD_MAX_AGE_DAYS is 0) and "
        "`password_expiry_warning` (within PASSWORD_EXPIRY_WARNING_DAYS of it).",
    )
    def get(self, request):
        user = selectors.user_list().get(pk=request.user.pk)
        return Response(MeSerializer(user).data)


class ChangePasswordView(APIView):
    required_permissions = {"post": None}
    allowed_while_password_change_due = True

    @extend_schema(
        tags=["auth"],
        request=ChangePasswordSerializer,
        responses={200: TokenResponseSerializer, **error_responses(401, 422)},
        description="Changes the password, revokes every refresh and access token of the user and returns fresh tokens. "
        "The new password must meet the strength rules and differ from the last PASSWORD_HISTORY passwords (422). "
        "This also ends a required change (first use, expiry).",
    )
    def post(self, request):
        data = validated(ChangePasswordSerializer, request)
        user = services.change_password(
            user=request.user, current_password=data["current_password"], new_password=data["new_password"]
        )
        return Response(token_response(user))


class RegisterView(APIView):
    authentication_classes: list = []
    required_permissions = {"post": PUBLIC}
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        tags=["auth"],
        request=RegisterSerializer,
        responses={201: UserSummarySerializer, **error_responses(403, 409, 422, 429)},
        description="Only when REGISTRATION_ENABLED is on; otherwise 403 REGISTRATION_DISABLED.",
    )
    def post(self, request):
        services.ensure_registration_enabled()
        data = validated(RegisterSerializer, request)
        user = services.register_user(**data)
        return Response(UserSummarySerializer(user).data, status=status.HTTP_201_CREATED)


# --- users ----------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        responses={200: UserSerializer(many=True), **error_responses(401, 403, 422)}, description="Requires users.view."
    ),
    retrieve=extend_schema(
        responses={200: UserSerializer, **error_responses(401, 403, 404)}, description="Your own profile, or any with users.view."
    ),
)
@extend_schema(tags=["users"])
class UserViewSet(ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = UserSerializer
    filterset_class = UserFilter
    sort_fields = ["username", "email", "full_name", "date_joined", "last_login"]
    default_sort = ["username"]
    required_permissions = {
        "list": "users.view",
        "retrieve": None,  # own profile, or users.view (checked below)
        "create": "users.manage",
        "partial_update": None,  # own profile, or users.manage (checked by the service)
        "destroy": "users.manage",
        "role": "roles.manage",
        "permissions": "roles.view",
        "grant_permission": "roles.manage",
        "remove_permission": "roles.manage",
        "unlock": "users.manage",
        "set_password": "users.manage",
    }

    def get_queryset(self):
        return selectors.user_list()

    def get_object(self):
        user = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        me = self.request.user
        if user.pk != me.pk and not me.has_qms_permission("users.view"):
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied("You may only view your own profile.")
        return user

    @extend_schema(request=UserCreateSerializer, responses={201: UserSerializer, **error_responses(401, 403, 409, 422)})
    def create(self, request):
        data = validated(UserCreateSerializer, request)
        user = services.create_user(actor=request.user, **data)
        return Response(UserSerializer(selectors.user_list().get(pk=user.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=UserUpdateSerializer,
        responses={200: UserSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Profile fields: the user themself or a user administrator. `role` and `is_active`: "
        "administrators only, and a `reason` is required for them; changing `role` also needs your `password` "
        "(401 REAUTHENTICATION_FAILED when wrong, counted toward lockout). Changes that would leave no active "
        "user holding users.manage and roles.manage are 409 LAST_ADMIN. " + services.REASON_RULE,
    )
    def partial_update(self, request, pk=None):
        user = self.get_object()
        data = validated(UserUpdateSerializer, request)
        reason = data.pop("reason", "")
        row_version = data.pop("row_version", None)
        password = data.pop("password", None)
        user = services.update_user(
            actor=request.user, user=user, changes=data, reason=reason, row_version=row_version, password=password
        )
        return Response(UserSerializer(selectors.user_list().get(pk=user.pk)).data)

    @extend_schema(
        parameters=[REASON_QUERY_PARAMETER],
        responses={204: None, **error_responses(401, 403, 404, 409, 422)},
        description="Deactivates the account (soft delete): the row and its audit history stay, sign-in and tokens "
        'stop working. A reason is required (`?reason=` or a JSON body `{"reason"}`); without one: 422 '
        "REASON_REQUIRED. " + services.REASON_RULE,
    )
    def destroy(self, request, pk=None):
        user = self.get_object()
        reason = reason_from(request)
        services.deactivate_user(actor=request.user, user=user, reason=reason)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=UserRoleSerializer,
        responses={200: UserSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Sets the user's role (by name; null removes it). `reason` and your `password` are required "
        "(401 REAUTHENTICATION_FAILED when wrong, counted toward lockout); 409 LAST_ADMIN when no active user "
        "would hold users.manage and roles.manage afterwards. " + services.REASON_RULE,
    )
    @action(detail=True, methods=["put"])
    def role(self, request, pk=None):
        user = self.get_object()
        data = validated(UserRoleSerializer, request)
        user = services.set_user_role(
            actor=request.user, user=user, role=data["role"], reason=data["reason"], password=data["password"]
        )
        return Response(UserSerializer(selectors.user_list().get(pk=user.pk)).data)

    @extend_schema(responses={200: UserPermissionsSerializer, **error_responses(401, 403, 404)})
    @action(detail=True, methods=["get"])
    def permissions(self, request, pk=None):
        user = self.get_object()
        return Response(_permissions_payload(user))

    @extend_schema(
        request=PermissionOverrideSerializer,
        responses={200: UserPermissionsSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Grant or revoke a single codename for this user on top of their role. `reason` is required. "
        + services.REASON_RULE,
    )
    @permissions.mapping.post
    def grant_permission(self, request, pk=None):
        user = self.get_object()
        data = validated(PermissionOverrideSerializer, request)
        services.set_permission_override(actor=request.user, user=user, **data)
        return Response(_permissions_payload(User.objects.get(pk=user.pk)))

    @extend_schema(
        request=None,
        parameters=[REASON_QUERY_PARAMETER],
        responses={200: UserPermissionsSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Removes a grant or revocation, so the role decides again. A reason is required (`?reason=` or "
        "a JSON body). " + services.REASON_RULE,
    )
    @action(detail=True, methods=["delete"], url_path=r"permissions/(?P<codename>[a-z_]+\.[a-z_]+)")
    def remove_permission(self, request, pk=None, codename=None):
        user = self.get_object()
        services.remove_permission_override(actor=request.user, user=user, codename=codename, reason=reason_from(request))
        return Response(_permissions_payload(User.objects.get(pk=user.pk)))

    @extend_schema(
        request=ReasonSerializer,
        responses={200: UserSerializer, **error_responses(401, 403, 404, 422)},
        description="Unlocks an account locked after failed passwords. `reason` is required.",
    )
    @action(detail=True, methods=["post"])
    def unlock(self, request, pk=None):
        user = self.get_object()
        data = validated(ReasonSerializer, request)
        services.unlock_user(user=user, actor=request.user, reason=data["reason"])
        return Response(UserSerializer(selectors.user_list().get(pk=user.pk)).data)

    @extend_schema(
        request=SetPasswordSerializer,
        responses={200: UserSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Sets another user's password (e.g. a forgotten one). Its holder must change it at first use "
        "(until then their other requests answer 403 PASSWORD_CHANGE_REQUIRED) and every token of theirs is revoked. "
        "`reason` and your own `password` are required (401 REAUTHENTICATION_FAILED when wrong); your own password "
        "is changed with POST /api/auth/change-password instead (409 OWN_PASSWORD).",
    )
    @action(detail=True, methods=["post"], url_path="set-password")
    def set_password(self, request, pk=None):
        user = self.get_object()
        data = validated(SetPasswordSerializer, request)
        services.set_password(
            actor=request.user, user=user, new_password=data["new_password"], reason=data["reason"], password=data["password"]
        )
        return Response(UserSerializer(selectors.user_list().get(pk=user.pk)).data)


def _permissions_payload(user: User) -> dict:
    overrides = selectors.permission_overrides_for(user)
    role_perms = sorted(user.role.permissions.values_list("codename", flat=True)) if user.role_id else []
    return {
        "role": user.role.name if user.role_id else None,
        "role_permissions": role_perms,
        "grants": overrides["grants"],
        "revocations": overrides["revocations"],
        "effective": sorted(selectors.effective_permissions_for(user)),
    }


# --- roles and permissions ----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        responses={200: RoleSerializer(many=True), **error_responses(401, 403)}, description="Requires roles.view."
    ),
    retrieve=extend_schema(
        responses={200: RoleDetailSerializer, **error_responses(401, 403, 404)},
        description="The role with its permissions. Requires roles.view.",
    ),
)
@extend_schema(tags=["roles"])
class RoleViewSet(ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    required_permissions = {"*": "roles.view", "set_permissions": "roles.manage"}
    sort_fields = ["name"]
    default_sort = ["name"]

    def get_queryset(self):
        return selectors.role_list().annotate(user_count=Count("users", distinct=True))

    def get_serializer_class(self):
        return RoleSerializer if self.action == "list" else RoleDetailSerializer

    @extend_schema(
        request=RolePermissionsSerializer,
        responses={200: RoleDetailSerializer, **error_responses(401, 403, 404, 409, 422)},
        description="Replaces the role's permission codenames. `reason` and your `password` are required (401 "
        "REAUTHENTICATION_FAILED when wrong, counted toward lockout); 409 LAST_ADMIN when no active user would "
        "hold users.manage and roles.manage afterwards. " + services.REASON_RULE,
    )
    @action(detail=True, methods=["put"], url_path="permissions")
    def set_permissions(self, request, pk=None):
        role = self.get_object()
        data = validated(RolePermissionsSerializer, request)
        services.set_role_permissions(
            actor=request.user, role=role, codenames=data["permissions"], reason=data["reason"], password=data["password"]
        )
        return Response(RoleDetailSerializer(self.get_queryset().get(pk=role.pk)).data)


@extend_schema_view(
    list=extend_schema(
        responses={200: PermissionSerializer(many=True), **error_responses(401, 403)},
        description="Every permission codename with its description. Requires roles.view.",
    )
)
@extend_schema(tags=["roles"])
class PermissionViewSet(ListModelMixin, viewsets.GenericViewSet):
    """The catalogue of permission codenames."""

    queryset = Permission.objects.all()
    serializer_class = PermissionSerializer
    required_permissions = {"*": "roles.view"}
    pagination_class = None
    filterset_fields = ["domain"]


# --- groups -----------------------------------------------------------------------------------------------


@extend_schema(tags=["groups"])
class GroupViewSet(ListModelMixin, viewsets.GenericViewSet):
    serializer_class = GroupSerializer
    sort_fields = ["name", "created_at"]
    default_sort = ["name"]
    required_permissions = {
        "list": None,  # administrators see every group, others the groups they belong to
        "retrieve": None,
        "create": "groups.manage",
        "update": "groups.manage",
        "partial_update": "groups.manage",
        "destroy": "groups.manage",
        "add_member": "groups.manage",
        "remove_member": "groups.manage",
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Group.objects.none()
        return selectors.group_list_for(self.request.user)

    @extend_schema(
        responses={200: GroupSerializer(many=True), **error_responses(401)},
        description="Administrators (groups.view) see every group, others the groups they belong to.",
    )
    def list(self, request):
        return super().list(request)

    @extend_schema(responses={200: GroupSerializer, **error_responses(401, 404)})
    def retrieve(self, request, pk=None):
        return Response(GroupSerializer(self.get_object()).data)

    @extend_schema(request=GroupWriteSerializer, responses={201: GroupSerializer, **error_responses(401, 403, 409, 422)})
    def create(self, request):
        data = validated(GroupWriteSerializer, request)
        group = services.create_group(actor=request.user, **data)
        return Response(GroupSerializer(self.get_queryset().get(pk=group.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=GroupUpdateSerializer, responses={200: GroupSerializer, **error_responses(401, 403, 404, 409, 422)})
    def update(self, request, pk=None):
        group = self.get_object()
        data = validated(GroupUpdateSerializer, request)
        reason = data.pop("reason", "")
        services.update_group(actor=request.user, group=group, changes=data, reason=reason)
        return Response(GroupSerializer(self.get_queryset().get(pk=group.pk)).data)

    @extend_schema(request=GroupUpdateSerializer, responses={200: GroupSerializer, **error_responses(401, 403, 404, 409, 422)})
    def partial_update(self, request, pk=None):
        return self.update(request, pk)

    @extend_schema(
        request=None,
        responses={204: None, **error_responses(401, 403, 404)},
        parameters=[OpenApiParameter("reason", str, required=False, description="Why (optional; audit trail)")],
        description="Deletes the group; its audit history stays. A reason is optional (`?reason=` or a JSON body).",
    )
    def destroy(self, request, pk=None):
        services.delete_group(actor=request.user, group=self.get_object(), reason=reason_from(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=AddMemberSerializer, responses={200: GroupSerializer, **error_responses(401, 403, 404, 409, 422)})
    @action(detail=True, methods=["post"], url_path="add-member")
    def add_member(self, request, pk=None):
        group = self.get_object()
        data = validated(AddMemberSerializer, request)
        services.add_group_member(actor=request.user, group=group, user_id=data["user_id"])
        return Response(GroupSerializer(self.get_queryset().get(pk=group.pk)).data)

    @extend_schema(
        request=None,
        responses={200: GroupSerializer, **error_responses(401, 403, 404)},
        parameters=[OpenApiParameter("user_id", int, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["delete"], url_path=r"remove-member/(?P<user_id>[0-9]+)")
    def remove_member(self, request, pk=None, user_id=None):
        group = self.get_object()
        services.remove_group_member(actor=request.user, group=group, user_id=int(user_id))
        return Response(GroupSerializer(self.get_queryset().get(pk=group.pk)).data)
