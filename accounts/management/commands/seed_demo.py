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
        parser.add_argument(
            "--base-url", default="http://localhost:8000", help="Where the server will listen (for the printout)."
        )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Refusing to create demo users: DEBUG is off. Demo accounts have a well-known password.")
        with transaction.atomic():
            created = 0
            for username, full_name, role_name, department, is_staff in DEMO_USERS:
                role = Role.objects.get(name=role_name)
                user, was_created = User.objects.get_or_create(
                    username=username,
                    defaults={
                        "email": username,
                        "full_name": full_name,
                        "role": role,
                        "department": department,
                        "is_staff": is_staff,
                    },
                )
                if was_created:
                    user.set_password(DEMO_PASSWORD)
                    user.save(update_fields=["password"])
                    created += 1
            group, _ = Group.objects.get_or_create(name="Quality Assurance", defaults={"description": "QA department"})
            demo_users = User.objects.filter(username__in=[u[0] for u in DEMO_USERS])
            group.members.add(*demo_users.filter(department="Quality Assurance"))
            production, _ = Group.objects.get_or_create(name="Production", defaults={"description": "Manufacturing staff"})
            production.members.add(*demo_users.filter(department="Production"))
        if options["quiet"]:
            return
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new users)."))
        base = options["base_url"].rstrip("/")
        self.stdout.write("")
        self.stdout.write(f"  Demo logins (password for all: {DEMO_PASSWORD})")
        self.stdout.write(f"  {'username':<26} role")
        for username, _, role_name, _, _ in DEMO_USERS:
            self.stdout.write(f"  {username:<26} {role_name}")
        self.stdout.write("")
        self.stdout.write(f"  Pages: {base}/   API docs: {base}/docs   Admin: {base}/admin/")
