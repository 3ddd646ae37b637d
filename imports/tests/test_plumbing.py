"""What every import command shares: reading, batches, progress, exit status, the runs page."""

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook

from accounts.models import User
from imports.loaders.users import UserLoader
from imports.models import ImportRun
from imports.reading import Table
from imports.runner import run_import

from .helpers import error_rows, run, sample, write

pytestmark = pytest.mark.django_db

USERS = "username,full_name,role\nanna,Anna Ärger,User\nbernd,Bernd Öl,User\n"


@pytest.mark.parametrize(
    ("encoding", "delimiter", "bom"),
    [("utf-8", ",", b""), ("utf-8", ";", b"\xef\xbb\xbf"), ("cp1252", ";", b""), ("utf-16", "\t", b"")],
)
def test_csv_encodings_and_delimiters_are_detected(tmp_path, encoding, delimiter, bom):
    path = tmp_path / "users.csv"
    path.write_bytes(bom + USERS.replace(",", delimiter).encode(encoding))

    table = Table(path)

    assert table.delimiter == delimiter
    assert [r.values for r in table.rows()][0] == {"username": "anna", "full_name": "Anna Ärger", "role": "User"}


def test_xlsx_files_are_read_with_dates_and_numbers_as_text(tmp_path, admin_user):
    import datetime

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Username", "Full name", "Role", "Active"])
    sheet.append(["xuser", "X User", "User", True])
    sheet.append([None, None, None, None])
    sheet.append(["yuser", "Y User", "User", 0])
    sheet.append(["when", datetime.datetime(2020, 1, 2), 12.0, None])
    workbook.save(tmp_path / "users.xlsx")

    rows = list(Table(tmp_path / "users.xlsx").rows())
    assert [r.number for r in rows] == [2, 4, 5]
    assert rows[2].values == {"username": "when", "full_name": "2020-01-02", "role": "12", "active": ""}

    status, out = run("import_users", tmp_path / "users.xlsx", actor="admin1")
    assert status == 1  # "when" has an unknown role 12
    assert User.objects.get(username="xuser").is_active and not User.objects.get(username="yuser").is_active


def test_a_failing_row_never_undoes_the_other_rows_of_its_batch(tmp_path, admin_user):
    path = sample(tmp_path, "users-with-errors.csv")

    status, out = run("import_users", path, actor="admin1", batch_size=50)

    assert status == 1
    assert set(User.objects.filter(username__in=["agood", "egood"]).values_list("username", flat=True)) == {"agood", "egood"}
    assert ImportRun.objects.get().failed_count == 3


def test_missing_columns_stop_the_import_before_any_row(tmp_path, admin_user):
    status, out = run("import_users", write(tmp_path, "u.csv", "name,mail\nx,y\n"), actor="admin1")
    assert status == 1 and "Missing column 'username'" in out
    assert ImportRun.objects.count() == 0


def test_progress_is_plain_lines_without_a_terminal_and_a_bar_on_one(tmp_path, admin_user):
    rows = "username\n" + "".join(f"p{n}\n" for n in range(20))
    path = write(tmp_path, "many.csv", rows)
    out = io.StringIO()
    result = run_import(
        loader=UserLoader(actor=admin_user, options={"file": str(path)}),
        path=path,
        actor=admin_user,
        command="test",
        batch_size=7,
        stdout=out,
        progress_bar=False,
    )
    lines = [line for line in out.getvalue().splitlines() if line.startswith("users:")]
    assert lines[:3] == ["users: 1/20 rows (5%)", "users: 2/20 rows (10%)", "users: 4/20 rows (20%)"]
    assert lines[-1] == "users: 20/20 rows (100%)" and len(lines) == 11
    assert result.counts["created"] == 20 and result.ok

    err = io.StringIO()
    import sys

    stderr, sys.stderr = sys.stderr, err
    try:
        run_import(
            loader=UserLoader(actor=admin_user, options={"file": str(path)}),
            path=path,
            actor=admin_user,
            command="test",
            stdout=io.StringIO(),
            progress_bar=True,
        )
    finally:
        sys.stderr = stderr
    assert "20/20" in err.getvalue() and "row" in err.getvalue()


def test_the_command_line_and_the_file_are_recorded_on_the_run(tmp_path, admin_user):
    path = sample(tmp_path, "users.csv")
    run("import_users", path, actor="admin1", create_groups=True, batch_size=2)

    run_row = ImportRun.objects.get()
    assert run_row.command.startswith("manage.py import_users ") and "--create-groups" in run_row.command
    assert "--batch-size 2" in run_row.command and run_row.source_size == path.stat().st_size


def test_the_runs_page_lists_runs_and_offers_the_error_report_to_admins_only(tmp_path, client, admin_user, basic_user):
    run("import_users", sample(tmp_path, "users-with-errors.csv"), actor="admin1")
    run_row = ImportRun.objects.get()

    client.force_login(admin_user)
    page = client.get(reverse("imports:list"))
    assert page.status_code == 200
    assert "users-with-errors.csv" in page.content.decode() and f"error-report-{run_row.pk}" in page.content.decode()
    detail = client.get(reverse("imports:detail", args=[run_row.pk]))
    assert detail.status_code == 200 and f"?import_run={run_row.pk}" in detail.content.decode()
    download = client.get(reverse("imports:error_report", args=[run_row.pk]))
    assert download.status_code == 200
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0] == "row,field,message" and len(body.splitlines()) == 4

    client.force_login(basic_user)
    assert client.get(reverse("imports:list")).status_code == 403
    assert client.get(reverse("imports:error_report", args=[run_row.pk])).status_code == 403


def test_error_report_rows_match_the_summary(tmp_path, admin_user):
    path = sample(tmp_path, "users-with-errors.csv")
    status, out = run("import_users", path, actor="admin1", dry_run=True)
    assert status == 1 and "3 failed" in out
    assert len(error_rows(tmp_path / "users-with-errors.errors-dry-run.csv")) == 3
