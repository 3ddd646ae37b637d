"""Completions and their revocations are append-only in the database too: triggers reject UPDATE,
DELETE (and TRUNCATE on PostgreSQL), as on the audit trail (audit.immutability)."""

from django.db import migrations

from audit.immutability import AppendOnlyTriggers


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0006_guard_chain_head"),
        ("training", "0002_requirement_workflow_template"),
    ]

    operations = [AppendOnlyTriggers(["training_completion", "training_completionrevocation"])]
