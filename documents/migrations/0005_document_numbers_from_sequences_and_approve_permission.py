"""Document numbers come from the shared running sequences (workflows.numbering: prefix = the type's
code, not yearly) instead of a counter on each document type; each type's counter is carried over,
so numbering continues where it was. The workflows document types use keep requiring
documents.approve of their approvers, now named on the workflow template itself."""

from django.db import migrations


def counters_to_sequences(apps, schema_editor):
    DocumentType = apps.get_model("documents", "DocumentType")
    NumberSequence = apps.get_model("workflows", "NumberSequence")
    WorkflowTemplate = apps.get_model("workflows", "WorkflowTemplate")
    for doc_type in DocumentType.objects.all():
        sequence, _ = NumberSequence.objects.get_or_create(prefix=doc_type.code, year=0)
        sequence.last = max(sequence.last, doc_type.next_number - 1)
        sequence.save(update_fields=["last"])
    families = DocumentType.objects.values_list("default_workflow__family", flat=True).distinct()
    WorkflowTemplate.objects.filter(family__in=list(families), approve_permission="").update(
        approve_permission="documents.approve"
    )


def sequences_to_counters(apps, schema_editor):
    DocumentType = apps.get_model("documents", "DocumentType")
    NumberSequence = apps.get_model("workflows", "NumberSequence")
    for doc_type in DocumentType.objects.all():
        last = NumberSequence.objects.filter(prefix=doc_type.code, year=0).values_list("last", flat=True).first() or 0
        doc_type.next_number = last + 1
        doc_type.save(update_fields=["next_number"])


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0004_default_templates"),
        ("workflows", "0003_template_approve_permission_and_number_sequences"),
    ]

    operations = [
        migrations.RunPython(counters_to_sequences, sequences_to_counters),
        migrations.RemoveField(model_name="documenttype", name="next_number"),
    ]
