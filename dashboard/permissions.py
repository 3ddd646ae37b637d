"""Permission codenames of the dashboard (collected by accounts.catalog).

Every default role holds `dashboard.view` (User explicitly in accounts.catalog; QA, Auditor with
every `.view` codename; QA Manager and Admin with everything). The dashboard only reads: what it
shows is scoped by each module's own visibility rules, so an Auditor sees it read-only like the rest.
"""

PERMISSIONS: dict[str, str] = {
    "dashboard.view": "View dashboards and KPIs",
}
