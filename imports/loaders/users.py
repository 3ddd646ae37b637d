"""import_users: one row per account, idempotent by username.

Columns: username (required), email, full_name, role, groups (separated by `;`), active (yes/no),
department, office_location. Passwords are never imported: a new account gets an unusable
password (nobody can sign in to it) and must change the first password an administrator sets
(accounts: password_change_required, 21 CFR 11.300). Inactive accounts join no groups. An existing account gets the profile fields
that differ and its missing group memberships; its role is not changed by an import (a change of
access needs the administrator's re-authentication in the user admin) and a difference is reported.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from accounts import services as accounts
from accounts.models import Group, User

from ..reading import CellError, Row, parse_bool, require_cell, split_list
from ..runner import CREATED, SKIPPED, UPDATED, Loader, RowFailed

PROFILE = ("email", "full_name", "department", "office_location")


class UserLoader(Loader):
    kind = "users"
    required_columns = ("username",)

    def load(self, row: Row) -> str:
        username = require_cell(row, "username")
        for validate in User._meta.get_field("username").validators:
            try:
                validate(username)
            except ValidationError as exc:
                raise CellError("username", f"{username!r}: {' '.join(exc.messages)}") from exc
        active = parse_bool(row.get("active"), "active", default=True)
        group_names = split_list(row.get("groups"))
        # An inactive account (a leaver on the HR list) is not made a member of groups.
        groups = self._groups(group_names) if active else []
        values = {name: row.get(name) for name in PROFILE if name in row.values}
        role = row.get("role") or None
        user = User.objects.filter(username__iexact=username).select_related("role").first()
        if user is None:
            user = accounts.create_user(
                actor=self.actor,
                username=username,
                email=values.get("email", ""),
                password=None,
                full_name=values.get("full_name", ""),
                role=role,
                department=values.get("department", ""),
                office_location=values.get("office_location", ""),
                is_active=active,
                via="import",
                password_change_required=True,
            )
            outcome = CREATED
        else:
            outcome = self._update(user, values, role, active, row)
        for group in groups:
            if not group.members.filter(pk=user.pk).exists():
                accounts.add_group_member(actor=self.actor, group=group, user_id=user.pk)
                outcome = UPDATED if outcome == SKIPPED else outcome
        return outcome

    def _update(self, user: User, values: dict, role: str | None, active: bool, row: Row) -> str:
        current_role = user.role.name if user.role_id else None
        if role and (current_role or "").lower() != role.lower():
            raise RowFailed(
                [
                    (
                        "role",
                        f"{user.username} exists with role {current_role or 'none'}; "
                        "an import does not change roles (use the user admin).",
                    )
                ]
            )
        changes = {
            name: value
            for name, value in values.items()
            if (getattr(user, name) or "") != (value or "") and not (name == "email" and not value)
        }
        if user.is_active != active:
            changes["is_active"] = active
        if not changes:
            return SKIPPED
        accounts.update_user(
            actor=self.actor,
            user=user,
            changes=changes,
            reason=f"Updated from the legacy user list ({self.options.get('file')}, row {row.number})",
        )
        return UPDATED

    def _groups(self, names: list[str]) -> list[Group]:
        groups, missing = [], []
        for name in names:
            group = Group.objects.filter(name__iexact=name).first()
            if group is None and self.options.get("create_groups"):
                group = accounts.create_group(actor=self.actor, name=name, description="Created by the user import")
            if group is None:
                missing.append(name)
            else:
                groups.append(group)
        if missing:
            raise CellError("groups", f"Unknown groups: {', '.join(missing)} (give --create-groups to create them).")
        return groups
