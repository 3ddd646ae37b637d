"""Permission codenames of the validation package (collected by accounts.catalog)."""

PERMISSIONS: dict[str, str] = {
    "validation.report": "View the validation report (requirements traced to tests) and the installation check",
}
ROLE_DEFAULTS = {"Auditor": ["validation.report"]}
