"""The one catalogue of permission codenames and what each role holds by default.

Each app declares its codenames in its own `permissions.py` (`PERMISSIONS = {"app.codename":
"description"}`, optionally `ROLE_DEFAULTS = {"QA": ["app.codename", ...]}` for the roles that hold
them on a fresh install); this module collects them. The data migration seeds them; an app's
later data migration that adds codenames calls `sync_catalog`.
"""

import importlib

from django.conf import settings

# Codenames of the modules that are planned but not installed yet; each moves into its app's
# permissions.py when the app lands (a codename declared by an app wins over this list).
PLANNED_PERMISSIONS: dict[str, str] = {
    # Deviations
    "deviations.view": "View deviations",
    "deviations.create": "Report deviations",
    "deviations.edit": "Investigate and update deviations",
    "deviations.approve": "Approve and close deviations",
    "deviations.manage_forms": "Configure deviation report forms, categories, areas and due-date rules",
    # Dashboard
    "dashboard.view": "View dashboards and KPIs",
    # Notifications and webhooks
    "notifications.view": "Receive and read notifications",
    "notifications.manage": "Configure notification rules",
    "webhooks.manage": "Configure webhooks",
}


def app_permission_modules() -> list:
    """The `permissions` module of every installed app that declares a PERMISSIONS dict."""
    modules = []
    for app in settings.INSTALLED_APPS:
        try:
            module = importlib.import_module(f"{app}.permissions")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.permissions":
                raise
            continue
        if isinstance(getattr(module, "PERMISSIONS", None), dict):
            modules.append(module)
    return modules


def collect_permissions() -> dict[str, str]:
    """Every codename with its description: the installed apps' declarations, then the planned ones."""
    collected: dict[str, str] = {}
    for module in app_permission_modules():
        collected.update(module.PERMISSIONS)
    for codename, description in PLANNED_PERMISSIONS.items():
        collected.setdefault(codename, description)
    return collected


PERMISSIONS: dict[str, str] = collect_permissions()

_VIEW = [c for c in PERMISSIONS if c.endswith(".view")]

ROLES: dict[str, tuple[str, list[str]]] = {
    "Admin": ("System administrator: every permission", list(PERMISSIONS)),
    "QA Manager": (
        "Quality assurance manager: approves documents, CAPAs and deviations, oversees the audit trail",
        [
            c
            for c in PERMISSIONS
            # Hash-chain verification is for administrators and auditors (issue 3: GET /api/audit/verify).
            if c not in ("users.manage", "roles.manage", "system.admin", "webhooks.manage", "audit.verify")
        ],
    ),
    "QA": (
        "Quality assurance staff: authors, reviews and approves quality records",
        _VIEW
        + [
            "documents.create",
            "documents.edit",
            "documents.transition",
            "documents.approve",
            "documents.download",
            "templates.use",
            "deviations.create",
            "deviations.edit",
            "capa.create",
            "capa.edit",
            "capa.effectiveness",
            "signatures.sign",
            "search.use",
            "ai.use",
        ],
    ),
    "User": (
        "Employee: reads effective documents, completes training, reports deviations",
        [
            "documents.view",
            "documents.download",
            "templates.view",
            # Reporters see the deviations they reported; deviations.view (all of them) is QA's.
            "deviations.create",
            # CAPA owners and action owners see their CAPAs (capa.work, capa/permissions.py).
            "signatures.view",
            "signatures.sign",
            "search.use",
            "ai.use",
            "dashboard.view",
            "notifications.view",
            "document_types.view",
        ],
    ),
    "Auditor": (
        "Inspector or internal auditor: read-only across the system, including the audit trail",
        _VIEW + ["audit.export", "audit.verify", "documents.download", "search.use"],
    ),
}
# Keep QA staff off the audit trail (inspection evidence is for managers and auditors).
_QA_HIDDEN = ("audit.view", "users.view", "roles.view", "groups.view")
ROLES["QA"] = (ROLES["QA"][0], [c for c in ROLES["QA"][1] if c not in _QA_HIDDEN] + ["users.view"])
# What the apps' permissions.py add to the default roles (ROLE_DEFAULTS).
for _module in app_permission_modules():
    for _role, _codenames in getattr(_module, "ROLE_DEFAULTS", {}).items():
        if _role in ROLES:
            _held = ROLES[_role][1]
            ROLES[_role] = (ROLES[_role][0], _held + [c for c in _codenames if c not in _held])


def sync_catalog(Permission, Role) -> None:
    """Creates missing codenames and roles. Usable from data migrations (historical models).

    A codename created now is added to the default roles that list it; permissions an
    administrator removed from an existing role stay removed.
    """
    perms, new = {}, set()
    for codename, description in PERMISSIONS.items():
        perm, created = Permission.objects.update_or_create(
            codename=codename, defaults={"description": description, "domain": codename.split(".")[0]}
        )
        perms[codename] = perm
        if created:
            new.add(codename)
    for name, (description, codenames) in ROLES.items():
        role, created = Role.objects.get_or_create(name=name, defaults={"description": description})
        wanted = codenames if created else [c for c in codenames if c in new]
        role.permissions.add(*[perms[c] for c in wanted])
