"""What CAPAs need on a fresh install: the default "CAPA handling" workflow, the CAPA codenames
(capa.approve, capa.manage, capa.work join those planned before) granted to the default roles, and
employees (role User) seeing only the CAPAs they own or act on (capa.work) instead of all of them
(capa.view is for QA, QA Managers, auditors and administrators)."""

from django.db import migrations


def seed(apps, schema_editor):
    from accounts.catalog import sync_catalog
    from capa.defaults import CAPA_HANDLING
    from workflows.defaults import write_definition

    Permission = apps.get_model("accounts", "Permission")
    Role = apps.get_model("accounts", "Role")
    sync_catalog(Permission, Role)
    Template = apps.get_model("workflows", "WorkflowTemplate")
    if not Template.objects.filter(name=CAPA_HANDLING["name"]).exists():
        write_definition(
            CAPA_HANDLING,
            Template=Template,
            State=apps.get_model("workflows", "WorkflowState"),
            Transition=apps.get_model("workflows", "WorkflowTransition"),
            Rule=apps.get_model("workflows", "ApprovalRule"),
            Role=Role,
        )
    view = Permission.objects.filter(codename="capa.view").first()
    if view is not None:
        for role in Role.objects.filter(name="User"):
            role.permissions.remove(view)
    for codename, description in (
        ("capa.view", "View every CAPA"),
        ("capa.create", "Create CAPAs (also raised from a deviation)"),
        ("capa.edit", "Update CAPAs, their action plans, deviation links and effectiveness review plans"),
        ("capa.approve_draft", "Approve draft CAPAs (CAPA plan approval, with an electronic signature)"),
        ("capa.effectiveness", "Record the result of CAPA effectiveness reviews (with an electronic signature)"),
    ):
        Permission.objects.filter(codename=codename).update(description=description)


def unseed(apps, schema_editor):
    Template = apps.get_model("workflows", "WorkflowTemplate")
    Template.objects.filter(name="CAPA handling", instances__isnull=True).delete()
    Role = apps.get_model("accounts", "Role")
    Permission = apps.get_model("accounts", "Permission")
    view = Permission.objects.filter(codename="capa.view").first()
    if view is not None:
        for role in Role.objects.filter(name="User"):
            role.permissions.add(view)


class Migration(migrations.Migration):
    dependencies = [
        ("capa", "0001_capa_records"),
        ("workflows", "0003_template_approve_permission_and_number_sequences"),
        ("accounts", "0004_password_controls"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
