"""Seeds the "Standard deviation report" form (deviations/defaults.py) as the active version 1."""

from django.db import migrations
from django.utils import timezone


def seed(apps, schema_editor):
    from deviations.defaults import STANDARD_DEVIATION_REPORT

    FormTemplate = apps.get_model("deviations", "FormTemplate")
    if FormTemplate.objects.filter(name=STANDARD_DEVIATION_REPORT["name"]).exists():
        return
    active = not FormTemplate.objects.filter(status="active").exists()
    FormTemplate.objects.create(
        name=STANDARD_DEVIATION_REPORT["name"],
        description=STANDARD_DEVIATION_REPORT["description"],
        sections=STANDARD_DEVIATION_REPORT["sections"],
        status="active" if active else "draft",
        published_at=timezone.now() if active else None,
    )


def unseed(apps, schema_editor):
    FormTemplate = apps.get_model("deviations", "FormTemplate")
    FormTemplate.objects.filter(name="Standard deviation report", version=1, next_versions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("deviations", "0001_form_templates")]

    operations = [migrations.RunPython(seed, unseed)]
