"""What an electronic signature on a role or a group covers (periodic access and membership reviews).

A reviewer signs a role's permission set or a group's membership; if either changes afterwards,
the signature's verification reports that the content no longer matches.
"""

from .models import Group, Role


def role_signature_content(role: Role) -> dict:
    return {
        "role_id": role.pk,
        "name": role.name,
        "permissions": sorted(role.permissions.values_list("codename", flat=True)),
    }


def group_signature_content(group: Group) -> dict:
    return {
        "group_id": group.pk,
        "name": group.name,
        "description": group.description,
        "members": sorted(group.members.values_list("username", flat=True)),
    }


def register() -> None:
    from audit.signatures import register_signable

    register_signable("role", Role, content=role_signature_content, view_permission="roles.view", label="Role")
    register_signable("group", Group, content=group_signature_content, view_permission="groups.view", label="Group")
