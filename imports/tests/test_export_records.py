"""manage.py export_records: streamed exports; documents round-trip through import_documents."""

import csv
import hashlib
import json

import pytest
from openpyxl import load_workbook

from audit.models import AuditEvent
from documents.models import DocumentVersion

from .helpers import run, sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(tmp_path, admin_user):
    folder = sample(tmp_path, "documents")
    run("import_documents", folder / "manifest.csv", actor="admin1", files=folder)
    run(
        "import_deviations",
        sample(tmp_path, "deviations.csv"),
        actor="admin1",
        state_map_file=sample(tmp_path, "deviation-states.csv"),
    )
    return tmp_path


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.requirement("QMS-EXPORTS")
def test_documents_export_has_files_and_a_manifest_with_checksums(loaded):
    out = loaded / "export"

    status, output = run("export_records", record_type="documents", export_format="csv", out=out, actor="admin1")

    assert status == 0, output
    rows = read_csv(out / "manifest.csv")
    assert [(r["number"], r["version"], r["state"]) for r in rows] == [
        ("POL-0101", "1.0", "obsolete"),
        ("SOP-0101", "1.0", "superseded"),
        ("SOP-0101", "2.0", "effective"),
        ("SOP-0102", "1.0", "effective"),
        ("WI-0007", "3.1", "effective"),
    ]
    for row in rows:
        assert hashlib.sha256((out / row["file"]).read_bytes()).hexdigest() == row["sha256"]
    assert AuditEvent.objects.filter(action="export_records").count() == 1


@pytest.mark.requirement("QMS-EXPORTS", "ANNEX11.4.8", "21CFR11.10(b)")
def test_round_trip_export_then_import_gives_identical_checksums(loaded):
    out = loaded / "export"
    run("export_records", record_type="documents", export_format="csv", out=out, actor="admin1")
    manifest = out / "manifest.csv"

    # Re-importing into the same system changes nothing (same number, version and checksum) ...
    status, output = run("import_documents", manifest, actor="admin1", files=out)
    assert status == 0 and "5 skipped" in output, output

    # ... and loading the export as other documents gives the same files, byte for byte.
    rows = read_csv(manifest)
    with open(manifest, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, "number": row["number"].replace("-0", "-9")} for row in rows)
    status, output = run("import_documents", manifest, actor="admin1", files=out)
    assert status == 0 and "5 created" in output, output
    originals = dict(DocumentVersion.objects.filter(document__number="SOP-0101").values_list("version", "sha256"))
    copies = dict(DocumentVersion.objects.filter(document__number="SOP-9101").values_list("version", "sha256"))
    assert copies == originals and len(copies) == 2
    states = dict(DocumentVersion.objects.filter(document__number="SOP-9101").values_list("version", "status"))
    assert states == {"1.0": "superseded", "2.0": "effective"}


@pytest.mark.requirement("QMS-EXPORTS")
def test_deviations_export_in_every_format(loaded):
    for export_format in ("csv", "jsonl", "xlsx"):
        out = loaded / export_format
        status, output = run("export_records", record_type="deviations", export_format=export_format, out=out, actor="admin1")
        assert status == 0, output
        if export_format == "csv":
            rows = read_csv(out / "deviations.csv")
        elif export_format == "jsonl":
            rows = [json.loads(line) for line in (out / "deviations.jsonl").read_text(encoding="utf-8").splitlines()]
        else:
            sheet = load_workbook(out / "deviations.xlsx", read_only=True).worksheets[0]
            header, *values = list(sheet.iter_rows(values_only=True))
            rows = [dict(zip(header, v, strict=True)) for v in values]
        assert sorted(r["legacy_number"] for r in rows) == ["DV-2019-001", "DV-2019-002", "DV-2020-014", "DV-2020-015"]
        closed = next(r for r in rows if r["legacy_number"] == "DV-2019-001")
        assert closed["state"] == "closed" and str(closed["closed_on"]).startswith("2019-04-02")


def test_since_and_audit_and_training_exports(loaded):
    out = loaded / "audit"
    status, output = run("export_records", record_type="audit", export_format="jsonl", out=out, actor="admin1")
    assert status == 0, output
    events = [json.loads(line) for line in (out / "audit.jsonl").read_text().splitlines()]
    assert len(events) == AuditEvent.objects.count() - 1  # not the export's own event
    assert any(e["context"] and e["context"].get("import_run") for e in events)

    status, output = run(
        "export_records", record_type="deviations", export_format="csv", out=loaded / "none", since="2999-01-01", actor="admin1"
    )
    assert status == 0 and read_csv(loaded / "none" / "deviations.csv") == []

    status, output = run("export_records", record_type="training", export_format="csv", out=loaded / "t", actor="admin1")
    assert status == 0 and read_csv(loaded / "t" / "training.csv") == []


def test_exports_need_the_view_permission_of_the_records(loaded, basic_user):
    status, output = run("export_records", record_type="audit", export_format="csv", out=loaded / "x", actor="user1")
    assert status == 1 and "permission" in output
