"""`manage.py migrate`, as the tables' owner when DATABASE_OWNER_URL is set.

In production the application connects as a role that owns nothing (DATABASE_URL; see `manage.py
setup_database_roles`). Migrations create and alter tables, so this command opens the default
connection with the owner's credentials (DATABASE_OWNER_URL) for its whole run: schema changes and
data migrations alike run as the owner, in one connection.
"""

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import DEFAULT_DB_ALIAS, connections

CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " Runs as the owner of the tables when DATABASE_OWNER_URL is set."

    def handle(self, *args, **options):
        owner = getattr(settings, "DATABASE_OWNER", None)
        if not owner or options["database"] != DEFAULT_DB_ALIAS:
            return super().handle(*args, **options)
        configured = settings.DATABASES[DEFAULT_DB_ALIAS]
        if (owner["ENGINE"], owner["NAME"], owner.get("HOST"), owner.get("PORT")) != (
            configured["ENGINE"],
            configured["NAME"],
            configured.get("HOST"),
            configured.get("PORT"),
        ):
            raise CommandError("DATABASE_OWNER_URL must name the same database and server as DATABASE_URL.")
        connection = connections[DEFAULT_DB_ALIAS]
        application = {key: connection.settings_dict.get(key) for key in CREDENTIALS}
        connection.close()
        connection.settings_dict.update({key: owner.get(key, "") for key in CREDENTIALS})
        if options["verbosity"] >= 1:
            self.stdout.write(f"Migrating as the owner {owner.get('USER')!r} (DATABASE_OWNER_URL).")
        try:
            return super().handle(*args, **options)
        finally:
            connection.close()
            connection.settings_dict.update(application)
