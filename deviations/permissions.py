"""Permission codenames of deviations (collected by accounts.catalog) and what the default roles hold.

Reporters (the User role, `deviations.create`) see the deviations they reported; holders of
`deviations.view` see all of them (QA, QA Manager, Auditor and Admin hold it with every other
`.view` codename). QA investigates (`deviations.edit`); the QA Manager closes, cancels and reopens
with an electronic signature (`deviations.approve`) and keeps the report forms, categories, areas
and due-date rules (`deviations.manage_forms`): the catalogue gives QA Manager and Admin every
codename. The services check these themselves (`qms.permissions.require`), so the API, the pages,
the admin and the commands refuse alike.
"""

VIEW = "deviations.view"
CREATE = "deviations.create"
EDIT = "deviations.edit"
APPROVE = "deviations.approve"
MANAGE_FORMS = "deviations.manage_forms"
# Who may open deviation pages and read the report forms: all of them, or their own reports.
READ = (VIEW, CREATE)

PERMISSIONS: dict[str, str] = {
    VIEW: "View deviations",
    CREATE: "Report deviations",
    EDIT: "Investigate and update deviations",
    APPROVE: "Approve and close deviations",
    MANAGE_FORMS: "Configure deviation report forms, categories, areas and due-date rules",
}

ROLE_DEFAULTS: dict[str, list[str]] = {
    "QA": [CREATE, EDIT],
    # Reporters see the deviations they reported; deviations.view (all of them) is QA's.
    "User": [CREATE],
}
