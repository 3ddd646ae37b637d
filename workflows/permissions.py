"""Permission codenames of the workflow engine (collected by accounts.catalog)."""

PERMISSIONS: dict[str, str] = {
    "workflow_templates.view": "View workflow templates",
    "workflow_templates.manage": "Create and version workflow templates",
}
