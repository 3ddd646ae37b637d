"""Read-and-understood on document revisions: when a version becomes effective (the workflow
engine's `document.effective` event, delivered through the outbox after the change committed), its
training audience gets an assignment for exactly that version; open ones for the superseded version
are cancelled with a reason; a redelivered event or calling the service again changes nothing."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import GroupFactory
from audit.models import AuditEvent
from conftest import PASSWORD
from documents.models import Document, DocumentType
from documents.tests.factories import DocumentFactory, pdf_content
from qms.events import EventDelivery, OutboxEvent
from training import handlers, selectors, services
from training.models import Assignment, AssignmentKind, AssignmentStatus, TrainingAudience, TrainingProgram

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(make_user):
    group = GroupFactory(name="Production")
    operators = [make_user("User", username=f"operator{i}", full_name=f"Operator {i}") for i in range(3)]
    group.members.add(*operators)
    return group, operators


@pytest.fixture
def sop_audience(admin_user, production):
    group, _ = production
    return services.set_training_audience(
        actor=admin_user, document_type=DocumentType.objects.get(code="SOP"), groups=[group], due_days=10
    )


def test_a_revision_made_effective_through_the_api_assigns_the_audience_and_cancels_the_old_items(
    sop_audience, production, client_for, make_user, django_capture_on_commit_callbacks
):
    _, (done, pending, third) = production
    author = make_user("QA", username="sop.author")
    manager, reviewer = make_user("QA Manager", username="sop.manager"), make_user("QA", username="sop.reviewer")
    with django_capture_on_commit_callbacks(execute=True):  # events are delivered after each commit
        document = DocumentFactory(state="effective", author=author, approvers=[manager, reviewer])
    first = document.effective_version
    assert Assignment.objects.filter(document_version=first, status="assigned").count() == 3, "v1.0 rolled out"
    program = TrainingProgram.objects.get(read_and_understood_document=document)
    assert client_for(done).post(f"/api/training/{program.pk}/complete", {"password": PASSWORD}, format="json").status_code == 200

    def api(user, path, body, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(user).post(f"/api/documents/{document.pk}/{path}", body, **kwargs)
        assert response.status_code in (200, 201), response.json()
        return response.json()

    revised = {"file": SimpleUploadedFile("revised.pdf", pdf_content("Revised")), "change_summary": "Step 4 added"}
    assert api(author, "versions", revised, format="multipart")["version"] == "2.0"
    api(author, "transition", {"transition": "submit"}, format="json")
    api(manager, "approve", {"password": PASSWORD}, format="json")
    api(reviewer, "approve", {"password": PASSWORD}, format="json")
    assert api(author, "transition", {"transition": "make_effective"}, format="json")["status"] == "effective"

    second = Document.objects.get(pk=document.pk).effective_version
    assert second.version == "2.0"
    assert Assignment.objects.filter(document_version=second, status="assigned").count() == 3
    cancelled = Assignment.objects.filter(document_version=first, status="cancelled")
    assert {a.user for a in cancelled} == {pending, third}
    assert {a.cancel_reason for a in cancelled} == {f"{document.number} version 1.0 was superseded by version 2.0"}
    assert Assignment.objects.get(document_version=first, user=done).status == "completed", "history stays"
    [event] = OutboxEvent.objects.filter(name="document.effective", data__version_id=second.pk)
    delivery = EventDelivery.objects.get(event=event, handler="training.assign_read_and_understood")
    assert (delivery.status, delivery.attempts) == ("succeeded", 1)
    audited = AuditEvent.objects.filter(resource_type="training_assignment", action="assign", actor_username="").count()

    handlers.assign_read_and_understood(event)  # delivered again (at least once): nothing changes

    assert Assignment.objects.filter(document_version=second).count() == 3
    assert AuditEvent.objects.filter(resource_type="training_assignment", action="assign").count() == audited


def test_making_the_document_obsolete_cancels_its_open_items(
    sop_audience, production, client_for, qa_manager, django_capture_on_commit_callbacks
):
    _, (done, *others) = production
    with django_capture_on_commit_callbacks(execute=True):
        document = DocumentFactory(state="effective")
    program = TrainingProgram.objects.get(read_and_understood_document=document)
    services.complete_training(actor=done, program=program, password=PASSWORD)

    with django_capture_on_commit_callbacks(execute=True):
        withdrawn = client_for(qa_manager).post(
            f"/api/documents/{document.pk}/transition",
            {"transition": "obsolete", "comment": "Filling line 1 decommissioned", "password": PASSWORD},
            format="json",
        )

    assert withdrawn.status_code == 200, withdrawn.json()
    cancelled = Assignment.objects.filter(program=program, status="cancelled")
    assert {a.user for a in cancelled} == set(others)
    assert {a.cancel_reason for a in cancelled} == {f"{document.number} was made obsolete"}
    assert Assignment.objects.get(program=program, user=done).status == "completed"
    assert services.cancel_read_and_understood(document=document) == [], "idempotent"


def test_withdrawing_a_revision_leaves_the_items_of_the_version_in_force(
    sop_audience, qa_manager, django_capture_on_commit_callbacks
):
    from documents import services as documents

    with django_capture_on_commit_callbacks(execute=True):
        document = DocumentFactory(state="effective")
        documents.add_version(
            actor=qa_manager, document=document, file=SimpleUploadedFile("v2.pdf", pdf_content("Draft 2.0")), change_summary="x"
        )
        documents.transition_document(
            actor=qa_manager, document=document, name="withdraw", comment="Not needed after all", password=PASSWORD
        )

    document.refresh_from_db()
    assert document.effective_version.version == "1.0"
    assert set(Assignment.objects.filter(document_version=document.effective_version).values_list("status", flat=True)) == {
        "assigned"
    }


def test_the_audience_gets_an_assignment_for_the_effective_version(effective_document, sop_audience, production):
    document = effective_document()

    outcome = services.assign_read_and_understood(version=document.effective_version)

    _, operators = production
    assert sorted(a.user.username for a in outcome.created) == [u.username for u in operators]
    for assignment in outcome.created:
        assert assignment.document_version_id == document.effective_version_id
        assert assignment.kind == AssignmentKind.READ_AND_UNDERSTOOD
        assert assignment.status == AssignmentStatus.ASSIGNED
        assert assignment.due_date == timezone.now().date() + datetime.timedelta(days=10)
        assert assignment.assigned_by is None  # the system
    program = TrainingProgram.objects.get(read_and_understood_document=document)
    assert program.title.startswith(f"Read and understood: {document.number}")
    assert program.requires_signature and program.status == "PUBLISHED"
    assert list(program.linked_documents.all()) == [document]
    audited = AuditEvent.objects.filter(action="assign", resource_type="training_assignment")
    assert audited.count() == 3
    assert all(document.number in e.summary and e.actor_username == "" for e in audited)


def test_calling_it_again_for_the_same_version_changes_nothing(effective_document, sop_audience):
    document = effective_document()
    services.assign_read_and_understood(version=document.effective_version)
    events = AuditEvent.objects.count()

    again = services.assign_read_and_understood(version=document.effective_version)

    assert again.created == [] and again.cancelled == []
    assert again.already_assigned == 3
    assert Assignment.objects.count() == 3
    assert AuditEvent.objects.count() == events


def test_a_revision_cancels_open_items_of_the_superseded_version_and_assigns_the_new_one(
    effective_document, revise, sop_audience, production, client_for
):
    _, (done, pending, _third) = production
    document = effective_document()
    first = document.effective_version
    services.assign_read_and_understood(version=first)
    program = TrainingProgram.objects.get(read_and_understood_document=document)
    response = client_for(done).post(f"/api/training/{program.pk}/complete", {"password": PASSWORD}, format="json")
    assert response.status_code == 200, response.json()

    document = revise(document)
    second = document.effective_version
    assert second.pk != first.pk
    first.refresh_from_db()
    assert first.status == "superseded"
    outcome = services.assign_read_and_understood(version=second, superseded_version=first)

    old_open = Assignment.objects.filter(document_version=first).exclude(user=done)
    assert {a.status for a in old_open} == {AssignmentStatus.CANCELLED}
    assert all(f"{document.number} version 1.0 was superseded by version 2.0" in a.cancel_reason for a in old_open), [
        a.cancel_reason for a in old_open
    ]
    assert Assignment.objects.get(document_version=first, user=done).status == AssignmentStatus.COMPLETED
    assert len(outcome.cancelled) == 2 and len(outcome.created) == 3
    assert set(Assignment.objects.filter(document_version=second).values_list("status", flat=True)) == {"assigned"}
    # Trained on 1.0 no longer counts: the effective version is 2.0.
    assert selectors.qualified_program_ids(done, [program.pk]) == set()
    assert AuditEvent.objects.filter(action="cancel", resource_id=pending_assignment(pending, first).pk).exists()


def pending_assignment(user, version):
    return Assignment.objects.get(user=user, document_version=version)


def test_a_document_audience_replaces_its_types_and_counts_roles(effective_document, sop_audience, admin_user, make_user):
    document = effective_document()
    qa = make_user("QA", username="qa.reader")
    services.set_training_audience(actor=admin_user, document=document, roles=[Role.objects.get(name="QA")], due_days=3)

    outcome = services.assign_read_and_understood(version=document.effective_version)

    # Every active QA (including the document's author and reviewer), none of the type's Production group.
    assert qa.username in {a.user.username for a in outcome.created}
    assert {a.user.role.name for a in outcome.created} == {"QA"}
    assert all(a.due_date == timezone.now().date() + datetime.timedelta(days=3) for a in outcome.created)


def test_members_are_taken_as_they_are_when_the_version_becomes_effective(
    effective_document, sop_audience, production, make_user
):
    group, operators = production
    group.members.remove(operators[0])
    operators[1].is_active = False
    operators[1].save()
    document = effective_document()

    services.assign_read_and_understood(version=document.effective_version)

    assert list(Assignment.objects.values_list("user__username", flat=True)) == [operators[2].username]


def test_a_version_that_is_no_longer_effective_is_left_alone(effective_document, revise, sop_audience):
    document = effective_document()
    first = document.effective_version
    revise(document)

    outcome = services.assign_read_and_understood(version=first)

    assert outcome.created == [] and "not the effective version" in outcome.skipped_reason


def test_without_an_audience_nothing_is_assigned(effective_document):
    document = effective_document()

    outcome = services.assign_read_and_understood(version=document.effective_version)

    assert outcome.created == [] and outcome.program is None
    assert not TrainingAudience.objects.exists() and not TrainingProgram.objects.exists()


def test_a_user_assigning_needs_the_assign_permission(effective_document, sop_audience, basic_user):
    from qms.errors import PermissionDenied

    document = effective_document()

    with pytest.raises(PermissionDenied):
        services.assign_read_and_understood(version=document.effective_version, actor=basic_user)
    assert not Assignment.objects.exists()


def test_assigning_the_read_and_understood_program_by_hand_uses_the_effective_version(
    effective_document, sop_audience, qa_user, make_user
):
    document = effective_document()
    services.assign_read_and_understood(version=document.effective_version)
    program = TrainingProgram.objects.get(read_and_understood_document=document)
    newcomer = make_user("User", username="newcomer")

    outcome = services.assign_training(actor=qa_user, program=program, users=[newcomer])

    assert outcome.created[0].document_version_id == document.effective_version_id
    assert outcome.created[0].kind == AssignmentKind.READ_AND_UNDERSTOOD


def test_the_command_rolls_out_the_effective_versions_once(effective_document, sop_audience):
    from io import StringIO

    from django.core.management import CommandError, call_command

    document = effective_document()
    out = StringIO()

    call_command("assign_read_and_understood", document.number, stdout=out)
    call_command("assign_read_and_understood", "--all", stdout=out)

    assert out.getvalue().splitlines() == [
        f"{document.number} v1.0: 3 assigned, 0 already assigned, 0 earlier-version items cancelled",
        f"{document.number} v1.0: 0 assigned, 3 already assigned, 0 earlier-version items cancelled",
    ]
    with pytest.raises(CommandError, match="SOP-9999"):
        call_command("assign_read_and_understood", "SOP-9999")
    with pytest.raises(CommandError, match="--all"):
        call_command("assign_read_and_understood")
