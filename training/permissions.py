"""Permission codenames of training (collected by accounts.catalog) and what the default roles hold.

QA Manager and Admin hold every training codename (the catalogue gives them all but a few
administrative ones); Auditor and QA hold `training.view` with every other `.view` codename.
"""

PERMISSIONS: dict[str, str] = {
    "training.view": "View training programs and assignments",
    "training.manage": "Create and change training programs",
    "training.assign": "Assign training to users and groups",
    "training.complete": "Complete own training assignments",
}

ROLE_DEFAULTS: dict[str, list[str]] = {
    "QA": ["training.assign", "training.complete"],
    "User": ["training.view", "training.complete"],
}
