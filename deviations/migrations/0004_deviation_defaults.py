"""What deviations need on a fresh install: the categories, areas and due-date rules (editable in
the admin), the default "Deviation handling" workflow, the standard report form taking its
category and area choices from the admin, and reporters (role User) seeing only the deviations they
reported (deviations.view is for QA, QA Managers, auditors and administrators)."""

from django.db import migrations


def seed(apps, schema_editor):
    from deviations.defaults import (
        DEFAULT_AREAS,
        DEFAULT_CATEGORIES,
        DEFAULT_DUE_DAYS,
        DEVIATION_HANDLING,
        STANDARD_DEVIATION_REPORT,
    )
    from workflows.defaults import write_definition

    Category = apps.get_model("deviations", "Category")
    Area = apps.get_model("deviations", "Area")
    SeverityDueRule = apps.get_model("deviations", "SeverityDueRule")
    for name in DEFAULT_CATEGORIES:
        Category.objects.get_or_create(name=name)
    for name, site in DEFAULT_AREAS:
        Area.objects.get_or_create(name=name, defaults={"site": site})
    for severity, days in DEFAULT_DUE_DAYS.items():
        SeverityDueRule.objects.get_or_create(severity=severity, defaults={"due_days": days})

    Template = apps.get_model("workflows", "WorkflowTemplate")
    if not Template.objects.filter(name=DEVIATION_HANDLING["name"]).exists():
        write_definition(
            DEVIATION_HANDLING,
            Template=Template,
            State=apps.get_model("workflows", "WorkflowState"),
            Transition=apps.get_model("workflows", "WorkflowTransition"),
            Rule=apps.get_model("workflows", "ApprovalRule"),
            Role=apps.get_model("accounts", "Role"),
        )

    # A standard form seeded before categories and areas were kept in the admin takes them from
    # there now (no deviation has been reported with it: the records arrive with this migration).
    new_fields = {f["key"]: f for s in STANDARD_DEVIATION_REPORT["sections"] for f in s["fields"]}
    FormTemplate = apps.get_model("deviations", "FormTemplate")
    for form in FormTemplate.objects.filter(name=STANDARD_DEVIATION_REPORT["name"], version=1):
        sections = form.sections
        for section in sections:
            for index, spec in enumerate(section.get("fields", [])):
                if spec.get("key") in ("area", "category") and not spec.get("options_from"):
                    section["fields"][index] = dict(new_fields[spec["key"]])
        form.sections = sections
        form.save(update_fields=["sections"])

    Role = apps.get_model("accounts", "Role")
    Permission = apps.get_model("accounts", "Permission")
    view = Permission.objects.filter(codename="deviations.view").first()
    for role in Role.objects.filter(name="User"):
        if view is not None:
            role.permissions.remove(view)
    Permission.objects.filter(codename="deviations.manage_forms").update(
        description="Configure deviation report forms, categories, areas and due-date rules"
    )


def unseed(apps, schema_editor):
    Template = apps.get_model("workflows", "WorkflowTemplate")
    Template.objects.filter(name="Deviation handling", instances__isnull=True).delete()
    Role = apps.get_model("accounts", "Role")
    Permission = apps.get_model("accounts", "Permission")
    view = Permission.objects.filter(codename="deviations.view").first()
    for role in Role.objects.filter(name="User"):
        if view is not None:
            role.permissions.add(view)


class Migration(migrations.Migration):
    dependencies = [
        ("deviations", "0003_deviation_records"),
        ("workflows", "0003_template_approve_permission_and_number_sequences"),
        ("accounts", "0002_seed_roles_and_permissions"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
