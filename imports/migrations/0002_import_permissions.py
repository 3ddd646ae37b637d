from django.db import migrations


def add_codenames(apps, schema_editor):
    from accounts.catalog import sync_catalog

    sync_catalog(apps.get_model("accounts", "Permission"), apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [("imports", "0001_import_runs"), ("accounts", "0004_password_controls")]

    operations = [migrations.RunPython(add_codenames, migrations.RunPython.noop)]
