"""Fills the subject of existing audit events and signatures, without touching the hash chain.

The subject of an existing row is its record's root (audit.subjects): a document version's events
and signatures belong to the document. Legacy events (hash version 1) do not cover the subject in
their hash, so filling it leaves every hash valid. The rules come from the registrations of the
installed apps (AppConfig.ready has run); a parent table that does not exist yet (a fresh
database) simply has no rows to fill. The triggers are lifted for this one statement batch.
"""

from django.db import migrations

from audit.immutability import suspended
from audit.subjects import rules

TABLES = ("audit_auditevent", "audit_signature")


def fill(apps, schema_editor):
    connection = schema_editor.connection
    existing = set(connection.introspection.table_names())
    quote = connection.ops.quote_name
    parents = []
    for resource_type, rule in rules().items():
        field = rule.model._meta.get_field(rule.parent_field) if rule.parent_field else None
        if field is not None and rule.model._meta.db_table in existing:
            parent_type = next(
                (t for t, r in rules().items() if issubclass(field.related_model, r.model)),
                field.related_model._meta.model_name,
            )
            parents.append((resource_type, parent_type, rule.model._meta.db_table, field.column, rule.model._meta.pk.column))
    with suspended(connection, TABLES), connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(
                f"UPDATE {table} SET subject_type = resource_type, subject_id = resource_id WHERE subject_type = ''"
            )
            for _ in range(5):  # follow parents up to the root
                changed = 0
                for child_type, parent_type, parent_table, column, pk in parents:
                    cursor.execute(
                        f"UPDATE {table} SET subject_type = %s, subject_id = ("
                        f"SELECT {quote(column)} FROM {quote(parent_table)} p WHERE p.{quote(pk)} = {table}.subject_id) "
                        f"WHERE subject_type = %s AND subject_id IS NOT NULL AND EXISTS ("
                        f"SELECT 1 FROM {quote(parent_table)} p WHERE p.{quote(pk)} = {table}.subject_id "
                        f"AND p.{quote(column)} IS NOT NULL)",
                        [parent_type, child_type],
                    )
                    changed += cursor.rowcount
                if not changed:
                    break


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_subject_and_keyed_chain")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
