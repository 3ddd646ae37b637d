from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications and webhooks"

    def ready(self):
        from . import handlers, webhooks

        handlers.register()
        webhooks.register()
