"""manage.py import_training_records: historical completions, never signatures."""

import pytest

from audit.models import AuditEvent, Signature
from imports.models import ImportRun
from training.models import Assignment, Completion, CompletionMethod, TrainingProgram

from .helpers import audit_count, error_rows, run, sample, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def legacy(tmp_path, admin_user):
    run("import_users", sample(tmp_path, "users.csv"), actor="admin1", create_groups=True)
    folder = sample(tmp_path, "documents")
    run("import_documents", folder / "manifest.csv", actor="admin1", files=folder)
    return tmp_path


@pytest.mark.requirement("QMS-IMPORTS")
def test_completions_are_history_with_programs_matched_or_created_and_no_signature(legacy):
    status, out = run("import_training_records", sample(legacy, "training_records.csv"), actor="admin1")

    assert status == 0, out
    assert Completion.objects.count() == 5 and Signature.objects.count() == 0
    assert set(Completion.objects.values_list("method", flat=True)) == {CompletionMethod.IMPORTED}
    gmp = TrainingProgram.objects.get(title="GMP basics")
    assert gmp.status == "PUBLISHED" and gmp.completions.count() == 2  # created once, matched once
    sop = Completion.objects.get(user__username="jdoe", program__title="Cleaning of filling line 2")
    assert (sop.document_number, sop.document_version_label) == ("SOP-0101", "2.0")
    assert sop.completed_at.date().isoformat() == "2021-06-10" and "Trainer: J. Smith" in sop.comment
    assert sop.assignment.status == "completed" and sop.assignment.kind == "historical"
    event = AuditEvent.objects.get(action="import_completion", resource_id=sop.pk)
    assert event.new_values["signature"] is None and event.context["import_run"] == ImportRun.objects.latest("pk").pk
    assert Completion.objects.get(user__username="lchen").completed_at.date().isoformat() == "2020-01-20"


@pytest.mark.requirement("QMS-IMPORTS")
def test_dry_run_changes_nothing_and_rerun_is_idempotent(legacy):
    path = sample(legacy, "training_records.csv")
    counts = (Completion.objects.count(), Assignment.objects.count(), TrainingProgram.objects.count(), audit_count())

    status, out = run("import_training_records", path, actor="admin1", dry_run=True)
    assert status == 0 and "5 created" in out
    assert (Completion.objects.count(), Assignment.objects.count(), TrainingProgram.objects.count(), audit_count()) == counts

    run("import_training_records", path, actor="admin1")
    status, out = run("import_training_records", path, actor="admin1")
    assert status == 0 and "5 skipped" in out and Completion.objects.count() == 5


def test_bad_rows_are_reported_with_row_and_field(legacy):
    path = write(
        legacy,
        "training-bad.csv",
        "username;program;completed_on;document_number;document_version\n"
        "jdoe;GMP basics;2019-02-11;;\n"
        "ghost;GMP basics;2019-02-11;;\n"
        "msmith;GMP basics;yesterday;;\n"
        "msmith;Line clearance;2019-09-20;SOP-0102;9.9\n"
        "lchen;Future course;2999-01-01;;\n",
    )

    status, out = run("import_training_records", path, actor="admin1")

    assert status == 1
    run_row = ImportRun.objects.latest("pk")
    report = error_rows(legacy / f"training-bad.errors-run{run_row.pk}.csv")
    assert [(r["row"], r["field"]) for r in report] == [
        ("3", "username"),
        ("4", "completed_on"),
        ("5", "document_version"),
        ("6", "completed_on"),
    ]
    assert (run_row.created_count, run_row.failed_count) == (1, 4)
