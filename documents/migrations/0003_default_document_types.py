"""Seeds the document types SOP, WI, FORM and POL (in that order, so SOP is id 1 on a fresh
install), all on the default "Document approval" workflow."""

from django.db import migrations

TYPES = [
    ("SOP", "Standard Operating Procedure", "Step-by-step instructions for a routine GMP operation.", 24),
    ("WI", "Work Instruction", "Detailed instructions for a single task at a workstation.", 24),
    ("FORM", "Form", "Template form or record to be filled in during an operation.", 36),
    ("POL", "Policy", "Quality policy or manual stating principles and responsibilities.", 36),
]


def seed(apps, schema_editor):
    DocumentType = apps.get_model("documents", "DocumentType")
    Template = apps.get_model("workflows", "WorkflowTemplate")
    workflow = Template.objects.filter(name="Document approval", is_current=True).first()
    if workflow is None:
        return
    for code, name, description, months in TYPES:
        DocumentType.objects.get_or_create(
            code=code,
            defaults={"name": name, "description": description, "default_workflow": workflow, "review_period_months": months},
        )


def unseed(apps, schema_editor):
    DocumentType = apps.get_model("documents", "DocumentType")
    DocumentType.objects.filter(code__in=[t[0] for t in TYPES], documents__isnull=True, templates__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0002_relations"),
        ("workflows", "0002_default_document_approval"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
