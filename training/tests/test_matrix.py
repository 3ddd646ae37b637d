"""The training matrix: GET /api/training/matrix (users × programs, paged by users, filters) and
its CSV export, streamed; the query count does not grow with the page size."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import GroupFactory
from conftest import PASSWORD
from training import services
from training.models import Completion

from .factories import AssignmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(make_user, admin_user):
    """Five people, each in a different situation on "GMP basics"; "Hygiene" nobody has."""
    today = timezone.now().date()
    gmp = ProgramFactory(title="GMP basics", retraining_interval_days=365)
    hygiene = ProgramFactory(title="Hygiene")
    people = {name: make_user("User", username=name, full_name=name.capitalize()) for name in ("ada", "bo", "cy", "di", "ed")}
    AssignmentFactory(user=people["ada"], program=gmp)
    services.complete_training(actor=people["ada"], program=gmp, password=PASSWORD)  # qualified
    AssignmentFactory(user=people["bo"], program=gmp, due_date=today + datetime.timedelta(days=3))  # due soon
    AssignmentFactory(user=people["cy"], program=gmp, due_date=today - datetime.timedelta(days=1))  # overdue
    AssignmentFactory(user=people["di"], program=gmp, due_date=today + datetime.timedelta(days=60))  # assigned
    AssignmentFactory(user=people["ed"], program=gmp)
    services.complete_training(actor=people["ed"], program=gmp, password=PASSWORD)
    services.revoke_completion(actor=admin_user, completion=Completion.objects.get(user=people["ed"]), reason="Wrong person")
    team = GroupFactory(name="Team")
    team.members.add(people["ada"], people["bo"])
    return {"gmp": gmp, "hygiene": hygiene, "people": people, "team": team}


def cells(body, program) -> dict:
    return {row["user"]["username"]: next(c for c in row["cells"] if c["training_id"] == program.pk) for row in body["items"]}


def test_each_cell_shows_status_and_dates(client_for, qa_manager, scene):
    response = client_for(qa_manager).get("/api/training/matrix?page_size=100")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert [p["title"] for p in body["programs"]] == ["GMP basics", "Hygiene"]
    gmp = cells(body, scene["gmp"])
    assert {name: gmp[name]["status"] for name in scene["people"]} == {
        "ada": "qualified",
        "bo": "due_soon",
        "cy": "overdue",
        "di": "assigned",
        "ed": "assigned",  # the revoked completion reopened the assignment
    }
    assert gmp["ada"]["qualified"] is True and gmp["ada"]["completed_at"] and gmp["ada"]["expires_at"]
    assert gmp["bo"]["due_date"] and gmp["bo"]["assignment_id"]
    assert {c["status"] for c in cells(body, scene["hygiene"]).values()} == {"not_assigned"}


def test_filters_by_group_program_and_status(client_for, qa_manager, scene):
    client = client_for(qa_manager)

    def names(query):
        response = client.get(f"/api/training/matrix?{query}")
        assert response.status_code == 200, response.json()
        return sorted(row["user"]["username"] for row in response.json()["items"])

    assert names(f"group_id={scene['team'].pk}") == ["ada", "bo"]
    assert names("status=overdue") == ["cy"]
    assert names("status=due_soon") == ["bo"]
    assert names(f"status=qualified&program_id={scene['gmp'].pk}") == ["ada"]
    assert "ada" in names(f"status=not_assigned&program_id={scene['hygiene'].pk}")
    only = client.get(f"/api/training/matrix?program_id={scene['hygiene'].pk}").json()
    assert [p["title"] for p in only["programs"]] == ["Hygiene"]


def test_bad_filters_are_422_in_the_query(client_for, qa_manager, scene):
    client = client_for(qa_manager)

    for query, name in (
        ("status=fine", "status"),
        ("group_id=x", "group_id"),
        ("group_id=9999", "group_id"),
        ("page_size=500", "page_size"),
    ):
        response = client.get(f"/api/training/matrix?{query}")
        assert response.status_code == 422, query
        assert response.json()["detail"][0]["loc"] == ["query", name]


def test_users_cannot_see_other_peoples_training(client_for, basic_user, scene):
    assert client_for(basic_user).get("/api/training/matrix").status_code == 403
    assert client_for(basic_user).get("/api/training/matrix/export").status_code == 403


def test_the_query_count_does_not_grow_with_the_page_size(client_for, qa_manager, scene, make_user):
    for i in range(12):
        person = make_user("User", username=f"extra{i}")
        AssignmentFactory(user=person, program=scene["hygiene"])
    client = client_for(qa_manager)

    counts = {}
    for size in (5, 15):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/api/training/matrix?page_size={size}")
        assert len(response.json()["items"]) == size
        counts[size] = len(ctx.captured_queries)

    assert counts[5] == counts[15], counts


def test_the_csv_export_streams_one_row_per_person_and_program(client_for, qa_manager, scene):
    response = client_for(qa_manager).get(f"/api/training/matrix/export?group_id={scene['team'].pk}")

    assert response.status_code == 200
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="training-matrix-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["username"], r["training"], r["status"]) for r in rows] == [
        ("ada", "GMP basics", "qualified"),
        ("ada", "Hygiene", "not_assigned"),
        ("bo", "GMP basics", "due_soon"),
        ("bo", "Hygiene", "not_assigned"),
    ]
    assert rows[0]["qualified"] == "yes" and rows[0]["completed_at"]


def test_the_export_walks_every_user_in_chunks(scene, make_user):
    from training import selectors

    for i in range(7):
        make_user("User", username=f"zz{i}")
    programs = selectors.matrix_programs()
    users = selectors.matrix_users(programs=programs)

    streamed = [row.user.username for row in selectors.matrix_stream(users, programs, chunk_size=3)]

    assert streamed == [u.username for u in users]
    assert len(streamed) == len(set(streamed)) == users.count()
