"""Permission codenames of notifications and webhooks (collected by accounts.catalog).

Every role holds `notifications.view` (its own notifications); only the Admin holds
`webhooks.manage` (outbound integrations carry quality data out of the system).
"""

PERMISSIONS: dict[str, str] = {
    "notifications.view": "Receive and read notifications",
    "notifications.manage": "Configure notification rules",
    "webhooks.manage": "Configure webhooks",
}

ROLE_DEFAULTS: dict[str, list[str]] = {}
