"""Assigning training: POST /api/training/assign (users and groups, expanded to their members at
that moment, skipping people who already hold an open assignment) and POST /api/training/bulk-assign
(the cross product in one transaction; 422 naming every unknown id, nothing created)."""

import datetime

import pytest
from django.utils import timezone

from accounts.tests.factories import GroupFactory
from audit.models import AuditEvent
from qms.errors import PermissionDenied
from training import services
from training.models import Assignment, ProgramStatus

from .factories import AssignmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def line_team(make_user):
    group = GroupFactory(name="Filling line")
    members = [make_user("User", username=f"filler{i}") for i in range(3)]
    group.members.add(*members)
    return group, members


def assign(client, **body):
    return client.post("/api/training/assign", body, format="json")


def test_groups_are_expanded_to_their_members_at_assignment_time(client_for, qa_user, program, line_team, make_user):
    group, members = line_team
    direct = make_user("User", username="direct")

    response = assign(client_for(qa_user), training_id=program.pk, user_ids=[direct.pk, members[0].pk], group_ids=[group.pk])

    assert response.status_code == 201, response.json()
    body = response.json()
    assert sorted(a["user"]["username"] for a in body["created"]) == ["direct", "filler0", "filler1", "filler2"]
    assert body["skipped"] == []
    # Joining the group later does not bring the assignment along.
    latecomer = make_user("User", username="latecomer")
    group.members.add(latecomer)
    assert not Assignment.objects.filter(user=latecomer).exists()
    due = timezone.now().date() + datetime.timedelta(days=program.default_due_days)
    assert {a["due_date"] for a in body["created"]} == {due.isoformat()}
    via = dict(Assignment.objects.values_list("user__username", "via_group__name"))
    assert via == {"direct": None, "filler0": None, "filler1": "Filling line", "filler2": "Filling line"}
    assert AuditEvent.objects.filter(action="assign", actor_id=qa_user.pk).count() == 4


def test_people_with_an_open_assignment_are_skipped_and_reported(client_for, qa_user, program, line_team):
    group, members = line_team
    held = AssignmentFactory(user=members[1], program=program)

    body = assign(client_for(qa_user), training_id=program.pk, group_ids=[group.pk]).json()

    assert [a["user"]["username"] for a in body["created"]] == ["filler0", "filler2"]
    assert body["skipped"] == [
        {
            "user": {"id": members[1].pk, "username": "filler1", "full_name": members[1].full_name},
            "reason": "Already holds an open assignment of this program",
            "assignment_id": held.pk,
        }
    ]


def test_deactivated_members_are_not_assigned(client_for, qa_user, program, line_team):
    group, members = line_team
    members[0].is_active = False
    members[0].save()

    body = assign(client_for(qa_user), training_id=program.pk, group_ids=[group.pk]).json()

    assert sorted(a["user"]["username"] for a in body["created"]) == ["filler1", "filler2"]


def test_unknown_ids_are_422_naming_each(client_for, qa_user, program, line_team):
    group, members = line_team

    response = assign(client_for(qa_user), training_id=program.pk, user_ids=[members[0].pk, 99999], group_ids=[88888])

    assert response.status_code == 422
    locs = {tuple(item["loc"]) for item in response.json()["detail"]}
    assert locs == {("body", "user_ids", 1), ("body", "group_ids", 0)}
    assert not Assignment.objects.exists()


def test_bad_bodies_are_422_with_loc(client_for, qa_user, program):
    client = client_for(qa_user)

    nobody = assign(client, training_id=program.pk)
    bad_date = assign(client, training_id=program.pk, user_ids=[qa_user.pk], due_date="tomorrow")
    bad_ids = assign(client, training_id="x", user_ids=["a"])

    assert nobody.status_code == 422 and nobody.json()["detail"][0]["loc"] == ["body", "user_ids"]
    assert bad_date.status_code == 422 and bad_date.json()["detail"][0]["loc"] == ["body", "due_date"]
    assert {tuple(i["loc"]) for i in bad_ids.json()["detail"]} == {("body", "training_id"), ("body", "user_ids", 0)}


def test_unknown_program_is_404_and_a_draft_is_409(client_for, qa_user):
    client = client_for(qa_user)
    draft = ProgramFactory(status=ProgramStatus.DRAFT)

    assert assign(client, training_id=424242, user_ids=[qa_user.pk]).status_code == 404
    response = assign(client, training_id=draft.pk, user_ids=[qa_user.pk])
    assert response.status_code == 409 and response.json()["error_code"] == "PROGRAM_NOT_ASSIGNABLE"


def test_a_due_date_in_the_past_makes_the_assignment_overdue(client_for, qa_user, basic_user, program):
    yesterday = timezone.now().date() - datetime.timedelta(days=1)

    body = assign(client_for(qa_user), training_id=program.pk, user_ids=[basic_user.pk], due_date=yesterday.isoformat()).json()

    assert body["created"][0]["status"] == "overdue"


def test_users_cannot_assign_and_the_service_checks_it_too(client_for, basic_user, program):
    assert assign(client_for(basic_user), training_id=program.pk, user_ids=[basic_user.pk]).status_code == 403
    with pytest.raises(PermissionDenied):
        services.assign_training(actor=basic_user, program=program, users=[basic_user])
    assert not Assignment.objects.exists()


def test_bulk_assign_makes_the_cross_product(client_for, qa_user, line_team, make_user):
    group, members = line_team
    extra = make_user("User", username="extra")
    programs = [ProgramFactory(title="GMP basics"), ProgramFactory(title="Hygiene")]

    response = client_for(qa_user).post(
        "/api/training/bulk-assign",
        {"training_ids": [p.pk for p in programs], "user_ids": [extra.pk], "group_ids": [group.pk]},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["created_total"] == 8
    assert Assignment.objects.count() == 8
    assert [r["training"]["title"] for r in response.json()["results"]] == ["GMP basics", "Hygiene"]


def test_bulk_assign_names_every_unknown_id_and_creates_nothing(client_for, qa_user, basic_user, program):
    response = client_for(qa_user).post(
        "/api/training/bulk-assign",
        {"training_ids": [program.pk, 777, 778], "user_ids": [basic_user.pk, 999], "group_ids": [555]},
        format="json",
    )

    assert response.status_code == 422
    locs = {tuple(item["loc"]) for item in response.json()["detail"]}
    assert locs == {
        ("body", "training_ids", 1),
        ("body", "training_ids", 2),
        ("body", "user_ids", 1),
        ("body", "group_ids", 0),
    }
    assert not Assignment.objects.exists()


def test_bulk_assign_is_all_or_nothing(client_for, qa_user, basic_user, program):
    draft = ProgramFactory(status=ProgramStatus.DRAFT)

    response = client_for(qa_user).post(
        "/api/training/bulk-assign", {"training_ids": [program.pk, draft.pk], "user_ids": [basic_user.pk]}, format="json"
    )

    assert response.status_code == 409
    assert not Assignment.objects.exists()
    assert not AuditEvent.objects.filter(action="assign").exists()


def test_cancelling_an_assignment_needs_a_reason(client_for, qa_user, basic_user, program):
    assignment = AssignmentFactory(user=basic_user, program=program)
    client = client_for(qa_user)

    without = client.post(f"/api/training/assignments/{assignment.pk}/cancel", {}, format="json")
    cancelled = client.post(f"/api/training/assignments/{assignment.pk}/cancel", {"reason": "Left the line"}, format="json")
    again = client.post(f"/api/training/assignments/{assignment.pk}/cancel", {"reason": "Again for the record"}, format="json")

    assert without.status_code == 422
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancel_reason"] == "Left the line"
    assert again.status_code == 409 and again.json()["error_code"] == "ASSIGNMENT_CLOSED"
