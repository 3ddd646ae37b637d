"""GET /api/audit/verify is for administrators and auditors: QA Manager no longer holds audit.verify by default."""

from django.db import migrations


def remove_from_qa_manager(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    Permission = apps.get_model("accounts", "Permission")
    role = Role.objects.filter(name="QA Manager").first()
    permission = Permission.objects.filter(codename="audit.verify").first()
    if role is not None and permission is not None:
        role.permissions.remove(permission)


def restore_to_qa_manager(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    Permission = apps.get_model("accounts", "Permission")
    role = Role.objects.filter(name="QA Manager").first()
    permission = Permission.objects.filter(codename="audit.verify").first()
    if role is not None and permission is not None:
        role.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_triggers"),
        ("accounts", "0002_seed_roles_and_permissions"),
    ]

    operations = [migrations.RunPython(remove_from_qa_manager, restore_to_qa_manager)]
