"""Demo users (one per role) and demo groups for `manage.py seed_demo`; created once, never changed
by a re-run."""

from django.core.management.color import color_style
from django.db import transaction

from audit import services as audit

from .models import Group, Role, User

# The password is deliberately simple so that the API examples work verbatim on a demo install.
DEMO_PASSWORD = "password"

DEMO_USERS = [
    # (username, full name, role, department, is_staff)
    ("admin@example.com", "Alex Admin", "Admin", "IT", True),
    ("qa.manager@example.com", "Morgan Manager", "QA Manager", "Quality Assurance", False),
    ("qa@example.com", "Quinn Quality", "QA", "Quality Assurance", False),
    ("user@example.com", "Uma User", "User", "Production", False),
    ("auditor@example.com", "Avery Auditor", "Auditor", "Internal Audit", True),  # admin site, read-only
]

DEMO_GROUPS = [
    # (name, description, department whose demo users join)
    ("Quality Assurance", "QA department", "Quality Assurance"),
    ("Production", "Manufacturing staff", "Production"),
]


def seed(stdout) -> None:
    """Creates the missing demo users and groups and prints the demo logins."""
    with transaction.atomic():
        created = _seed_users()
        _seed_groups()
    stdout.write(color_style().SUCCESS(f"Demo data ready ({created} new users)."))
    stdout.write("")
    stdout.write(f"  Demo logins (password for all: {DEMO_PASSWORD})")
    stdout.write(f"  {'username':<26} role")
    for username, _, role_name, _, _ in DEMO_USERS:
        stdout.write(f"  {username:<26} {role_name}")
    stdout.write("")


def _seed_users() -> int:
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
            # Set directly: the demo password is below the password policy on purpose.
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            created += 1
            audit.record(
                action="create",
                resource_type="user",
                resource_id=user.pk,
                actor=None,
                actor_username="seed_demo",
                summary=f"Demo user {username} ({role_name}) created by seed_demo",
                new_values={
                    "username": username,
                    "full_name": full_name,
                    "role": role_name,
                    "department": department,
                    "is_staff": is_staff,
                },
            )
    return created


def _seed_groups() -> None:
    demo_users = User.objects.filter(username__in=[u[0] for u in DEMO_USERS])
    for name, description, department in DEMO_GROUPS:
        group, group_created = Group.objects.get_or_create(name=name, defaults={"description": description})
        members = list(demo_users.filter(department=department).exclude(groups=group))
        group.members.add(*members)
        if group_created or members:
            audit.record(
                action="create" if group_created else "update",
                resource_type="group",
                resource_id=group.pk,
                actor=None,
                actor_username="seed_demo",
                summary=f"Demo group {name} {'created' if group_created else 'updated'} by seed_demo",
                new_values={"name": name, "members_added": sorted(u.username for u in members)},
            )
