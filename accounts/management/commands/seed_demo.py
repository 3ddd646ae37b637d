"""Loads demo data: one user per role (idempotent). Refuses to run when DEBUG is off."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Group, Role, User

# The password is deliberately simple so that the API examples work verbatim on a demo install.
DEMO_PASSWORD = "password"

DEMO_USERS = [
    # (username, full name, role, department, is_staff)
    ("admin@example.com", "Alex Admin", "Admin", "IT", True),
    ("qa.manager@example.com", "Morgan Manager", "QA Manager", "Quality Assurance", False),
    ("qa@example.com", "Quinn Quality", "QA", "Quality Assurance", False),
    ("user@example.com", "Uma User", "User", "Production", False),
    ("auditor@example.com", "Avery Auditor", "Auditor", "Internal Audit", False),
]


class Command(BaseCommand):
    help = "Create demo users (one per role) and demo groups. Development only: requires DEBUG=true."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Refusing to create demo users: DEBUG is off. Demo accounts have a well-known password.")
        with transaction.atomic():
            created = 0
            for username, full_name, role_name, department, is_staff in DEMO_USERS:
                role = Role.objects.get(name=role_name)
                user, was_created = User.objects.get_or_create(
                    username=username,
                    defaults={"email": username, "full_name": full_name, "role": role, "department": department, "is_staff": is_staff},
                )
                if was_created:
                    user.set_password(DEMO_PASSWORD)
                    user.save(update_fields=["password"])
                    created += 1
            group, _ = Group.objects.get_or_create(name="Quality Assurance", defaults={"description": "QA department"})
            group.members.add(*User.objects.filter(department="Quality Assurance"))
            production, _ = Group.objects.get_or_create(name="Production", defaults={"description": "Manufacturing staff"})
            production.members.add(*User.objects.filter(department="Production"))
        if options["quiet"]:
            return
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new users)."))
        self.stdout.write("")
        self.stdout.write("  Demo logins (password for all: %s)" % DEMO_PASSWORD)
        self.stdout.write("  %-26s %s" % ("username", "role"))
        for username, _, role_name, _, _ in DEMO_USERS:
            self.stdout.write("  %-26s %s" % (username, role_name))
        self.stdout.write("")
        self.stdout.write("  Pages: http://localhost:8000/   API docs: http://localhost:8000/docs   Admin: http://localhost:8000/admin/")
