"""Database triggers rejecting UPDATE, DELETE (and TRUNCATE on PostgreSQL) on audit events and signatures."""

from django.db import migrations

from audit.immutability import install_sql, uninstall_sql

TABLES = ["audit_auditevent", "audit_signature"]


def install(apps, schema_editor):
    for sql in install_sql(schema_editor.connection.vendor, TABLES):
        schema_editor.execute(sql, params=None)


def uninstall(apps, schema_editor):
    for sql in uninstall_sql(schema_editor.connection.vendor, TABLES):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
