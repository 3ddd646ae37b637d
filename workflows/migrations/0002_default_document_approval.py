"""Seeds the default "Document approval" workflow template (see workflows/defaults.py)."""

from django.db import migrations


def seed(apps, schema_editor):
    from workflows.defaults import DOCUMENT_APPROVAL, write_definition

    Template = apps.get_model("workflows", "WorkflowTemplate")
    if Template.objects.filter(name=DOCUMENT_APPROVAL["name"]).exists():
        return
    write_definition(
        DOCUMENT_APPROVAL,
        Template=Template,
        State=apps.get_model("workflows", "WorkflowState"),
        Transition=apps.get_model("workflows", "WorkflowTransition"),
        Rule=apps.get_model("workflows", "ApprovalRule"),
        Role=apps.get_model("accounts", "Role"),
    )


def unseed(apps, schema_editor):
    Template = apps.get_model("workflows", "WorkflowTemplate")
    Template.objects.filter(name="Document approval", instances__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0001_initial"),
        ("accounts", "0002_seed_roles_and_permissions"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
