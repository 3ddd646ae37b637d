"""Training in the audit trail: its actions are in the catalogue (the audit page's filter, the API's
`action` parameter); "the trail of SOP-0001" shows who was assigned which version, who read and
signed it when, what was revoked or cancelled; the trail of a program holds its assignments,
completions and registrations; updates are recorded with their old and new values."""

import csv
import io

import pytest

from audit import actions
from audit.models import AuditEvent, Signature
from conftest import PASSWORD
from documents.models import DocumentType
from training import services
from training.models import Assignment, Completion, TrainingProgram

from .factories import AssignmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db

TRAINING_ACTIONS = {"assign", "cancel", "overdue", "complete", "revoke", "register", "retire"}


def test_every_training_action_is_in_the_catalogue_the_filter_and_the_schema(client, client_for, auditor):
    catalogue = {a.value: a for a in actions.catalogue()}
    assert TRAINING_ACTIONS <= set(catalogue)
    assert catalogue["assign"].enum == "training.audit_actions.TrainingAction"
    assert catalogue["revoke"].label == "Training completion revoked"

    page = client_for(auditor).get("/api/audit/", {"action": "assign,revoke"})
    assert page.status_code == 200, page.json()
    client.force_login(auditor)
    filter_page = client.get("/audit/").content.decode()
    assert '<option value="assign"' in filter_page and "Training assigned" in filter_page
    [parameter] = [
        p for p in client.get("/openapi.json").json()["paths"]["/api/audit/"]["get"]["parameters"] if p["name"] == "action"
    ]
    assert TRAINING_ACTIONS <= set(parameter["schema"]["items"]["enum"])


@pytest.fixture
def sop_readers(admin_user, make_user):
    """Two operators who must read and understand every effective SOP."""
    readers = [make_user("User", username=f"reader{i}", full_name=f"Reader {i}") for i in range(2)]
    services.set_training_audience(actor=admin_user, document_type=DocumentType.objects.get(code="SOP"), roles=[readers[0].role])
    return readers


def test_the_trail_of_a_document_shows_who_was_trained_on_which_version_and_when(
    effective_document, revise, sop_readers, admin_user, client_for, auditor
):
    document = effective_document()
    services.assign_read_and_understood(version=document.effective_version)
    reader, other = sop_readers
    program = TrainingProgram.objects.get(read_and_understood_document=document)
    services.complete_training(actor=reader, program=program, password=PASSWORD)
    completion = Completion.objects.get(user=reader)
    services.revoke_completion(actor=admin_user, completion=completion, reason="Signed before the briefing took place")
    services.complete_training(actor=reader, program=program, password=PASSWORD)
    first = document.effective_version
    document = revise(document)
    services.assign_read_and_understood(version=document.effective_version, superseded_version=first)

    trail = client_for(auditor).get("/api/audit/", {"resource_type": "document", "resource_id": document.pk, "page_size": 100})

    assert trail.status_code == 200
    rows = trail.json()["items"]
    training_rows = [r for r in rows if r["resource_type"].startswith("training_")]
    assert {(r["subject_type"], r["subject_id"]) for r in training_rows} == {("document", document.pk)}
    by_action = {}
    for row in training_rows:
        by_action.setdefault((row["resource_type"], row["action"]), []).append(row)
    assert len(by_action[("training_program", "create")]) == 1
    assert len(by_action[("training_assignment", "assign")]) == 4  # two readers, versions 1.0 and 2.0
    assert len(by_action[("training_assignment", "cancel")]) == 1  # the other reader's 1.0, superseded
    assert "superseded by version 2.0" in by_action[("training_assignment", "cancel")][0]["reason"]
    assert len(by_action[("training_completion", "complete")]) == 2
    assert len(by_action[("training_completion", "sign")]) == 2
    [revoked] = by_action[("training_completion", "revoke")]
    assert revoked["reason"] == "Signed before the briefing took place" and revoked["resource_id"] == completion.pk
    assert {r["user_full_name"] for r in by_action[("training_completion", "sign")]} == {reader.full_name}
    assert Assignment.objects.get(user=other, document_version__version="1.0").status == "cancelled"

    signatures = client_for(auditor).get("/api/signatures/", {"document_id": document.pk, "page_size": 100}).json()["items"]
    trainee_signatures = [s for s in signatures if s["resource_type"] == "training_completion"]
    assert len(trainee_signatures) == 2 and {s["signature_type"] for s in trainee_signatures} == {"training_completion"}
    assert set(Signature.objects.filter(resource_type="training_completion").values_list("subject_type", "subject_id")) == {
        ("document", document.pk)
    }

    export = client_for(auditor).get(
        "/api/audit/export", {"format": "csv", "resource_type": "document", "resource_id": document.pk}
    )
    lines = b"".join(export.streaming_content).decode().split("\r\n\r\n")[0]
    exported = list(csv.DictReader(io.StringIO(lines)))
    assert {"assign", "complete", "sign", "revoke", "cancel"} <= {
        r["action"] for r in exported if r["resource_type"].startswith("training_")
    }
    # Every action recorded on the way (documents, workflow steps, training) is one the filter offers.
    assert set(AuditEvent.objects.values_list("action", flat=True)) <= {a.value for a in actions.catalogue()}


def test_the_trail_of_a_program_holds_its_assignments_completions_and_registrations(
    client_for, auditor, qa_user, basic_user, make_user
):
    program = ProgramFactory(title="Leadership essentials", category="LEADERSHIP", requires_signature=False)
    other = ProgramFactory(title="GMP basics")
    instructor = make_user("QA Manager", username="teacher", full_name="Tess Teacher")
    services.update_program(actor=instructor, program=program, data={"instructor": instructor}, reason="Tess runs the sessions")
    services.assign_training(actor=qa_user, program=program, users=[basic_user])
    services.assign_training(actor=qa_user, program=other, users=[basic_user])
    registration = services.register_for_training(actor=basic_user, program=program)
    services.update_registration(actor=instructor, registration=registration, status="ATTENDED")

    rows = (
        client_for(auditor).get("/api/audit/", {"resource_type": "training_program", "resource_id": program.pk}).json()["items"]
    )

    assert {(r["resource_type"], r["action"]) for r in rows} == {
        ("training_program", "update"),
        ("training_assignment", "assign"),
        ("training_registration", "register"),
        ("training_registration", "update"),
        ("training_completion", "complete"),  # attendance completed the assignment
    }
    assert {(r["subject_type"], r["subject_id"]) for r in rows} == {("training_program", program.pk)}
    [update] = [r for r in rows if r["resource_type"] == "training_registration" and r["action"] == "update"]
    assert update["old_values"] == {"status": "REGISTERED", "attended_at": None}
    assert update["new_values"]["status"] == "ATTENDED" and update["new_values"]["attended_at"]


def test_a_program_change_records_only_the_changed_fields_with_the_reason(qa_manager):
    program = ProgramFactory(title="GMP basics", default_due_days=30)

    services.update_program(
        actor=qa_manager,
        program=program,
        data={"title": "GMP basics", "default_due_days": 14},
        reason="Inspection finding: two weeks",
    )
    services.update_program(actor=qa_manager, program=program, data={"default_due_days": 14}, reason="Nothing changes here")

    [event] = AuditEvent.objects.filter(action="update", resource_type="training_program")
    assert (event.old_values, event.new_values) == ({"default_due_days": 30}, {"default_due_days": 14})
    assert event.summary == "Training program 'GMP basics' changed (default_due_days)"
    assert event.reason == "Inspection finding: two weeks"
    assert (event.subject_type, event.subject_id) == ("training_program", program.pk)
    assert TrainingProgram.objects.get(pk=program.pk).row_version == 2


def test_overdue_marking_and_cancelling_are_status_changes_of_the_assignment(qa_user, basic_user):
    import datetime

    from django.utils import timezone

    program = ProgramFactory(title="GMP basics")
    late = AssignmentFactory(program=program, user=basic_user, due_date=timezone.now().date() - datetime.timedelta(days=1))
    services.mark_overdue_assignments()
    services.cancel_assignment(actor=qa_user, assignment=late, reason="Moved to another site")

    events = AuditEvent.objects.filter(resource_type="training_assignment", resource_id=late.pk).order_by("sequence")
    assert [(e.action, e.old_values, e.new_values) for e in events] == [
        ("overdue", {"status": "assigned"}, {"status": "overdue"}),
        ("cancel", {"status": "overdue"}, {"status": "cancelled"}),
    ]
    assert {(e.subject_type, e.subject_id) for e in events} == {("training_program", program.pk)}
