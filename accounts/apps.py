from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and access control"

    def ready(self):
        from . import handlers, schema, signables  # noqa: F401  (schema registers the OpenAPI auth extension)

        signables.register()
