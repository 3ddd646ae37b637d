"""A trigger guards the chain head: no DELETE or TRUNCATE, never backwards, always the newest event."""

from django.db import migrations

from audit.immutability import head_install_sql, head_uninstall_sql


def install(apps, schema_editor):
    for sql in head_install_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


def uninstall(apps, schema_editor):
    for sql in head_uninstall_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_fill_subjects")]

    operations = [migrations.RunPython(install, uninstall)]
