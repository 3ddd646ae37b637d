"""Reads about users and access that the API, pages and admin share."""

import datetime
import functools

from django.conf import settings
from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from .models import Group, Permission, Role, User, UserPermissionOverride


def effective_permissions_for(user: User) -> frozenset[str]:
    """Role ∪ grants − revocations (every codename for a superuser), in one query."""
    if not user.pk or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(Permission.objects.values_list("codename", flat=True))
    grant, revoke = _EFFECTS
    with connection.cursor() as cursor:
        cursor.execute(_codenames_sql("%s", "%s"), [user.role_id, user.pk, grant, user.pk, revoke])
        return frozenset(codename for (codename,) in cursor.fetchall())


_EFFECTS = (UserPermissionOverride.GRANT, UserPermissionOverride.REVOKE)
# How the database joins the codenames of a user into one text in the user's own query.
_AGGREGATES = {"postgresql": "STRING_AGG({}, ',')", "sqlite": "GROUP_CONCAT({}, ',')"}


def user_with_permissions(pk) -> User | None:
    """The user `pk` with its effective permissions read in the same query (an API request needs
    both: authentication, then its permission checks), or None."""
    aggregate = _AGGREGATES.get(connection.vendor)
    if aggregate is None:
        return User.objects.filter(pk=pk).first()
    found = next(iter(User.objects.raw(_user_with_codenames_sql(aggregate), [*_EFFECTS, pk])), None)
    if found is not None and found.is_active and not found.is_superuser:
        found._effective_permissions = frozenset(filter(None, (found.effective_codenames or "").split(",")))
    return found


@functools.cache
def _user_with_codenames_sql(aggregate: str) -> str:
    q = connection.ops.quote_name
    table = q(User._meta.db_table)
    pk = f"{table}.{q(User._meta.pk.column)}"
    codenames = _codenames_sql(f"{table}.{q(User._meta.get_field('role').column)}", pk)
    return (
        f"SELECT {table}.*, (SELECT {aggregate.format('codes.codename')} FROM ({codenames}) codes) AS effective_codenames "
        f"FROM {table} WHERE {pk} = %s"
    )


@functools.cache
def _codenames_sql(role: str, user: str) -> str:
    """SELECT codename FROM permissions WHERE (in the role OR granted) AND NOT revoked; `role` and
    `user` are the SQL of the role and user ids (`%s` or a column), each override's effect a `%s`."""
    q = connection.ops.quote_name
    permission = Permission._meta
    through = Role.permissions.through._meta
    override = UserPermissionOverride._meta

    def column(meta, name):
        return q(meta.get_field(name).column)

    role_permissions = (
        f"SELECT {column(through, 'permission')} FROM {q(through.db_table)} WHERE {column(through, 'role')} = {role}"
    )
    overrides = (
        f"SELECT {column(override, 'permission')} FROM {q(override.db_table)} "
        f"WHERE {column(override, 'user')} = {user} AND {column(override, 'effect')} = %s"
    )
    pk = column(permission, "id")
    return (
        f"SELECT {column(permission, 'codename')} FROM {q(permission.db_table)} "
        f"WHERE ({pk} IN ({role_permissions}) OR {pk} IN ({overrides})) AND {pk} NOT IN ({overrides})"
    )


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
