"""manage.py import_documents: legacy SOPs with their files, numbers, versions and approvals."""

import hashlib
import io
import os

import pytest
from django.core.management import call_command

from audit.models import AuditEvent, Signature
from documents.models import Document, DocumentVersion
from imports.models import ImportRun
from qms.events.models import DeliveryStatus, EventDelivery, OutboxEvent
from workflows.models import HistoryAction, WorkflowHistory
from workflows.numbering import next_number

from .helpers import audit_count, error_rows, run, sample

pytestmark = pytest.mark.django_db


def stored(root) -> list[str]:
    return (
        sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)
        if os.path.exists(root)
        else []
    )


@pytest.mark.requirement("QMS-IMPORTS")
def test_documents_keep_their_numbers_versions_states_and_files(tmp_path, qa_manager, media_root):
    folder = sample(tmp_path, "documents")

    status, out = run("import_documents", folder / "manifest.csv", actor="qam1", files=folder)

    assert status == 0, out
    sop = Document.objects.get(number="SOP-0101")
    assert [(v.version, v.status) for v in sop.versions.order_by("major", "minor")] == [
        ("1.0", "superseded"),
        ("2.0", "effective"),
    ]
    assert sop.effective_version.version == "2.0" and sop.effective_date.isoformat() == "2021-06-01"
    assert sop.status == "effective" and sop.title == "Cleaning of filling line 2"
    v2 = sop.effective_version
    assert v2.sha256 == hashlib.sha256((folder / "files/SOP-0101-v2.0.pdf").read_bytes()).hexdigest()
    assert v2.mime_type == "application/pdf" and v2.file.name in stored(media_root)
    assert Document.objects.get(number="POL-0101").effective_version is None
    assert Document.objects.get(number="WI-0007").current_version.version == "3.1"


@pytest.mark.requirement("QMS-IMPORTS", "21CFR11.50")
def test_legacy_approvals_are_history_marked_as_not_signatures(tmp_path, qa_manager):
    folder = sample(tmp_path, "documents")
    run("import_documents", folder / "manifest.csv", actor="qam1", files=folder)

    v2 = DocumentVersion.objects.get(document__number="SOP-0101", version="2.0")
    legacy = WorkflowHistory.objects.filter(instance=v2.workflow_instance, action=HistoryAction.LEGACY)
    assert [h.actor_name for h in legacy] == [
        "J. Smith (QA Manager) (legacy system)",
        "P. Brown (Production Head) (legacy system)",
    ]
    assert all(
        "not an electronic signature of this system" in h.comment and h.signature_id is None and h.actor_id is None
        for h in legacy
    )
    assert "2021-05-20" in legacy[0].comment
    assert Signature.objects.count() == 0
    created = AuditEvent.objects.filter(resource_type="document", resource_id=v2.document_id, action="create").last()
    assert created.new_values["legacy_approvals"][0]["note"] == "legacy, not an electronic signature of this system"


def test_new_documents_continue_after_the_imported_numbers(tmp_path, qa_manager):
    folder = sample(tmp_path, "documents")
    run("import_documents", folder / "manifest.csv", actor="qam1", files=folder)
    from django.db import transaction

    with transaction.atomic():
        assert next_number("SOP", yearly=False) == "SOP-0103"


def test_text_extraction_is_queued_not_done_inline(tmp_path, qa_manager, django_capture_on_commit_callbacks):
    folder = sample(tmp_path, "documents")
    with django_capture_on_commit_callbacks(execute=True):  # after-commit work runs as in production
        run("import_documents", folder / "manifest.csv", actor="qam1", files=folder)
    assert OutboxEvent.objects.filter(name="document.version_uploaded").count() == 5
    assert set(DocumentVersion.objects.values_list("processing_status", "extracted_text")) == {("uploaded", "")}
    assert not EventDelivery.objects.exclude(status=DeliveryStatus.PENDING).exists()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("process_outbox", grace_seconds=0, stdout=io.StringIO())
    assert set(DocumentVersion.objects.values_list("processing_status", flat=True)) == {"completed"}


@pytest.mark.requirement("QMS-IMPORTS")
def test_rerun_is_idempotent_and_loads_only_what_is_missing(tmp_path, qa_manager, media_root):
    folder = sample(tmp_path, "documents")
    manifest = folder / "manifest.csv"
    (folder / "files/WI-0007-v3.1.pdf").rename(folder / "files/missing.pdf")

    status, out = run("import_documents", manifest, actor="qam1", files=folder)
    assert status == 1 and "4 created" in out and "1 failed" in out
    files_before = stored(media_root)

    (folder / "files/missing.pdf").rename(folder / "files/WI-0007-v3.1.pdf")
    status, out = run("import_documents", manifest, actor="qam1", files=folder)

    assert status == 0, out
    assert "1 created" in out and "4 skipped" in out
    assert DocumentVersion.objects.count() == 5 and len(stored(media_root)) == len(files_before) + 1


def test_the_same_version_with_another_file_is_refused(tmp_path, qa_manager):
    folder = sample(tmp_path, "documents")
    run("import_documents", folder / "manifest.csv", actor="qam1", files=folder)
    (folder / "files/SOP-0102-v1.0.pdf").write_bytes((folder / "files/POL-0101-v1.0.pdf").read_bytes())

    status, out = run("import_documents", folder / "manifest.csv", actor="qam1", files=folder)

    assert status == 1
    report = error_rows(next(folder.glob("manifest.errors-run*.csv")))
    assert [r["row"] for r in report] == ["4"] and "another file" in report[0]["message"]


@pytest.mark.requirement("QMS-IMPORTS")
def test_dry_run_changes_nothing_and_leaves_no_files(tmp_path, qa_manager, media_root):
    folder = sample(tmp_path, "documents")
    events = audit_count()

    status, out = run("import_documents", folder / "manifest.csv", actor="qam1", files=folder, dry_run=True)

    assert status == 0, out
    assert "5 created" in out
    assert (Document.objects.count(), audit_count(), ImportRun.objects.count(), OutboxEvent.objects.count()) == (0, events, 0, 0)
    assert stored(media_root) == []


@pytest.mark.requirement("QMS-IMPORTS")
def test_bad_rows_are_reported_and_the_good_ones_load(tmp_path, qa_manager):
    folder = sample(tmp_path, "documents")
    manifest = folder / "manifest.csv"
    (folder / "files/fake.pdf").write_text("not a pdf at all")
    manifest.write_text(
        manifest.read_text()
        + "SOP-0200,Fake,SOP,1.0,effective,,,,,,,files/fake.pdf,\n"
        + "SOP-0201,Escape,SOP,1.0,effective,,,,,,,../../etc/passwd,\n"
        + "XX-0001,Unknown type,XX,1.0,effective,,,,,,,files/SOP-0102-v1.0.pdf,\n"
        + "SOP-0202,Bad version,SOP,one,effective,,,,,,,files/SOP-0102-v1.0.pdf,\n"
    )

    status, out = run("import_documents", manifest, actor="qam1", files=folder)

    assert status == 1 and "5 created" in out and "4 failed" in out
    report = error_rows(next(folder.glob("manifest.errors-run*.csv")))
    assert sorted((int(r["row"]), r["field"]) for r in report) == [(7, ""), (8, "file"), (9, "type"), (10, "version")]
    assert any("not a valid" in r["message"] for r in report if r["row"] == "7")
