"""The actions the notifications app writes to the audit trail: webhook configuration (an outbound
flow of quality data is a configuration change an inspector may ask about) and redelivery."""

from audit.actions import AuditAction


class WebhookAction(AuditAction):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    ROTATE_SECRET = "rotate_webhook_secret", "Webhook secret rotated"
    REDELIVER = "redeliver_webhook", "Webhook delivery redelivered"
