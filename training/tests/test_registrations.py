"""Registrations (seed 002): register, capacity, already registered, status updates by the
instructor (attendance completes the linked assignment), feedback 1–5 by the participant, cancel."""

import pytest

from audit.models import AuditEvent
from training.models import Assignment, Completion, Registration

from .factories import AssignmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def instructor(make_user):
    return make_user("User", username="trainer", full_name="Tess Trainer")


@pytest.fixture
def session(instructor):
    return ProgramFactory(
        title="Leading teams", category="LEADERSHIP", requires_signature=False, max_participants=2, instructor=instructor
    )


def register(client, program, **extra):
    return client.post("/api/training/registrations", {"training_id": program.pk, **extra}, format="json")


def test_registering_takes_a_seat_and_a_full_session_is_409(client_for, session, make_user):
    people = [make_user("User", username=f"p{i}") for i in range(3)]

    first = register(client_for(people[0]), session)
    second = register(client_for(people[1]), session)
    third = register(client_for(people[2]), session)

    assert first.status_code == 201, first.json()
    body = first.json()
    assert (body["user_id"], body["training_id"], body["status"]) == (people[0].pk, session.pk, "REGISTERED")
    assert body["attended_at"] is None and body["completion_date"] is None and body["feedback_score"] is None
    assert second.status_code == 201
    assert third.status_code == 409 and third.json()["error_code"] == "SESSION_FULL"
    assert AuditEvent.objects.filter(action="register").count() == 2


def test_registering_twice_is_409_and_after_cancelling_one_may_register_again(client_for, session, basic_user):
    client = client_for(basic_user)
    first = register(client, session).json()

    twice = register(client, session)
    cancelled = client.delete(f"/api/training/registrations/{first['id']}")
    cancel_again = client.delete(f"/api/training/registrations/{first['id']}")
    again = register(client, session)

    assert twice.status_code == 409 and twice.json()["error_code"] == "ALREADY_REGISTERED"
    assert cancelled.status_code == 200
    assert Registration.objects.get(pk=first["id"]).status == "CANCELLED"
    assert cancel_again.status_code == 409
    assert again.status_code == 201


def test_unknown_or_draft_programs_cannot_be_registered_for(client_for, basic_user):
    from training.models import ProgramStatus

    draft = ProgramFactory(status=ProgramStatus.DRAFT)
    client = client_for(basic_user)

    assert client.post("/api/training/registrations", {"training_id": 31337}, format="json").status_code == 404
    assert register(client, draft).status_code == 404  # drafts are not visible to users
    bad = client.post("/api/training/registrations", {"training_id": "one"}, format="json")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "training_id"]


def test_attendance_marked_by_the_instructor_completes_the_linked_assignment(client_for, session, instructor, basic_user):
    assignment = AssignmentFactory(user=basic_user, program=session)
    registration = register(client_for(basic_user), session).json()

    response = client_for(instructor).put(
        f"/api/training/registrations/{registration['id']}", {"status": "ATTENDED"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ATTENDED" and response.json()["attended_at"]
    assert response.json()["assignment_completed"] is True
    assignment.refresh_from_db()
    assert assignment.status == "completed"
    completion = Completion.objects.get(assignment=assignment)
    assert completion.method == "attendance" and completion.recorded_by == instructor


def test_attendance_does_not_sign_for_a_program_that_needs_the_trainees_signature(client_for, instructor, basic_user):
    signed = ProgramFactory(title="Aseptic technique", instructor=instructor, requires_signature=True)
    AssignmentFactory(user=basic_user, program=signed)
    registration = register(client_for(basic_user), signed).json()

    response = client_for(instructor).put(
        f"/api/training/registrations/{registration['id']}", {"status": "COMPLETED"}, format="json"
    )

    assert response.json()["assignment_completed"] is False
    assert response.json()["completion_date"]
    assert Assignment.objects.get(user=basic_user).status == "assigned"


def test_participants_do_not_mark_their_own_attendance(client_for, session, basic_user):
    registration = register(client_for(basic_user), session).json()

    response = client_for(basic_user).put(
        f"/api/training/registrations/{registration['id']}", {"status": "ATTENDED"}, format="json"
    )

    assert response.status_code == 403


def test_feedback_is_1_to_5_after_attending(client_for, session, instructor, basic_user):
    client = client_for(basic_user)
    registration = register(client, session).json()
    url = f"/api/training/registrations/{registration['id']}"

    too_early = client.put(url, {"feedback_score": 4}, format="json")
    client_for(instructor).put(url, {"status": "ATTENDED"}, format="json")
    out_of_range = client.put(url, {"feedback_score": 6}, format="json")
    given = client.put(url, {"feedback_score": 4}, format="json")

    assert too_early.status_code == 409 and too_early.json()["error_code"] == "NOT_ATTENDED"
    assert out_of_range.status_code == 422 and out_of_range.json()["detail"][0]["loc"] == ["body", "feedback_score"]
    assert given.status_code == 200 and given.json()["feedback_score"] == 4


def test_the_list_shows_ones_own_and_ones_sessions_or_everything_with_the_scope(
    client_for, session, instructor, qa_user, make_user
):
    a, b = make_user("User", username="a"), make_user("User", username="b")
    other_program = ProgramFactory(title="Other", requires_signature=False)
    register(client_for(a), session)
    register(client_for(b), other_program)

    def users(client, query=""):
        return sorted(r["user"]["username"] for r in client.get(f"/api/training/registrations/{query}").json()["items"])

    assert users(client_for(a)) == ["a"]
    assert users(client_for(instructor)) == ["a"]
    assert users(client_for(qa_user)) == ["a", "b"]
    assert users(client_for(qa_user), f"?training_id={other_program.pk}") == ["b"]
    assert users(client_for(qa_user), "?status=CANCELLED") == []
    assert client_for(b).get(f"/api/training/registrations/{Registration.objects.get(user=a).pk}").status_code == 404


def test_someone_else_is_registered_only_with_training_assign(client_for, session, qa_user, basic_user, make_user):
    colleague = make_user("User", username="colleague")

    by_user = register(client_for(basic_user), session, user_id=colleague.pk)
    by_qa = register(client_for(qa_user), session, user_id=colleague.pk)

    assert by_user.status_code == 403
    assert by_qa.status_code == 201 and by_qa.json()["user_id"] == colleague.pk
    unknown = register(client_for(qa_user), session, user_id=987654)
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "user_id"]
