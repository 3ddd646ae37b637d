"""manage.py import_capas: legacy CAPAs keep their numbers and states and link to their deviations."""

import pytest

from audit.models import AuditEvent
from capa.models import Capa, CapaDeviation
from imports.models import ImportRun

from .helpers import audit_count, error_rows, read_csv, run, sample, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def deviations_loaded(tmp_path, admin_user):
    run("import_users", sample(tmp_path, "users.csv"), actor="admin1", create_groups=True)
    status, out = run(
        "import_deviations",
        sample(tmp_path, "deviations.csv"),
        actor="admin1",
        state_map_file=sample(tmp_path, "deviation-states.csv"),
    )
    assert status == 0, out
    return tmp_path


@pytest.mark.requirement("QMS-IMPORTS")
def test_capas_keep_legacy_number_and_state_and_link_their_deviations_by_legacy_number(deviations_loaded):
    status, out = run(
        "import_capas",
        sample(deviations_loaded, "capas.csv"),
        actor="admin1",
        state_map_file=sample(deviations_loaded, "capa-states.csv"),
    )

    assert status == 0, out
    by_legacy = {c.legacy_number: c for c in Capa.objects.all()}
    assert set(by_legacy) == {"CA-2019-007", "CA-2019-011", "CA-2020-003", "CA-2020-009"}
    closed = by_legacy["CA-2019-007"]
    assert closed.status == "closed" and closed.closed_at.date().isoformat() == "2019-07-15" and closed.number.startswith("CAPA")
    assert by_legacy["CA-2020-003"].status == "in_progress" and by_legacy["CA-2020-009"].status == "open"
    linked = CapaDeviation.objects.filter(capa=by_legacy["CA-2020-003"]).values_list("deviation__legacy_number", flat=True)
    assert sorted(linked) == ["DV-2020-014", "DV-2020-015"]
    event = AuditEvent.objects.get(resource_type="capa", resource_id=closed.pk, action="create")
    assert event.new_values["legacy_number"] == "CA-2019-007" and event.context["row"] == 2


def test_unknown_deviations_and_states_are_reported_and_dry_run_changes_nothing(deviations_loaded):
    path = write(
        deviations_loaded,
        "capas-bad.csv",
        "legacy_number,title,description,owner,due_date,deviations,state\n"
        "CA-1,Good,Fine.,msmith,2020-01-01,DV-2019-001,open\n"
        "CA-2,Unknown deviation,x,msmith,2020-01-01,DV-1999-999,open\n"
        "CA-3,Unknown state,x,msmith,2020-01-01,,parked\n"
        "CA-4,Unknown owner,x,nobody,2020-01-01,,open\n",
    )
    events = audit_count()
    status, out = run("import_capas", path, actor="admin1", dry_run=True)
    assert status == 1 and "1 created" in out and "3 failed" in out
    assert (Capa.objects.count(), audit_count()) == (0, events)

    status, out = run("import_capas", path, actor="admin1")
    assert status == 1
    report = error_rows(deviations_loaded / f"capas-bad.errors-run{ImportRun.objects.latest('pk').pk}.csv")
    assert [(r["row"], r["field"]) for r in report] == [("3", "deviations"), ("4", "state"), ("5", "owner")]
    status, out = run("import_capas", path, actor="admin1")
    assert "1 skipped" in out and Capa.objects.count() == 1


@pytest.mark.requirement("QMS-EXPORTS")
def test_capa_export_names_the_deviations_by_legacy_number(deviations_loaded):
    run(
        "import_capas",
        sample(deviations_loaded, "capas.csv"),
        actor="admin1",
        state_map_file=sample(deviations_loaded, "capa-states.csv"),
    )

    status, out = run("export_records", record_type="capa", export_format="csv", out=deviations_loaded / "out", actor="admin1")

    assert status == 0, out
    rows = {r["legacy_number"]: r for r in read_csv(deviations_loaded / "out" / "capa.csv")}
    assert rows["CA-2020-003"]["deviations"] == "DV-2020-014; DV-2020-015" and rows["CA-2019-007"]["state"] == "closed"
