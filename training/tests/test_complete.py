"""Completing training through POST /api/training/{id}/complete: the e-signature (meaning
"training completion", covering the program and the document version), wrong passwords counting
toward lockout, completing twice, someone else's assignment; revocation of a mistaken completion."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent, ImmutableRecordError, Signature
from audit.signatures import verify
from conftest import PASSWORD
from training import services
from training.models import Assignment, Completion, TrainingProgram

from .factories import AssignmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db


def complete(client, program_id, **body):
    return client.post(f"/api/training/{program_id}/complete", body, format="json")


@pytest.fixture
def read_and_understood(effective_document, admin_user, basic_user):
    """A read-and-understood assignment of the user for an effective SOP's version 1.0."""
    from documents.models import DocumentType

    services.set_training_audience(actor=admin_user, document_type=DocumentType.objects.get(code="SOP"), roles=[basic_user.role])
    document = effective_document()
    services.assign_read_and_understood(version=document.effective_version)
    return Assignment.objects.get(user=basic_user, document_version=document.effective_version)


@pytest.mark.requirement("21CFR11.10(i)", "QMS-TRAINING")
def test_completing_with_the_password_signs_the_program_and_the_document_version(client_for, basic_user, read_and_understood):
    program = read_and_understood.program
    version = read_and_understood.document_version

    response = complete(client_for(basic_user), program.pk, password=PASSWORD, meaning="training_completion")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "completed" and body["qualified"] is True
    assert body["document_version"]["version"] == "1.0"
    assert body["completion"]["signature_meaning"] == "Training completion"
    completion = Completion.objects.get(assignment=read_and_understood)
    signature = Signature.objects.get(pk=body["completion"]["signature_id"])
    assert (signature.resource_type, signature.resource_id) == ("training_completion", completion.pk)
    assert signature.signature_type == "training_completion" and signature.signer == basic_user
    assert signature.signed_content["program_id"] == program.pk
    assert signature.signed_content["document_number"] == version.document.number
    assert signature.signed_content["document_version"] == "1.0"
    assert signature.signed_content["document_sha256"] == version.sha256
    assert signature.intent.startswith(f"I have read and understood {version.document.number} version 1.0")
    assert verify(signature)["valid"] is True
    assert AuditEvent.objects.filter(action="complete", resource_type="training_completion", resource_id=completion.pk).exists()
    assert AuditEvent.objects.filter(action="sign", resource_type="training_completion", resource_id=completion.pk).exists()


def test_completing_twice_is_a_conflict(client_for, basic_user, program):
    AssignmentFactory(user=basic_user, program=program)
    client = client_for(basic_user)
    assert complete(client, program.pk, password=PASSWORD).status_code == 200

    again = complete(client, program.pk, password=PASSWORD)

    assert again.status_code == 409
    assert again.json()["error_code"] == "ALREADY_COMPLETED"
    assert Completion.objects.count() == 1 and Signature.objects.count() == 1


def test_a_wrong_password_is_401_and_locks_the_account_after_the_configured_attempts(client_for, basic_user, program, settings):
    settings.LOGIN_MAX_FAILED_ATTEMPTS = 3
    AssignmentFactory(user=basic_user, program=program)
    client = client_for(basic_user)

    answers = [complete(client, program.pk, password="wrong-password") for _ in range(3)]

    assert [a.status_code for a in answers] == [401, 401, 401]
    assert {a.json()["error_code"] for a in answers} == {"SIGNATURE_AUTH_FAILED"}
    assert "locked_until" in answers[-1].json()
    basic_user.refresh_from_db()
    assert basic_user.is_locked()
    # Locked: even the right password no longer signs.
    locked = complete(client, program.pk, password=PASSWORD)
    assert locked.status_code == 401 and "locked" in locked.json()["detail"]
    assert not Completion.objects.exists()
    assert Assignment.objects.get(user=basic_user).status == "assigned"


def test_without_the_password_a_signed_program_is_422(client_for, basic_user, program):
    AssignmentFactory(user=basic_user, program=program)

    response = complete(client_for(basic_user), program.pk)

    assert response.status_code == 422
    assert response.json()["error_code"] == "SIGNATURE_REQUIRED"
    assert response.json()["detail"][0]["loc"] == ["body", "password"]


def test_another_meaning_is_422(client_for, basic_user, program):
    AssignmentFactory(user=basic_user, program=program)

    response = complete(client_for(basic_user), program.pk, password=PASSWORD, meaning="approval")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "meaning"]


def test_a_program_without_signature_completes_without_a_password(client_for, basic_user, unsigned_program):
    AssignmentFactory(user=basic_user, program=unsigned_program)

    response = complete(client_for(basic_user), unsigned_program.pk)

    assert response.status_code == 200, response.json()
    assert response.json()["completion"]["signature_id"] is None
    assert not Signature.objects.exists()


def test_someone_elses_assignment_cannot_be_completed(client_for, basic_user, make_user, program):
    other = AssignmentFactory(user=make_user("User", username="colleague"), program=program)

    by_id = complete(client_for(basic_user), program.pk, password=PASSWORD, assignment_id=other.pk)
    not_mine = complete(client_for(basic_user), program.pk, password=PASSWORD)

    assert by_id.status_code == 404
    assert not_mine.status_code == 404 and not_mine.json()["error_code"] == "NOT_ASSIGNED"
    assert Assignment.objects.get(pk=other.pk).status == "assigned"


def test_unknown_and_non_numeric_programs_are_404(client_for, basic_user):
    client = client_for(basic_user)

    assert complete(client, 999999, password=PASSWORD).status_code == 404
    response = client.post("/api/training/abc/complete", {}, format="json")
    assert response.status_code == 404 and response.json()["error_code"] == "NOT_FOUND"


def test_a_cancelled_assignment_cannot_be_completed(client_for, basic_user, qa_user, program):
    assignment = AssignmentFactory(user=basic_user, program=program)
    services.cancel_assignment(actor=qa_user, assignment=assignment, reason="Moved to another department")

    response = complete(client_for(basic_user), program.pk, password=PASSWORD)

    assert response.status_code == 409 and response.json()["error_code"] == "ASSIGNMENT_CLOSED"


def test_the_signature_cannot_be_applied_a_second_time_or_by_someone_else(client_for, basic_user, qa_user, program):
    AssignmentFactory(user=basic_user, program=program)
    complete(client_for(basic_user), program.pk, password=PASSWORD)
    completion = Completion.objects.get()
    body = {"resource_type": "training_completion", "resource_id": completion.pk, "password": PASSWORD, "intent": "Again"}

    again = client_for(basic_user).post("/api/signatures/", {**body, "signature_type": "training_completion"}, format="json")
    other = client_for(qa_user).post("/api/signatures/", {**body, "signature_type": "training_completion"}, format="json")

    assert again.status_code == 409 and again.json()["error_code"] == "ALREADY_SIGNED"
    assert other.status_code == 403
    assert Signature.objects.count() == 1


def test_completions_are_never_changed_or_deleted(basic_user, program):
    AssignmentFactory(user=basic_user, program=program)
    services.complete_training(actor=basic_user, program=program, password=PASSWORD)
    completion = Completion.objects.get()

    completion.comment = "edited"
    with pytest.raises(ImmutableRecordError):
        completion.save()
    with pytest.raises(ImmutableRecordError):
        completion.delete()
    with pytest.raises(ImmutableRecordError):
        Completion.objects.filter(pk=completion.pk).update(comment="edited")


def test_a_mistaken_completion_is_revoked_with_a_reason_and_the_assignment_opens_again(
    client_for, admin_user, basic_user, program
):
    assignment = AssignmentFactory(user=basic_user, program=program)
    services.complete_training(actor=basic_user, program=program, password=PASSWORD)
    completion = Completion.objects.get()
    admin = client_for(admin_user)

    missing_reason = admin.post(f"/api/training/completions/{completion.pk}/revoke", {}, format="json")
    revoked = admin.post(
        f"/api/training/completions/{completion.pk}/revoke", {"reason": "Completed by a colleague"}, format="json"
    )
    twice = admin.post(f"/api/training/completions/{completion.pk}/revoke", {"reason": "Again for the record"}, format="json")

    assert missing_reason.status_code == 422 and missing_reason.json()["detail"][0]["loc"] == ["body", "reason"]
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert twice.status_code == 409 and twice.json()["error_code"] == "ALREADY_REVOKED"
    assignment.refresh_from_db()
    assert assignment.status == "assigned"
    event = AuditEvent.objects.get(action="revoke")
    assert event.reason == "Completed by a colleague" and event.actor_id == admin_user.pk
    assert Completion.objects.filter(pk=completion.pk).exists()  # the completion itself stays
    mine = client_for(basic_user).get("/api/training/my-training").json()["items"]
    assert mine[0]["qualified"] is False
    # A user cannot revoke.
    assert (
        client_for(basic_user)
        .post(f"/api/training/completions/{completion.pk}/revoke", {"reason": "x for the record"})
        .status_code
        == 403
    )


def test_my_training_lists_open_items_first_then_history_with_a_constant_query_count(client_for, basic_user):
    today = timezone.now().date()
    programs = [ProgramFactory(title=f"Course {i}", requires_signature=False) for i in range(6)]
    for index, p in enumerate(programs):
        AssignmentFactory(user=basic_user, program=p, due_date=today + datetime.timedelta(days=10 - index))
    for p in programs[:3]:
        services.complete_training(actor=basic_user, program=p)
    client = client_for(basic_user)

    body = client.get("/api/training/my-training").json()

    assert [(i["training"]["title"], i["status"]) for i in body["items"]] == [
        ("Course 5", "assigned"),  # soonest due first
        ("Course 4", "assigned"),
        ("Course 3", "assigned"),
        ("Course 2", "completed"),  # then the history, newest first
        ("Course 1", "completed"),
        ("Course 0", "completed"),
    ]
    assert [i["qualified"] for i in body["items"]] == [False] * 3 + [True] * 3
    counts = []
    for query in ("page_size=2&page=2", "page_size=6"):  # both pages hold open and completed items
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/api/training/my-training?{query}").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_a_user_sees_only_their_own_assignments(client_for, basic_user, qa_user, make_user, program):
    mine = AssignmentFactory(user=basic_user, program=program)
    theirs = AssignmentFactory(user=make_user("User", username="colleague"), program=program)

    own = client_for(basic_user).get("/api/training/assignments/").json()
    everyone = client_for(qa_user).get(f"/api/training/assignments/?training_id={program.pk}").json()

    assert [a["id"] for a in own["items"]] == [mine.pk]
    assert client_for(basic_user).get(f"/api/training/assignments/{theirs.pk}").status_code == 404
    assert {a["id"] for a in everyone["items"]} == {mine.pk, theirs.pk}


def test_the_completion_services_check_permissions_themselves(make_user, program):
    from qms.errors import PermissionDenied

    auditor = make_user("Auditor", username="auditor.x")
    AssignmentFactory(user=auditor, program=program)

    with pytest.raises(PermissionDenied):
        services.complete_training(actor=auditor, program=program, password=PASSWORD)
    assert TrainingProgram.objects.get(pk=program.pk).completions.count() == 0
