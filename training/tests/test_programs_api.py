"""The program catalogue: GET|POST /api/training/, GET|PUT|DELETE /api/training/{id},
POST /api/training/{id}/retire."""

import pytest

from audit.models import AuditEvent
from training.models import ProgramStatus, TrainingProgram

from .factories import AssignmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db

NEW_PROGRAM = {
    "title": "Security awareness",
    "description": "Phishing, passwords, clean desk",
    "category": "SECURITY",
    "level": "BEGINNER",
    "status": "PUBLISHED",
    "duration_minutes": 120,
    "credits": 2,
    "max_participants": 50,
}


def test_a_manager_creates_a_program_and_gets_it_back_as_seed_000_describes(client_for, qa_manager, basic_user):
    client = client_for(qa_manager)
    created = client.post("/api/training/", {**NEW_PROGRAM, "instructor_id": qa_manager.pk}, format="json")

    assert created.status_code == 201, created.json()
    body = created.json()
    for key, value in NEW_PROGRAM.items():
        assert body[key] == value
    assert body["instructor_id"] == qa_manager.pk
    assert body["requires_signature"] is False  # not GMP or SOP
    assert body["created_at"].endswith("Z") and body["row_version"] == 1
    detail = client_for(basic_user).get(f"/api/training/{body['id']}")
    assert detail.status_code == 200 and detail.json()["title"] == "Security awareness"
    event = AuditEvent.objects.get(action="create", resource_type="training_program")
    assert event.new_values["title"] == "Security awareness" and event.actor_id == qa_manager.pk


def test_gmp_and_sop_programs_need_a_signature_by_default(client_for, qa_manager):
    client = client_for(qa_manager)

    gmp = client.post("/api/training/", {"title": "GMP basics", "category": "GMP"}, format="json").json()
    explicit = client.post("/api/training/", {"title": "SOP tour", "category": "SOP", "requires_signature": False}).json()

    assert gmp["requires_signature"] is True and gmp["status"] == "DRAFT"
    assert explicit["requires_signature"] is False


def test_bad_bodies_are_422_with_loc(client_for, qa_manager):
    client = client_for(qa_manager)

    response = client.post("/api/training/", {"category": "COOKING", "duration_minutes": -5, "status": "RETIRED"}, format="json")

    assert response.status_code == 422
    locs = {tuple(i["loc"]) for i in response.json()["detail"]}
    assert locs == {("body", "title"), ("body", "category"), ("body", "duration_minutes"), ("body", "status")}


def test_users_cannot_create_and_do_not_see_drafts(client_for, basic_user):
    ProgramFactory(title="Published one")
    draft = ProgramFactory(title="Draft one", status=ProgramStatus.DRAFT)
    client = client_for(basic_user)

    assert client.post("/api/training/", NEW_PROGRAM, format="json").status_code == 403
    titles = [p["title"] for p in client.get("/api/training/").json()["items"]]
    assert titles == ["Published one"]
    assert client.get(f"/api/training/{draft.pk}").status_code == 404


def test_list_filters_and_sorting(client_for, qa_manager):
    ProgramFactory(title="Aseptic technique", category="GMP", level="ADVANCED", instructor=qa_manager)
    ProgramFactory(title="Leading teams", category="LEADERSHIP", description="For new supervisors")
    ProgramFactory(title="Cleanroom gowning", category="GMP", status=ProgramStatus.DRAFT)
    client = client_for(qa_manager)

    def titles(query):
        response = client.get(f"/api/training/?{query}")
        assert response.status_code == 200, response.json()
        return [p["title"] for p in response.json()["items"]]

    assert titles("category=GMP") == ["Aseptic technique", "Cleanroom gowning"]
    assert titles("level=ADVANCED") == ["Aseptic technique"]
    assert titles("status=DRAFT") == ["Cleanroom gowning"]
    assert titles("search=supervisors") == ["Leading teams"]
    assert titles(f"instructor_id={qa_manager.pk}") == ["Aseptic technique"]
    assert titles("sort=title desc") == ["Leading teams", "Cleanroom gowning", "Aseptic technique"]
    bad = client.get("/api/training/?category=COOKING")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "category"]


def test_update_needs_a_reason_and_the_current_row_version(client_for, qa_manager):
    program = ProgramFactory(title="GMP basics")
    client = client_for(qa_manager)

    without_reason = client.put(f"/api/training/{program.pk}", {"title": "GMP fundamentals"}, format="json")
    updated = client.put(
        f"/api/training/{program.pk}", {"title": "GMP fundamentals", "reason": "Clearer title", "row_version": 1}, format="json"
    )
    stale = client.put(f"/api/training/{program.pk}", {"credits": 3, "reason": "More credits", "row_version": 1}, format="json")

    assert without_reason.status_code == 422 and without_reason.json()["detail"][0]["loc"] == ["body", "reason"]
    assert updated.status_code == 200 and updated.json()["title"] == "GMP fundamentals"
    assert updated.json()["row_version"] == 2
    assert stale.status_code == 409 and stale.json()["error_code"] == "VERSION_CONFLICT"
    event = AuditEvent.objects.get(action="update", resource_type="training_program")
    assert event.old_values == {"title": "GMP basics"} and event.new_values == {"title": "GMP fundamentals"}
    assert event.reason == "Clearer title"


def test_a_program_in_use_does_not_go_back_to_draft(client_for, qa_manager, basic_user):
    program = ProgramFactory()
    AssignmentFactory(program=program, user=basic_user)

    response = client_for(qa_manager).put(
        f"/api/training/{program.pk}", {"status": "DRAFT", "reason": "Rework for the record"}, format="json"
    )

    assert response.status_code == 409 and response.json()["error_code"] == "PROGRAM_IN_USE"


def test_retiring_cancels_open_assignments_and_keeps_the_program(client_for, qa_manager, basic_user):
    program = ProgramFactory()
    assignment = AssignmentFactory(program=program, user=basic_user)
    client = client_for(qa_manager)

    retired = client.post(f"/api/training/{program.pk}/retire", {"reason": "Replaced by the new course"}, format="json")
    again = client.post(f"/api/training/{program.pk}/retire", {"reason": "Again for the record"}, format="json")
    edit = client.put(f"/api/training/{program.pk}", {"title": "x", "reason": "y for the record"}, format="json")

    assert retired.status_code == 200 and retired.json()["status"] == "RETIRED"
    assert again.status_code == 409 and again.json()["error_code"] == "ALREADY_RETIRED"
    assert edit.status_code == 409 and edit.json()["error_code"] == "PROGRAM_RETIRED"
    assignment.refresh_from_db()
    assert assignment.status == "cancelled" and "Replaced by the new course" in assignment.cancel_reason


def test_delete_removes_a_program_without_history_and_retires_one_with_history(client_for, qa_manager, basic_user):
    unused = ProgramFactory(title="Never used")
    used = ProgramFactory(title="Used")
    AssignmentFactory(program=used, user=basic_user)
    client = client_for(qa_manager)

    deleted = client.delete(f"/api/training/{unused.pk}")
    no_reason = client.delete(f"/api/training/{used.pk}")
    retired = client.delete(f"/api/training/{used.pk}?reason=Course withdrawn")

    assert deleted.status_code == 200 and deleted.json()["outcome"] == "deleted"
    assert not TrainingProgram.objects.filter(pk=unused.pk).exists()
    assert AuditEvent.objects.filter(action="delete", resource_type="training_program", resource_id=unused.pk).exists()
    assert no_reason.status_code == 422
    assert retired.status_code == 200 and retired.json()["outcome"] == "retired"
    assert TrainingProgram.objects.get(pk=used.pk).status == "RETIRED"


@pytest.mark.parametrize(
    "path",
    [
        "/api/training/abc",
        "/api/training/12abc",
        "/api/training/assignments/abc",
        "/api/training/completions/x1",
        "/api/training/registrations/abc",
        "/api/training/999999",
    ],
)
def test_unknown_and_non_numeric_ids_are_404_in_json(client_for, qa_manager, path):
    response = client_for(qa_manager).get(path)

    assert response.status_code == 404
    assert response.json()["error_code"] == "NOT_FOUND"
