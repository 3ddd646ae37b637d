"""manage.py export_audit_trail: the API's export for inspections, from the command line, itself audited."""

import csv
import getpass
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pypdf import PdfReader

from audit import checkpoints, services
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(qa_manager):
    return [
        services.record(action=action, resource_type="document", resource_id=n, summary=f"{action} {n}", actor=qa_manager)
        for n, action in enumerate(["create", "update", "update", "delete"], start=1)
    ]


@pytest.mark.requirement("QMS-AUDIT-EXPORT")
def test_csv_with_filters_to_a_file(trail, tmp_path):
    out = tmp_path / "trail.csv"
    stdout = io.StringIO()
    call_command("export_audit_trail", "--format", "csv", "--action", "update", "--out", str(out), stdout=stdout)

    events, statement = out.read_bytes().decode("utf-8").split("\r\n\r\n")
    assert [int(r["id"]) for r in csv.DictReader(io.StringIO(events))] == [trail[1].pk, trail[2].pk]
    (head,) = csv.DictReader(io.StringIO(statement))
    assert int(head["checkpoint_sequence"]) == trail[-1].sequence
    assert checkpoints.statement_valid({k.removeprefix("checkpoint_"): v for k, v in head.items()} | {"sequence": 4})
    assert f"Wrote 2 events to {out}" in stdout.getvalue()

    export = AuditEvent.objects.get(action="export")
    assert export.actor_id is None and export.actor_username == f"manage.py export_audit_trail ({getpass.getuser()})"
    assert export.new_values == {"format": "csv", "filters": {"action": "update"}, "events": 2}
    assert services.verify_chain().valid


@pytest.mark.requirement("21CFR11.10(b)")
def test_pdf_of_one_record_for_a_named_user(trail, tmp_path, auditor):
    out = tmp_path / "record.pdf"
    call_command(
        "export_audit_trail",
        "--format=pdf",
        "--resource-type=document",
        "--resource-id=2",
        f"--user={auditor.username}",
        f"--out={out}",
        stdout=io.StringIO(),
    )
    text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
    assert "Exported by: Avery Auditor (auditor1)" in text and "update 2" in text and "Chain checkpoint: sequence 4" in text
    assert AuditEvent.objects.get(action="export").actor_id == auditor.pk


def test_bad_filters_and_users_without_audit_export_are_refused(trail, tmp_path, basic_user):
    with pytest.raises(CommandError, match="--date-from"):
        call_command("export_audit_trail", "--date-from", "soon", "--out", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="audit.export"):
        call_command("export_audit_trail", f"--user={basic_user.username}", "--out", str(tmp_path / "x.csv"))
    assert not AuditEvent.objects.filter(action="export").exists()
    assert not (tmp_path / "x.csv").exists()
