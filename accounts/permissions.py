"""Permission codenames of user, role and group administration (collected by accounts.catalog)."""

PERMISSIONS: dict[str, str] = {
    "users.view": "View user accounts",
    "users.manage": "Create, change and deactivate user accounts",
    "roles.view": "View roles and their permissions",
    "roles.manage": "Change role permissions, user roles, grants and revocations",
    "groups.view": "View all groups",
    "groups.manage": "Create, change and delete groups and their members",
    "system.admin": "Use the administration site",
}
