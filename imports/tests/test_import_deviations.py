"""manage.py import_deviations: legacy deviations keep their numbers and states."""

import pytest

from audit.models import AuditEvent
from deviations.models import Deviation
from imports.models import ImportRun
from workflows.models import WorkflowHistory

from .helpers import audit_count, error_rows, run, sample

pytestmark = pytest.mark.django_db


@pytest.mark.requirement("QMS-IMPORTS")
def test_legacy_deviations_keep_their_legacy_number_and_mapped_state_and_get_new_numbers(tmp_path, qa_manager, client_for):
    states = sample(tmp_path, "deviation-states.csv")

    status, out = run("import_deviations", sample(tmp_path, "deviations.csv"), actor="qam1", state_map_file=states)

    assert status == 0, out
    by_legacy = {d.legacy_number: d for d in Deviation.objects.all()}
    assert set(by_legacy) == {"DV-2019-001", "DV-2019-002", "DV-2020-014", "DV-2020-015"}
    closed = by_legacy["DV-2019-001"]
    assert closed.status == "closed" and closed.closed_at.date().isoformat() == "2019-04-02"
    assert closed.number.startswith("DEV-") and closed.severity == "High" and closed.batch == "B1903-17"
    assert by_legacy["DV-2020-014"].status == "under_investigation"
    assert by_legacy["DV-2020-015"].status == "reported"
    start = WorkflowHistory.objects.get(instance=closed.workflow_instance)
    assert start.to_state == "closed" and "not an electronic signature" in start.comment and start.signature_id is None
    run_row = ImportRun.objects.get()
    created = AuditEvent.objects.get(resource_type="deviation", resource_id=closed.pk, action="create")
    assert created.new_values["legacy_number"] == "DV-2019-001"
    assert created.context == {"import_run": run_row.pk, "row": 2, "source": "deviations.csv"}
    # QA finds the legacy number on the record, in the API and on the page.
    api = client_for(qa_manager)
    assert api.get(f"/api/deviations/{closed.pk}").json()["legacy_number"] == "DV-2019-001"
    listed = api.get("/api/deviations/", {"page_size": 100}).json()["items"]
    assert {row["legacy_number"] for row in listed} == set(by_legacy)
    found = api.get("/api/deviations/", {"search": "DV-2019-001"}).json()["items"]
    assert [row["id"] for row in found] == [closed.pk]
    api.force_login(qa_manager)
    assert b'data-testid="legacy-number">DV-2019-001<' in api.get(f"/deviations/{closed.pk}/").content


def test_new_numbering_continues_after_an_import(tmp_path, qa_manager):
    run(
        "import_deviations",
        sample(tmp_path, "deviations.csv"),
        actor="qam1",
        state_map_file=sample(tmp_path, "deviation-states.csv"),
    )
    numbers = sorted(Deviation.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 4 and all(n.startswith("DEV-") for n in numbers)


@pytest.mark.requirement("QMS-IMPORTS")
def test_mixed_rows_load_the_good_ones_and_report_each_bad_one(tmp_path, qa_manager):
    path = sample(tmp_path, "deviations-with-errors.csv")

    status, out = run("import_deviations", path, actor="qam1", state_map="Open=reported,Closed=closed")

    assert status == 1
    assert set(Deviation.objects.values_list("legacy_number", flat=True)) == {"DV-2021-001", "DV-2021-006"}
    run_row = ImportRun.objects.get()
    report = error_rows(tmp_path / f"deviations-with-errors.errors-run{run_row.pk}.csv")
    fields = {(r["row"], r["field"]) for r in report}
    assert ("3", "occurred_at") in fields
    assert ("4", "area") in fields
    assert ("5", "state") in fields
    assert ("6", "title") in fields
    assert (run_row.created_count, run_row.failed_count) == (2, 4)


@pytest.mark.requirement("QMS-IMPORTS")
def test_dry_run_changes_nothing(tmp_path, qa_manager):
    events = audit_count()

    status, out = run(
        "import_deviations",
        sample(tmp_path, "deviations.csv"),
        actor="qam1",
        state_map_file=sample(tmp_path, "deviation-states.csv"),
        dry_run=True,
    )

    assert status == 0, out
    assert "4 created" in out
    assert (Deviation.objects.count(), WorkflowHistory.objects.count(), audit_count(), ImportRun.objects.count()) == (
        0,
        0,
        events,
        0,
    )


def test_rerun_after_a_partial_failure_loads_only_what_is_missing(tmp_path, qa_manager):
    path = sample(tmp_path, "deviations-with-errors.csv")
    run("import_deviations", path, actor="qam1", state_map="Open=reported,Closed=closed")
    path.write_text(path.read_text().replace("2021-13-45", "2021-01-06").replace("Moon base", "Packaging"))

    status, out = run("import_deviations", path, actor="qam1", state_map="Open=reported,Closed=closed")

    assert "2 created" in out and "2 skipped" in out and "2 failed" in out
    assert Deviation.objects.count() == 4
