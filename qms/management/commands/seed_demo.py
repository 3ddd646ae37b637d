"""manage.py seed_demo: demo data for a development install, one module after the other.

Each installed app may have a `demo.py` with `seed(stdout)`: it creates its demo records when they
do not exist yet (a re-run changes nothing) and writes what a developer needs to know to `stdout`.
The apps are seeded in INSTALLED_APPS order, so a module's demo data can use that of the modules it
depends on (documents are authored by the demo users of accounts). Refused when DEBUG is off: the
demo accounts have a well-known password.
"""

import importlib

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class _Discard:
    def write(self, *args, **kwargs) -> None:
        pass


def demo_modules() -> list:
    """The `demo` module of every installed app that has one, in INSTALLED_APPS order."""
    modules = []
    for app_config in apps.get_app_configs():
        name = f"{app_config.name}.demo"
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return modules


class Command(BaseCommand):
    help = "Create demo users (one per role), demo groups and demo documents. Development only: requires DEBUG=true."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")
        parser.add_argument(
            "--base-url", default="http://localhost:8000", help="Where the server will listen (for the printout)."
        )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Refusing to create demo users: DEBUG is off. Demo accounts have a well-known password.")
        stdout = _Discard() if options["quiet"] else self.stdout
        for module in demo_modules():
            module.seed(stdout)
        base = options["base_url"].rstrip("/")
        stdout.write(f"  Pages: {base}/   API docs: {base}/docs   Admin: {base}/admin/")
