"""manage.py import_users: accounts from the HR list, never with a password."""

import pytest
from rest_framework.test import APIClient

from accounts import services as accounts
from accounts.models import Group, User
from accounts.tests.factories import DEFAULT_PASSWORD
from audit.models import AuditEvent
from imports.models import ImportRun, RunStatus

from .helpers import audit_count, error_rows, run, sample

pytestmark = pytest.mark.django_db


def sign_in(username, password):
    return APIClient().post("/api/auth/token", {"username": username, "password": password}, format="json")


@pytest.mark.requirement("QMS-IMPORTS")
def test_users_are_created_with_roles_and_groups_and_every_audit_event_names_the_run_and_row(tmp_path, admin_user):
    path = sample(tmp_path, "users.csv")

    status, out = run("import_users", path, actor="admin1", create_groups=True)

    assert status == 0, out
    jane = User.objects.get(username="jdoe")
    assert (jane.email, jane.full_name, jane.role.name, jane.department) == (
        "jane.doe@example.com",
        "Jane Doe",
        "User",
        "Production",
    )
    assert set(Group.objects.filter(members=jane).values_list("name", flat=True)) == {"Production", "Night shift"}
    assert User.objects.get(username="oleft").is_active is False
    run_row = ImportRun.objects.get()
    assert (run_row.kind, run_row.status, run_row.total_rows, run_row.created_count, run_row.failed_count) == (
        "users",
        RunStatus.SUCCEEDED,
        4,
        4,
        0,
    )
    assert run_row.started_by == admin_user and run_row.source_name == "users.csv" and len(run_row.source_sha256) == 64
    created = AuditEvent.objects.get(resource_type="user", resource_id=jane.pk, action="create")
    assert created.context == {"import_run": run_row.pk, "source": "users.csv", "row": 2}
    assert created.actor_id == admin_user.pk
    assert "Import run" in out and "4 created" in out


@pytest.mark.requirement("QMS-IMPORTS", "21CFR11.300(b)")
def test_imported_users_cannot_sign_in_until_an_administrator_sets_a_first_password_they_must_change(tmp_path, admin_user):
    run("import_users", sample(tmp_path, "users.csv"), actor="admin1", create_groups=True)
    jane = User.objects.get(username="jdoe")
    assert not jane.has_usable_password() and jane.password_change_required

    for guess in ("!", "password", "jdoe"):
        assert sign_in("jdoe", guess).status_code == 401

    accounts.set_password(
        actor=admin_user,
        user=jane,
        new_password="Temp-Passw0rd-2026",
        reason="First password after import",
        password=DEFAULT_PASSWORD,
    )
    response = sign_in("jdoe", "Temp-Passw0rd-2026")
    assert response.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")
    blocked = client.get("/api/documents/")
    assert blocked.status_code == 403 and blocked.json()["error_code"] == "PASSWORD_CHANGE_REQUIRED"


@pytest.mark.requirement("QMS-IMPORTS")
def test_dry_run_changes_nothing(tmp_path, admin_user):
    users, groups, events = User.objects.count(), Group.objects.count(), audit_count()

    status, out = run("import_users", sample(tmp_path, "users.csv"), actor="admin1", create_groups=True, dry_run=True)

    assert status == 0, out
    assert "Dry run" in out and "4 created" in out
    assert (User.objects.count(), Group.objects.count(), audit_count(), ImportRun.objects.count()) == (users, groups, events, 0)


@pytest.mark.requirement("QMS-IMPORTS")
def test_good_rows_load_and_each_bad_row_is_reported_with_its_row_and_field(tmp_path, admin_user):
    path = sample(tmp_path, "users-with-errors.csv")

    status, out = run("import_users", path, actor="admin1")

    assert status == 1
    assert set(User.objects.filter(username__in=["agood", "egood", "cbad", "dbad"]).values_list("username", flat=True)) == {
        "agood",
        "egood",
    }
    run_row = ImportRun.objects.get()
    assert (run_row.created_count, run_row.failed_count, run_row.status) == (2, 3, RunStatus.FAILED_ROWS)
    report = error_rows(tmp_path / f"users-with-errors.errors-run{run_row.pk}.csv")
    assert [(r["row"], r["field"]) for r in report] == [("3", "username"), ("4", "role"), ("5", "active")]
    assert "Wizard" in report[1]["message"]
    assert run_row.error_report  # a stored copy for the import-runs page


@pytest.mark.requirement("QMS-IMPORTS")
def test_rerun_is_idempotent_and_updates_only_what_changed(tmp_path, admin_user):
    path = sample(tmp_path, "users.csv")
    run("import_users", path, actor="admin1", create_groups=True)
    events = audit_count()

    status, out = run("import_users", path, actor="admin1", create_groups=True)

    assert status == 0 and "4 skipped" in out
    assert audit_count() == events + 2  # only the second run's start and finish
    path.write_text(path.read_text().replace("Jane Doe", "Jane Doe-Miller"))
    status, out = run("import_users", path, actor="admin1", create_groups=True)
    assert "1 updated" in out and User.objects.get(username="jdoe").full_name == "Jane Doe-Miller"


def test_excel_csv_with_bom_and_semicolons_is_read(tmp_path, admin_user):
    status, out = run("import_users", sample(tmp_path, "users-excel-de.csv"), actor="admin1", create_groups=True)

    assert status == 0, out
    assert "delimiter ';'" in out
    assert User.objects.get(username="kweiß").full_name == "Konrad Weiß"
    assert Group.objects.filter(name="Produktion", members__username="mmüller").exists()


def test_the_accountable_user_needs_the_permissions_of_the_services(tmp_path, qa_user):
    status, out = run("import_users", sample(tmp_path, "users.csv"), actor="qa1")

    assert status == 1 and "imports.run" in out
    assert not User.objects.filter(username="jdoe").exists()
