"""The permission codenames of the product and what each role holds by default.

The data migration seeds these; later migrations that add codenames call `sync_catalog`.
"""

PERMISSIONS: dict[str, str] = {
    # Documents and document control
    "documents.view": "View controlled documents, their versions and history",
    "documents.create": "Upload new documents and new versions",
    "documents.edit": "Edit document metadata",
    "documents.transition": "Move documents through their workflow (submit, reject, make effective)",
    "documents.approve": "Approve or review documents with an electronic signature",
    "documents.obsolete": "Make documents obsolete",
    "documents.configure_approval": "Configure per-document approvers and approval rules",
    "documents.download": "Download document files",
    "document_types.view": "View document types",
    "document_types.manage": "Create and change document types",
    "workflow_templates.view": "View workflow templates",
    "workflow_templates.manage": "Create and version workflow templates",
    "templates.view": "View document templates",
    "templates.manage": "Create and change document templates",
    "templates.use": "Create documents from templates",
    # Training
    "training.view": "View training programs and assignments",
    "training.manage": "Create and change training programs",
    "training.assign": "Assign training to users and groups",
    "training.complete": "Complete own training assignments",
    # Deviations
    "deviations.view": "View deviations",
    "deviations.create": "Report deviations",
    "deviations.edit": "Investigate and update deviations",
    "deviations.approve": "Approve and close deviations",
    "deviations.manage_forms": "Configure deviation report forms, categories, areas and due-date rules",
    # CAPA
    "capa.view": "View CAPAs",
    "capa.create": "Create CAPAs",
    "capa.edit": "Update CAPAs and their actions",
    "capa.approve_draft": "Approve draft CAPAs",
    "capa.effectiveness": "Record CAPA effectiveness reviews",
    # Audit trail and signatures
    "audit.view": "View the audit trail",
    "audit.export": "Export the audit trail (CSV, PDF)",
    "audit.verify": "Verify the integrity of the audit trail hash chain",
    "signatures.view": "View electronic signatures and their verification",
    "signatures.sign": "Apply electronic signatures",
    # Search, AI, dashboard
    "search.use": "Search documents and records",
    "ai.use": "Use the AI assistant",
    "dashboard.view": "View dashboards and KPIs",
    # Administration
    "users.view": "View user accounts",
    "users.manage": "Create, change and deactivate user accounts",
    "roles.view": "View roles and their permissions",
    "roles.manage": "Change role permissions, user roles, grants and revocations",
    "groups.view": "View all groups",
    "groups.manage": "Create, change and delete groups and their members",
    "notifications.view": "Receive and read notifications",
    "notifications.manage": "Configure notification rules",
    "webhooks.manage": "Configure webhooks",
    "system.admin": "Use the administration site",
}

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
            "training.assign",
            "training.complete",
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
            "training.view",
            "training.complete",
            # Reporters see the deviations they reported; deviations.view (all of them) is QA's.
            "deviations.create",
            "capa.view",
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
