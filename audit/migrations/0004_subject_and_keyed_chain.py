"""Audit events and signatures name their subject (the root record); events carry the hash version
and the key that sealed them. Existing events keep hash version 1 (plain SHA-256), so the chain
verifies unchanged.

SQLite rebuilds a table to add a NOT NULL column, which drops its triggers: they are installed again.
"""

from django.conf import settings
from django.db import migrations, models

from audit.immutability import PROTECTED_TABLES, install_sql


def reinstall_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in install_sql("sqlite", PROTECTED_TABLES):
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_chain_verification_for_admins_and_auditors'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='hash_version',
            field=models.PositiveSmallIntegerField(default=1, editable=False),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='key_id',
            field=models.CharField(blank=True, editable=False, help_text='Fingerprint of the key that sealed it', max_length=16),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='subject_id',
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='subject_type',
            field=models.CharField(blank=True, editable=False, max_length=50),
        ),
        migrations.AddField(
            model_name='signature',
            name='subject_id',
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='signature',
            name='subject_type',
            field=models.CharField(blank=True, help_text='The root record (e.g. the document of a version)', max_length=50),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['subject_type', 'subject_id'], name='audit_event_subject_idx'),
        ),
        migrations.AddIndex(
            model_name='signature',
            index=models.Index(fields=['subject_type', 'subject_id'], name='signature_subject_idx'),
        ),
        migrations.RunPython(reinstall_sqlite_triggers, migrations.RunPython.noop),
    ]
