"""The domain events of training, as notifications, webhooks or the dashboard would receive them:
one per change, after the change committed, named `training.<what happened>`, about the program,
assignment, completion or registration (named as in the audit trail), with the acting user."""

import datetime

import pytest
from django.utils import timezone

from conftest import PASSWORD
from qms.events import OutboxEvent, catalogue
from qms.events.testing import handler_registered
from training import services
from training.models import Assignment, Completion

from .factories import AssignmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db


class Subscriber:
    def __init__(self):
        self.received: list[OutboxEvent] = []

    def __call__(self, event: OutboxEvent) -> None:
        self.received.append(event)

    def names(self) -> list[str]:
        return [e.name for e in self.received]


@pytest.fixture
def training_events():
    """Receives every training.* event delivered during the test."""
    subscriber = Subscriber()
    with handler_registered("training.*", subscriber, name="test.training"):
        yield subscriber


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` delivers the events of the changes made inside, as after their commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_the_catalogue_offers_the_training_events():
    names = set(catalogue())

    assert {
        "training.assigned",
        "training.completed",
        "training.overdue",
        "training.cancelled",
        "training.revoked",
        "training.registered",
        "training.registration_updated",
        "training.registration_cancelled",
        "training.program_created",
        "training.program_updated",
        "training.program_retired",
        "training.program_deleted",
    } <= names


def test_assigning_and_completing_through_the_api_emit_one_event_per_change(
    training_events, committed, client_for, qa_user, basic_user, make_user, program
):
    colleague = make_user("User", username="colleague")
    with committed():
        assigned = client_for(qa_user).post(
            "/api/training/assign", {"training_id": program.pk, "user_ids": [basic_user.pk, colleague.pk]}, format="json"
        )
    assert assigned.status_code == 201, assigned.json()
    with committed():
        completed = client_for(basic_user).post(f"/api/training/{program.pk}/complete", {"password": PASSWORD}, format="json")
    assert completed.status_code == 200, completed.json()

    assert training_events.names() == ["training.assigned", "training.assigned", "training.completed"]
    mine = Assignment.objects.get(user=basic_user)
    [assigned_to_me] = [e for e in training_events.received[:2] if e.resource_id == mine.pk]
    assert (assigned_to_me.resource_type, assigned_to_me.actor_username) == ("training_assignment", "qa1")
    assert assigned_to_me.data == {
        "program_id": program.pk,
        "user_id": basic_user.pk,
        "document_version_id": None,
        "kind": "manual",
        "status": "assigned",
        "due_date": mine.due_date.isoformat(),
    }
    done = training_events.received[2]
    completion = Completion.objects.get()
    assert (done.resource_type, done.resource_id, done.actor_username) == ("training_completion", completion.pk, "user1")
    assert done.data == {
        "assignment_id": mine.pk,
        "program_id": program.pk,
        "user_id": basic_user.pk,
        "document_version_id": None,
        "method": "self",
        "expires_at": None,
    }


def test_the_overdue_job_emits_once_however_often_it_runs(training_events, committed, basic_user, program):
    late = AssignmentFactory(user=basic_user, program=program, due_date=timezone.now().date() - datetime.timedelta(days=1))

    with committed():
        services.mark_overdue_assignments()
        services.mark_overdue_assignments()

    [overdue] = training_events.received
    assert (overdue.name, overdue.resource_id, overdue.actor_id) == ("training.overdue", late.pk, None)
    assert overdue.data["status"] == "overdue"


def test_cancelling_and_revoking_emit_their_events(
    training_events, committed, admin_user, qa_user, basic_user, make_user, program
):
    other = make_user("User", username="other")
    to_cancel = AssignmentFactory(user=other, program=program)
    AssignmentFactory(user=basic_user, program=program)

    with committed():
        services.complete_training(actor=basic_user, program=program, password=PASSWORD)
        completion = Completion.objects.get()
        services.cancel_assignment(actor=qa_user, assignment=to_cancel, reason="Left the department")
        services.revoke_completion(actor=admin_user, completion=completion, reason="Signed for the wrong person")

    assert training_events.names() == ["training.completed", "training.cancelled", "training.revoked"]
    cancelled, revoked = training_events.received[1:]
    assert (cancelled.resource_id, cancelled.data["status"], cancelled.actor_username) == (to_cancel.pk, "cancelled", "qa1")
    assert (revoked.resource_type, revoked.resource_id) == ("training_completion", completion.pk)
    assert revoked.data["assignment_status"] == "assigned", "the assignment is open again"


def test_registration_changes_emit_their_events(training_events, committed, qa_manager, basic_user):
    session = ProgramFactory(title="Leading quality teams", requires_signature=False, instructor=qa_manager, max_participants=5)

    with committed():
        registration = services.register_for_training(actor=basic_user, program=session)
        services.update_registration(actor=qa_manager, registration=registration, status="ATTENDED")
        services.update_registration(actor=basic_user, registration=registration, feedback_score=5)
        again = services.register_for_training(actor=qa_manager, program=session)
        services.cancel_registration(actor=qa_manager, registration=again, reason="Clash for the record")

    assert training_events.names() == [
        "training.registered",
        "training.registration_updated",
        "training.registration_updated",
        "training.registered",
        "training.registration_cancelled",
    ]
    attended, feedback = training_events.received[1:3]
    assert attended.data == {
        "program_id": session.pk,
        "user_id": basic_user.pk,
        "status": "ATTENDED",
        "fields": ["attended_at", "status"],
    }
    assert feedback.data["fields"] == ["feedback_score"] and feedback.actor_username == "user1"


def test_a_programs_life_emits_created_updated_retired_and_deleted(training_events, committed, admin_user, basic_user):
    with committed():
        kept = services.create_program(actor=admin_user, data={"title": "GMP basics", "category": "GMP", "status": "PUBLISHED"})
        services.update_program(actor=admin_user, program=kept, data={"credits": 2}, reason="Accredited", row_version=1)
        AssignmentFactory(user=basic_user, program=kept)
        services.retire_program(actor=admin_user, program=kept, reason="Replaced for the record")
        draft = services.create_program(actor=admin_user, data={"title": "Never used", "category": "TECHNICAL"})
        services.delete_or_retire_program(actor=admin_user, program=draft, reason="Created by mistake")

    assert training_events.names() == [
        "training.program_created",
        "training.program_updated",
        "training.cancelled",  # retiring cancels the open assignments
        "training.program_retired",
        "training.program_created",
        "training.program_deleted",
    ]
    updated, _, retired, _, deleted = training_events.received[1:]
    assert updated.data["fields"] == ["credits"]
    assert retired.data == {"title": "GMP basics", "category": "GMP", "status": "RETIRED"}
    assert (deleted.resource_type, deleted.resource_id, deleted.data["title"]) == ("training_program", draft.pk, "Never used")


def test_a_use_case_that_fails_emits_nothing(training_events, committed, qa_user, basic_user, program):
    from qms.errors import Conflict

    draft = ProgramFactory(title="Not yet", status="DRAFT")

    with committed(), pytest.raises(Conflict):
        services.bulk_assign(actor=qa_user, programs=[program, draft], users=[basic_user])

    assert training_events.received == [] and not OutboxEvent.objects.filter(name__startswith="training.").exists()
