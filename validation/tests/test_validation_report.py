"""manage.py validation_report from a real JUnit file: a small pytest run (in a subprocess, with the
requirement plugin) traced against a catalogue that also lists a requirement no test names."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from pypdf import PdfReader

from validation import catalogue

pytestmark = pytest.mark.django_db

SMALL_SUITE = """
import pytest

@pytest.mark.requirement("21CFR11.10(e)", "ANNEX11.9")
def test_the_trail_records_changes():
    assert True

@pytest.mark.requirement("21CFR11.10(d)")
def test_access_is_limited():
    assert {outcome}

@pytest.mark.requirement("21CFR11.10(e)")
@pytest.mark.skip(reason="not on this platform")
def test_skipped_one():
    pass

@pytest.mark.requirement("21CFR11.50")
@pytest.mark.skip(reason="not on this platform")
def test_only_skipped():
    pass

def test_untraced():
    pass
"""

CATALOGUE = """
[[requirement]]
id = "21CFR11.10(d)"
source = "21 CFR Part 11"
title = "Limiting system access"
text = "Limiting system access to authorized individuals."

[[requirement]]
id = "21CFR11.10(e)"
source = "21 CFR Part 11"
title = "Audit trail"
text = "Secure, computer-generated, time-stamped audit trails."

[[requirement]]
id = "ANNEX11.9"
source = "EU GMP Annex 11"
title = "Audit trails"
text = "A record of all GMP-relevant changes and deletions."

[[requirement]]
id = "21CFR11.50"
source = "21 CFR Part 11"
title = "Signature manifestations"
text = "Printed name, date and time, meaning."

[[requirement]]
id = "QMS-DELIBERATELY-UNMAPPED"
source = "QMS"
title = "A requirement no test names"
text = "Reported as a gap."
"""


PLUGIN_ONLY = ["-q", "-p", "no:cacheprovider", "-p", "no:django", "-p", "validation.pytest_plugin"]


def run_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """pytest in a subprocess, in `folder`, with only the requirement plugin of the project."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", *PLUGIN_ONLY, *args],
        cwd=folder,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(settings.BASE_DIR)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_small_suite(tmp_path: Path, *, passing: bool) -> tuple[subprocess.CompletedProcess, Path]:
    (tmp_path / "test_small.py").write_text(SMALL_SUITE.replace("{outcome}", "True" if passing else "1 == 2"))
    junit = tmp_path / "results.xml"
    return run_pytest(tmp_path, "test_small.py", f"--junitxml={junit}"), junit


@pytest.fixture
def report_dir(settings, tmp_path):
    settings.VALIDATION_REPORT_DIR = str(tmp_path / "reports")
    return Path(settings.VALIDATION_REPORT_DIR)


@pytest.fixture
def small_catalogue(tmp_path):
    path = tmp_path / "requirements.toml"
    path.write_text(CATALOGUE)
    return path


@pytest.mark.requirement("ANNEX11.4", "21CFR11.10(a)", "QMS-VALIDATION")
def test_a_failed_traced_test_fails_the_report_which_still_lists_results_and_gaps(tmp_path, report_dir, small_catalogue):
    run, junit = run_small_suite(tmp_path, passing=False)
    assert run.returncode == 1, run.stdout + run.stderr
    out = io.StringIO()

    with pytest.raises(
        CommandError, match=r"1 test\(s\) traced to 1 requirement\(s\) failed: test_small::test_access_is_limited"
    ):
        call_command(
            "validation_report",
            junit=str(junit),
            out=[str(tmp_path / "r.html"), str(tmp_path / "r.pdf")],
            catalogue=str(small_catalogue),
            stdout=out,
        )

    assert "GAP   QMS-DELIBERATELY-UNMAPPED: A requirement no test names" in out.getvalue()
    latest = json.loads((report_dir / "validation-report.json").read_text())
    statuses = {row["requirement"]["id"]: row["status"] for row in latest["rows"]}
    assert statuses == {
        "21CFR11.10(d)": "FAIL",
        "21CFR11.10(e)": "PASS",
        "ANNEX11.9": "PASS",
        "21CFR11.50": "NOT RUN",
        "QMS-DELIBERATELY-UNMAPPED": "GAP",
    }
    trail = next(row for row in latest["rows"] if row["requirement"]["id"] == "21CFR11.10(e)")
    assert [(t["name"], t["outcome"]) for t in trail["tests"]] == [
        ("test_small::test_the_trail_records_changes", "passed"),
        ("test_small::test_skipped_one", "skipped"),
    ]
    assert latest["totals"] == {"tests": 5, "traced": 4, "passed": 2, "failed": 1, "error": 0, "skipped": 2}
    assert latest["product_version"] == "1.0.0" and latest["commit"]

    html = (tmp_path / "r.html").read_text()
    assert 'data-requirement="QMS-DELIBERATELY-UNMAPPED"' in html and "no test: gap" in html
    assert "FAILED: <code>test_small::test_access_is_limited</code>" in html
    pdf_text = "\n".join(page.extract_text() for page in PdfReader(tmp_path / "r.pdf").pages)
    assert "requirements traceability matrix" in pdf_text and "A requirement no test names" in pdf_text
    assert "FAILED: test_small::test_access_is_limited" in pdf_text and "Product version 1.0.0" in pdf_text


@pytest.mark.requirement("ANNEX11.4", "QMS-VALIDATION")
def test_a_green_run_builds_the_report_and_exits_zero(tmp_path, report_dir, small_catalogue, settings):
    settings.QMS_COMMIT = "0123abcd"
    run, junit = run_small_suite(tmp_path, passing=True)
    assert run.returncode == 0, run.stdout + run.stderr

    call_command(
        "validation_report",
        junit=str(junit),
        out=[str(tmp_path / "r.html")],
        catalogue=str(small_catalogue),
        stdout=io.StringIO(),
    )

    latest = json.loads((report_dir / "validation-report.json").read_text())
    assert latest["commit"] == "0123abcd" and latest["summary"] == {"PASS": 3, "FAIL": 0, "NOT RUN": 1, "GAP": 1}


def test_a_marker_naming_an_unknown_requirement_stops_the_run(tmp_path):
    (tmp_path / "test_typo.py").write_text('import pytest\n\n@pytest.mark.requirement("21CFR11.99")\ndef test_x():\n    pass\n')
    result = run_pytest(tmp_path, "test_typo.py")
    assert result.returncode == 4  # a usage error
    assert "test_typo.py::test_x: '21CFR11.99'" in result.stderr


def test_bad_inputs_are_reported(tmp_path, report_dir):
    with pytest.raises(CommandError, match="Cannot read the JUnit file"):
        call_command("validation_report", junit=str(tmp_path / "missing.xml"), stdout=io.StringIO())
    (tmp_path / "empty.xml").write_text("<testsuites><testsuite/></testsuites>")
    with pytest.raises(CommandError, match="holds no test case"):
        call_command("validation_report", junit=str(tmp_path / "empty.xml"), stdout=io.StringIO())
    with pytest.raises(CommandError, match=r"\.html, \.pdf or \.json"):
        call_command("validation_report", junit=str(tmp_path / "empty.xml"), out=["report.docx"], stdout=io.StringIO())


def test_the_catalogue_covers_part_11_and_annex_11_and_every_marker_names_one_of_its_requirements():
    ids = {r.id for r in catalogue.load()}
    for letter in "abcdefghijk":
        assert f"21CFR11.10({letter})" in ids
    assert {"21CFR11.50", "21CFR11.70", "21CFR11.100", "21CFR11.200(a)", "21CFR11.300(a)", "21CFR11.300(d)"} <= ids
    assert {f"ANNEX11.{n}" for n in (4, 7, 8, 9, 10, 11, 12, 14)} <= ids
    assert any(i.startswith("QMS-") for i in ids)


@pytest.mark.requirement("ANNEX11.11", "QMS-VALIDATION")
def test_the_validation_page_shows_the_latest_report_to_admins_and_auditors(
    tmp_path, report_dir, small_catalogue, auditor, qa_user, admin_user
):
    client = Client()
    client.force_login(auditor)
    assert b"No validation report yet" in client.get("/validation/").content
    _, junit = run_small_suite(tmp_path, passing=True)
    call_command(
        "validation_report",
        junit=str(junit),
        out=[str(report_dir / "validation-report.pdf")],
        catalogue=str(small_catalogue),
        stdout=io.StringIO(),
    )

    page = client.get("/validation/").content.decode()
    assert 'data-requirement="QMS-DELIBERATELY-UNMAPPED"' in page and "validation-report.pdf" in page
    pdf = client.get("/validation/files/validation-report.pdf")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert client.get("/validation/files/..%2Fsecrets").status_code == 404
    admin = Client()
    admin.force_login(admin_user)
    assert admin.get("/validation/").status_code == 200
    qa = Client()
    qa.force_login(qa_user)
    assert qa.get("/validation/").status_code == 403


def test_a_requirement_named_by_many_tests_still_prints(tmp_path, report_dir, small_catalogue):
    (tmp_path / "test_many.py").write_text(
        'import pytest\n\n@pytest.mark.requirement("21CFR11.10(e)")\n@pytest.mark.parametrize("n", range(150))\n'
        "def test_case_with_a_long_name_that_takes_room_in_the_matrix(n):\n    pass\n"
    )
    junit = tmp_path / "many.xml"
    assert run_pytest(tmp_path, "test_many.py", f"--junitxml={junit}").returncode == 0

    call_command(
        "validation_report", junit=str(junit), out=[str(tmp_path / "r.pdf")], catalogue=str(small_catalogue), stdout=io.StringIO()
    )

    reader = PdfReader(tmp_path / "r.pdf")
    assert len(reader.pages) > 2
    assert "test_case_with_a_long_name_that_takes_room_in_the_matrix[149]" in "".join(
        page.extract_text() for page in reader.pages
    )
