from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications and webhooks"

    def ready(self):
        from qms.events import register_handler

        from . import handlers, webhooks

        handlers.register()
        # Every domain event may be subscribed to by a webhook; the handler finds the matching subscriptions.
        register_handler("*", webhooks.fan_out, name="webhooks.fan_out")
