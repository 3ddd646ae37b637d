"""Reads about users and access that the API, pages and admin share."""

from django.db.models import Prefetch, QuerySet

from .models import Group, Permission, Role, User, UserPermissionOverride


def effective_permissions_for(user: User) -> frozenset[str]:
    if not user.pk or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(Permission.objects.values_list("codename", flat=True))
    role_perms = set()
    if user.role_id:
        role_perms = set(Permission.objects.filter(roles__id=user.role_id).values_list("codename", flat=True))
    grants, revokes = set(), set()
    for codename, effect in UserPermissionOverride.objects.filter(user=user).values_list("permission__codename", "effect"):
        (grants if effect == UserPermissionOverride.GRANT else revokes).add(codename)
    return frozenset((role_perms | grants) - revokes)


def user_list() -> QuerySet[User]:
    return User.objects.select_related("role").prefetch_related(Prefetch("groups", queryset=Group.objects.only("id", "name")))


def role_list() -> QuerySet[Role]:
    return Role.objects.prefetch_related(Prefetch("permissions", queryset=Permission.objects.order_by("codename")))


def group_list_for(user: User) -> QuerySet[Group]:
    qs = Group.objects.prefetch_related(Prefetch("members", queryset=User.objects.select_related("role")))
    if user.has_qms_permission("groups.view"):
        return qs
    return qs.filter(members=user)


def permission_overrides_for(user: User) -> dict[str, list[str]]:
    out = {"grants": [], "revocations": []}
    for codename, effect in (
        UserPermissionOverride.objects.filter(user=user)
        .order_by("permission__codename")
        .values_list("permission__codename", "effect")
    ):
        out["grants" if effect == UserPermissionOverride.GRANT else "revocations"].append(codename)
    return out
