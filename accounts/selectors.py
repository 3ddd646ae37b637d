"""Reads about users and access that the API, pages and admin share."""

import datetime

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

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


def last_use_expression():
    """The later of the last sign-in, the creation and the last reactivation of an account."""
    joined = "date_joined"
    return Greatest(Coalesce("last_login", joined), Coalesce("reactivated_at", joined), joined)


def inactive_accounts(*, now: datetime.datetime | None = None) -> QuerySet[User]:
    """Active accounts unused for ACCOUNT_INACTIVITY_DAYS, annotated with `last_use` (none when the
    rule is off, ACCOUNT_INACTIVITY_DAYS=0)."""
    days = settings.ACCOUNT_INACTIVITY_DAYS
    if days <= 0:
        return User.objects.none()
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    return User.objects.filter(is_active=True).annotate(last_use=last_use_expression()).filter(last_use__lt=cutoff).order_by("pk")
