"""Permission codenames of CAPA (collected by accounts.catalog) and what the default roles hold.

QA Manager and Admin hold every CAPA codename; QA creates and works on CAPAs, plans and records
effectiveness reviews (`capa.view` with every other `.view` codename); the Auditor only reads.
Employees (role User) hold `capa.work`: they see the CAPAs they own or hold an action in, and
complete their own actions; `capa.view` (every CAPA) is not theirs.
"""

PERMISSIONS: dict[str, str] = {
    "capa.view": "View every CAPA",
    "capa.create": "Create CAPAs (also raised from a deviation)",
    "capa.edit": "Update CAPAs, their action plans, deviation links and effectiveness review plans",
    "capa.approve": "Close CAPAs with an electronic signature",
    "capa.approve_draft": "Approve draft CAPAs (CAPA plan approval, with an electronic signature)",
    "capa.effectiveness": "Record the result of CAPA effectiveness reviews (with an electronic signature)",
    "capa.manage": "Cancel CAPAs (with a reason and an electronic signature)",
    "capa.work": "See the CAPAs one owns or holds an action in, and complete one's own actions",
}

ROLE_DEFAULTS: dict[str, list[str]] = {
    "QA": ["capa.work"],
    "User": ["capa.work"],
}
