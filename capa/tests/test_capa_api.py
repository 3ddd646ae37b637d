"""A CAPA's life through the API: created as a draft (no linked documents) or open (with them), the
plan approved by a QA Manager with an electronic signature, actions done by their owners, an
effectiveness review recorded with a signature, closed by a QA Manager; the rules refuse what a QA
department would not accept, each with its status and error_code."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent, Signature
from audit.signatures import verify
from capa.models import ActionStatus, Capa, CapaAction, EffectivenessReview
from conftest import PASSWORD
from qms.events import OutboxEvent
from workflows.models import WorkflowHistory

from .factories import due, make_capa

pytestmark = pytest.mark.django_db

URL = "/api/capa/"


def create_body(owner, **extra) -> dict:
    return {
        "title": "Seal failures on filling line 1",
        "description": "Torn seals found at three in-process checks in March.",
        "type": "corrective",
        "source": "audit_finding",
        "priority": "high",
        "owner_id": owner.pk,
        "due_date": due(45).isoformat(),
        **extra,
    }


def transition(client, capa, name, **extra):
    return client.post(f"{URL}{capa.pk}/transition", {"transition": name, **extra}, format="json")


# --- creating and the draft rule --------------------------------------------------------------------------


@pytest.mark.requirement("QMS-CAPA-DRAFT")
def test_a_capa_without_linked_documents_starts_as_a_draft(client_for, qa_user):
    response = client_for(qa_user).post(URL, create_body(qa_user), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    year = timezone.localdate().year
    assert body["number"] == f"CAPA-{year}-0001" and body["status"] == "draft"
    assert body["type"] == "corrective" and body["source"] == "audit_finding" and body["priority"] == "high"
    assert body["documents"] == [] and body["workflow"]["state"]["name"] == "draft"
    event = OutboxEvent.objects.get(name="capa.created", resource_id=body["id"])
    assert event.data["number"] == body["number"] and event.data["owner_id"] == qa_user.pk and event.data["title"]
    created = AuditEvent.objects.get(resource_type="capa", resource_id=body["id"], action="create")
    assert created.new_values["status"] == "draft" and created.new_values["owner.username"] == qa_user.username


@pytest.mark.requirement("QMS-CAPA-DRAFT")
def test_a_capa_created_with_linked_documents_starts_open(client_for, qa_user, effective_document):
    version = effective_document.effective_version
    response = client_for(qa_user).post(URL, create_body(qa_user, document_version_ids=[version.pk]), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "open"
    assert body["documents"][0]["number"] == effective_document.number and body["documents"][0]["version"] == version.version
    history = WorkflowHistory.objects.filter(instance__object_id=body["id"], transition_name="activate").get()
    assert history.transition_name == "activate" and history.is_automatic


def test_create_refuses_bad_values_with_their_location(client_for, qa_user, auditor):
    qa = client_for(qa_user)
    bad = qa.post(URL, create_body(qa_user, due_date="2001-01-01", deviation_ids=[999999]), format="json")
    assert bad.status_code == 422
    locs = [problem["loc"] for problem in bad.json()["detail"]]
    assert ["body", "due_date"] in locs and ["body", "deviation_ids", 0] in locs
    no_owner_rights = qa.post(URL, create_body(auditor), format="json")
    assert no_owner_rights.status_code == 422 and no_owner_rights.json()["detail"][0]["loc"] == ["body", "owner"]
    assert Capa.objects.count() == 0


def test_legacy_numbers_are_shown_and_unique(client_for, qa_user):
    qa = client_for(qa_user)
    first = qa.post(URL, create_body(qa_user, legacy_number="OLD-CAPA-17", due_date="2020-05-01"), format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["legacy_number"] == "OLD-CAPA-17"
    again = qa.post(URL, create_body(qa_user, legacy_number="OLD-CAPA-17"), format="json")
    assert again.status_code == 409 and again.json()["error_code"] == "LEGACY_NUMBER_TAKEN"
    assert qa.post(URL, create_body(qa_user), format="json").status_code == 201  # blank legacy numbers never clash
    assert qa.post(URL, create_body(qa_user), format="json").status_code == 201


# --- approve-draft -----------------------------------------------------------------------------------------------


@pytest.mark.requirement("QMS-CAPA-DRAFT", "21CFR11.50", "21CFR11.70")
def test_qa_cannot_approve_a_draft_and_the_qa_manager_activates_it_with_a_bound_signature(client_for, qa_user, qa_manager):
    capa = make_capa(author=qa_user)
    refused = client_for(qa_user).post(f"{URL}{capa.pk}/approve-draft", {"password": PASSWORD}, format="json")
    assert refused.status_code == 403 and refused.json()["error_code"] == "PERMISSION_DENIED"
    manager = client_for(qa_manager)
    wrong = manager.post(f"{URL}{capa.pk}/approve-draft", {"password": "not-it"}, format="json")
    assert wrong.status_code == 401
    approved = manager.post(f"{URL}{capa.pk}/approve-draft", {"password": PASSWORD, "comment": "Plan is sound"}, format="json")
    assert approved.status_code == 200, approved.json()
    body = approved.json()
    assert body["status"] == "open" and body["workflow"]["state"]["name"] == "open"
    [signature] = body["signatures"]
    assert signature["printed_name"] == qa_manager.display_name and signature["valid"] is True
    stored = Signature.objects.get(pk=signature["id"])
    assert stored.resource_type == "capa" and stored.resource_id == capa.pk and stored.signature_type == "approval"
    assert stored.intent.startswith("CAPA plan approval") and stored.signed_content["number"] == capa.number
    assert verify(stored)["valid"] is True
    step = WorkflowHistory.objects.get(instance__object_id=capa.pk, transition_name="approve_draft")
    assert step.signature_id == stored.pk and step.actor == qa_manager
    event = OutboxEvent.objects.get(name="capa.draft_approved", resource_id=capa.pk)
    assert event.data["signature_id"] == stored.pk and event.data["number"] == capa.number
    again = manager.post(f"{URL}{capa.pk}/approve-draft", {"password": PASSWORD}, format="json")
    assert again.status_code == 409 and again.json()["error_code"] == "NOT_DRAFT"


def test_the_plan_signed_at_approval_no_longer_changes_but_the_owner_and_due_date_do(client_for, qa_user, qa_manager, basic_user):
    capa = make_capa(state="open", author=qa_user, manager=qa_manager)
    qa = client_for(qa_user)
    locked = qa.put(
        f"{URL}{capa.pk}",
        {"title": "Another title", "reason": "Clarify the title", "row_version": capa.row_version},
        format="json",
    )
    assert locked.status_code == 409 and locked.json()["error_code"] == "SIGNED_CONTENT_LOCKED"
    changed = qa.put(
        f"{URL}{capa.pk}",
        {
            "owner_id": basic_user.pk,
            "due_date": due(60).isoformat(),
            "root_cause": "Seal roll loaded upside down",
            "reason": "Owner moved",
            "row_version": capa.row_version,
        },
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["owner"]["username"] == basic_user.username
    update = AuditEvent.objects.filter(resource_type="capa", resource_id=capa.pk, action="update").latest("pk")
    assert update.old_values["owner.username"] == qa_user.username and update.new_values["owner.username"] == basic_user.username
    assert update.reason == "Owner moved"
    stale = qa.put(
        f"{URL}{capa.pk}", {"root_cause": "x" * 20, "reason": "Stale edit here", "row_version": capa.row_version}, format="json"
    )
    assert stale.status_code == 409 and stale.json()["error_code"] == "VERSION_CONFLICT"
    no_reason = qa.put(f"{URL}{capa.pk}", {"root_cause": "y" * 20, "row_version": changed.json()["row_version"]}, format="json")
    assert no_reason.status_code == 422 and no_reason.json()["detail"][0]["loc"] == ["body", "reason"]


# --- actions -------------------------------------------------------------------------------------------------------


@pytest.mark.requirement("QMS-CAPA-ACTIONS")
def test_an_owner_completes_their_own_action_and_nobody_else_can(client_for, qa_user, qa_manager, basic_user, make_user):
    capa = make_capa(state="open", author=qa_user, manager=qa_manager)
    qa = client_for(qa_user)
    added = qa.post(
        f"{URL}{capa.pk}/actions",
        {"description": "Fix the seal roll holder", "owner_id": basic_user.pk, "due_date": due(7).isoformat()},
        format="json",
    )
    assert added.status_code == 201, added.json()
    action_id = added.json()["id"]
    assigned = OutboxEvent.objects.get(name="capa.action_assigned", resource_id=capa.pk)
    assert assigned.data["action_id"] == action_id and assigned.data["owner_id"] == basic_user.pk
    assert assigned.data["due_date"] == due(7).isoformat() and assigned.data["number"] == capa.number
    listed = client_for(basic_user).get(f"{URL}{capa.pk}/actions")
    assert listed.status_code == 200 and listed.json()["total"] == 1 and listed.json()["items"][0]["status"] == "open"
    other = make_user("User", username="someone")
    foreign = client_for(qa_user).put(
        f"{URL}{capa.pk}/actions/{action_id}", {"status": "done", "completion_evidence": "Done by QA"}, format="json"
    )
    assert foreign.status_code == 403 and foreign.json()["error_code"] == "NOT_ACTION_OWNER"
    assert client_for(other).get(f"{URL}{capa.pk}").status_code == 404  # not theirs: not visible
    done = client_for(basic_user).put(
        f"{URL}{capa.pk}/actions/{action_id}",
        {"status": "done", "completion_evidence": "Holder replaced, photo on file"},
        format="json",
    )
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "done" and done.json()["completed_by"]["username"] == basic_user.username
    twice = client_for(basic_user).put(
        f"{URL}{capa.pk}/actions/{action_id}", {"status": "done", "completion_evidence": "again"}, format="json"
    )
    assert twice.status_code == 409 and twice.json()["error_code"] == "ACTION_NOT_OPEN"
    assert OutboxEvent.objects.filter(name="capa.action_completed", resource_id=capa.pk).count() == 1


def test_completion_evidence_files_are_kept_with_the_action(client_for, qa_user, qa_manager):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from documents.tests.conftest import make_pdf

    capa = make_capa(state="in_progress", author=qa_user, manager=qa_manager)
    action = capa.actions.get()
    upload = SimpleUploadedFile("training-record.pdf", make_pdf(["Training record"]), content_type="application/pdf")
    response = client_for(qa_user).post(
        f"{URL}{capa.pk}/actions/{action.pk}/complete", {"evidence": "Operators trained", "files": [upload]}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    [stored] = response.json()["evidence_files"]
    assert stored["name"] == "training-record.pdf" and len(stored["sha256"]) == 64
    download = client_for(qa_user).get(stored["download_url"])
    assert download.status_code == 200 and download["X-Content-SHA256"] == stored["sha256"]


@pytest.mark.requirement("QMS-CAPA-ACTIONS", "21CFR11.10(e)")
def test_extending_a_due_date_needs_a_reason_and_is_audited_with_both_dates(client_for, qa_user, qa_manager):
    capa = make_capa(state="in_progress", author=qa_user, manager=qa_manager)
    action = capa.actions.get()
    qa = client_for(qa_user)
    url = f"{URL}{capa.pk}/actions/{action.pk}"
    assert qa.put(url, {"due_date": due(20).isoformat()}, format="json").status_code == 422
    earlier = qa.put(url, {"due_date": due(2).isoformat(), "reason": "Should be earlier"}, format="json")
    assert earlier.status_code == 422 and earlier.json()["detail"][0]["loc"] == ["body", "due_date"]
    extended = qa.put(url, {"due_date": due(20).isoformat(), "reason": "Supplier delivers the new holder late"}, format="json")
    assert extended.status_code == 200, extended.json()
    assert extended.json()["due_date"] == due(20).isoformat() and extended.json()["original_due_date"] == due(10).isoformat()
    event = AuditEvent.objects.get(resource_type="capa_action", resource_id=action.pk, action="extend_due_date")
    assert event.old_values == {"due_date": due(10).isoformat()} and event.new_values == {"due_date": due(20).isoformat()}
    assert (
        event.reason == "Supplier delivers the new holder late" and event.subject_type == "capa" and event.subject_id == capa.pk
    )
    emitted = OutboxEvent.objects.get(name="capa.action_due_extended", resource_id=capa.pk)
    assert emitted.data["old_due_date"] == due(10).isoformat() and emitted.data["due_date"] == due(20).isoformat()


@pytest.mark.requirement("QMS-CAPA-ACTIONS")
def test_a_capa_cannot_leave_in_progress_while_an_action_is_open(client_for, qa_user, qa_manager):
    capa = make_capa(state="in_progress", author=qa_user, manager=qa_manager)
    blocked = transition(client_for(qa_user), capa, "submit_for_effectiveness")
    assert blocked.status_code == 422 and blocked.json()["error_code"] == "TRANSITION_BLOCKED"
    assert blocked.json()["detail"][0]["loc"] == ["body", "actions"] and "open actions (1)" in blocked.json()["detail"][0]["msg"]
    action = capa.actions.get()
    cancelled = client_for(qa_user).put(
        f"{URL}{capa.pk}/actions/{action.pk}",
        {"status": "cancelled", "reason": "Replaced by a better action", "row_version": action.row_version},
        format="json",
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    nothing_done = transition(client_for(qa_user), capa, "submit_for_effectiveness")
    assert nothing_done.status_code == 422 and "no completed action" in nothing_done.json()["detail"][0]["msg"]


# --- effectiveness and closure ---------------------------------------------------------------------------------


@pytest.mark.requirement("QMS-CAPA-EFFECTIVENESS")
def test_closing_is_blocked_by_an_open_action_and_by_a_missing_effective_review(client_for, qa_user, qa_manager):
    capa = make_capa(state="pending_effectiveness", author=qa_user, manager=qa_manager)
    manager = client_for(qa_manager)
    no_review = manager.post(f"{URL}{capa.pk}/approve", {"password": PASSWORD}, format="json")
    assert no_review.status_code == 422 and no_review.json()["error_code"] == "TRANSITION_BLOCKED"
    assert no_review.json()["detail"][0]["loc"] == ["body", "effectiveness"]
    # An open action (added by reopening through a not-effective review) blocks closing too.
    returned = transition(client_for(qa_user), capa, "return_to_progress", comment="One more action is needed")
    assert returned.status_code == 200 and returned.json()["status"] == "in_progress"
    CapaAction.objects.create(
        capa=capa, sequence=9, description="Open", owner=qa_user, due_date=due(), original_due_date=due(), created_by=qa_user
    )
    from capa.records import closing_problems

    problems = list(closing_problems(actor=qa_manager, record=Capa.objects.get(pk=capa.pk), instance=None, transition=None))
    assert [loc for loc, _ in problems] == [["actions"], ["effectiveness"]]
    assert Capa.objects.get(pk=capa.pk).status == "in_progress"


@pytest.mark.requirement("QMS-CAPA-EFFECTIVENESS", "21CFR11.50")
def test_an_effective_review_signed_by_the_reviewer_lets_the_qa_manager_close(client_for, qa_user, qa_manager):
    capa = make_capa(state="pending_effectiveness", author=qa_user, manager=qa_manager)
    qa = client_for(qa_user)
    planned = qa.post(
        f"{URL}{capa.pk}/effectiveness",
        {"planned_date": timezone.localdate().isoformat(), "method": "No recurrence in 3 months"},
        format="json",
    )
    assert planned.status_code == 201, planned.json()
    review_id = planned.json()["id"]
    assert OutboxEvent.objects.filter(name="capa.effectiveness_planned", resource_id=capa.pk).exists()
    listed = qa.get(f"{URL}{capa.pk}/effectiveness").json()
    assert listed["total"] == 1 and listed["items"][0]["result"] == "pending"
    unsigned = qa.put(
        f"{URL}{capa.pk}/effectiveness/{review_id}", {"result": "effective", "evidence": "0 torn seals"}, format="json"
    )
    assert unsigned.status_code == 422
    recorded = qa.put(
        f"{URL}{capa.pk}/effectiveness/{review_id}",
        {"result": "effective", "evidence": "0 torn seals in 3 months", "password": PASSWORD},
        format="json",
    )
    assert recorded.status_code == 200, recorded.json()
    assert recorded.json()["result"] == "effective" and recorded.json()["reviewer"]["username"] == qa_user.username
    signature = Signature.objects.get(pk=recorded.json()["signature_id"])
    assert signature.signature_type == "effectiveness" and signature.resource_type == "capa_effectiveness_review"
    assert signature.subject_type == "capa" and signature.subject_id == capa.pk and verify(signature)["valid"] is True
    emitted = OutboxEvent.objects.get(name="capa.effectiveness_recorded", resource_id=capa.pk)
    assert emitted.data["review_id"] == review_id and emitted.data["result"] == "effective"
    locked = qa.put(
        f"{URL}{capa.pk}/effectiveness/{review_id}",
        {"method": "changed later", "reason": "Try to change it", "row_version": 2},
        format="json",
    )
    assert locked.status_code == 409 and locked.json()["error_code"] == "REVIEW_RECORDED"
    assert client_for(qa_user).post(f"{URL}{capa.pk}/approve", {"password": PASSWORD}, format="json").status_code == 403
    closed = client_for(qa_manager).post(f"{URL}{capa.pk}/approve", {"password": PASSWORD}, format="json")
    assert closed.status_code == 200, closed.json()
    body = closed.json()
    assert body["status"] == "closed" and body["closed_at"]
    assert {s["signature_type"] for s in body["signatures"]} >= {"approval", "effectiveness"}
    assert OutboxEvent.objects.filter(name="capa.closed", resource_id=capa.pk).exists()
    read_only = qa.post(
        f"{URL}{capa.pk}/actions", {"description": "late", "owner_id": qa_user.pk, "due_date": due().isoformat()}, format="json"
    )
    assert read_only.status_code == 409 and read_only.json()["error_code"] == "NOT_EDITABLE"


@pytest.mark.requirement("QMS-CAPA-EFFECTIVENESS")
def test_not_effective_reopens_the_capa_and_requires_a_new_action(client_for, qa_user, qa_manager, basic_user):
    capa = make_capa(state="pending_effectiveness", author=qa_user, manager=qa_manager)
    qa = client_for(qa_user)
    review_id = qa.post(
        f"{URL}{capa.pk}/effectiveness", {"planned_date": timezone.localdate().isoformat(), "method": "Trend"}, format="json"
    ).json()["id"]
    url = f"{URL}{capa.pk}/effectiveness/{review_id}"
    without_action = qa.put(url, {"result": "not_effective", "evidence": "2 torn seals", "password": PASSWORD}, format="json")
    assert without_action.status_code == 422 and without_action.json()["detail"][0]["loc"] == ["body", "new_action"]
    assert EffectivenessReview.objects.get(pk=review_id).result == "pending"
    recorded = qa.put(
        url,
        {
            "result": "not_effective",
            "evidence": "2 torn seals in April",
            "password": PASSWORD,
            "new_action": {"description": "Install a seal sensor", "owner_id": basic_user.pk, "due_date": due(14).isoformat()},
        },
        format="json",
    )
    assert recorded.status_code == 200, recorded.json()
    capa = Capa.objects.get(pk=capa.pk)
    assert capa.status == "in_progress"
    new = capa.actions.order_by("-sequence").first()
    assert new.description == "Install a seal sensor" and new.owner == basic_user and new.status == ActionStatus.OPEN
    step = WorkflowHistory.objects.filter(instance__object_id=capa.pk, transition_name="reopen_not_effective").get()
    assert step.is_automatic
    # The not-effective review does not count toward closure.
    from capa.records import effectiveness_problems

    assert list(effectiveness_problems(actor=None, record=capa, instance=None, transition=None))


def test_results_are_recorded_only_when_the_capa_awaits_them_and_by_the_assigned_reviewer(
    client_for, qa_user, qa_manager, make_user
):
    capa = make_capa(state="in_progress", author=qa_user, manager=qa_manager)
    other_qa = make_user("QA", username="qa2")
    qa = client_for(qa_user)
    review_id = qa.post(
        f"{URL}{capa.pk}/effectiveness",
        {"planned_date": due(90).isoformat(), "method": "Audit", "reviewer_id": other_qa.pk},
        format="json",
    ).json()["id"]
    body = {"result": "effective", "evidence": "fine", "password": PASSWORD}
    too_early = client_for(other_qa).put(f"{URL}{capa.pk}/effectiveness/{review_id}", body, format="json")
    assert too_early.status_code == 409 and too_early.json()["error_code"] == "NOT_AWAITING_EFFECTIVENESS"
    not_theirs = qa.put(f"{URL}{capa.pk}/effectiveness/{review_id}", body, format="json")
    assert not_theirs.status_code == 403 and not_theirs.json()["error_code"] == "NOT_THE_REVIEWER"
    auditor_like = make_user("User", username="employee")
    assert client_for(auditor_like).put(f"{URL}{capa.pk}/effectiveness/{review_id}", body, format="json").status_code == 403


# --- reading -----------------------------------------------------------------------------------------------------


def test_the_list_filters_sorts_and_pages_in_the_envelope(client_for, qa_user, qa_manager):
    draft = make_capa(author=qa_user, title="Label mix-up")
    started = make_capa(
        state="in_progress", author=qa_user, manager=qa_manager, title="Temperature excursions", priority="critical"
    )
    late = make_capa(author=qa_user, title="Old finding", legacy_number="L-1", due_date=datetime.date(2020, 1, 1))
    qa = client_for(qa_user)
    page = qa.get(URL, {"page_size": 2, "sort": "number asc"}).json()
    assert page["total"] == 3 and page["pages"] == 2 and [i["number"] for i in page["items"]] == [draft.number, started.number]
    assert qa.get(URL, {"status": "in_progress"}).json()["items"][0]["id"] == started.pk
    assert [i["id"] for i in qa.get(URL, {"overdue": "true"}).json()["items"]] == [late.pk]
    assert qa.get(URL, {"priority": "critical"}).json()["total"] == 1
    assert qa.get(URL, {"search": "retrain"}).json()["items"][0]["id"] == started.pk  # text of an action
    assert qa.get(URL, {"sort": "priority desc"}).json()["items"][0]["id"] == started.pk
    bad = qa.get(URL, {"owner": "abc"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "owner"]
    assert qa.get(f"{URL}abc").status_code == 404 and qa.get(f"{URL}999999").status_code == 404


@pytest.mark.requirement("QMS-ACC-RBAC")
def test_the_auditor_reads_but_changes_nothing_and_employees_see_their_own(client_for, auditor, qa_user, basic_user, make_user):
    mine = make_capa(author=qa_user, owner=basic_user)
    theirs = make_capa(author=qa_user)
    reader = client_for(auditor)
    assert reader.get(f"{URL}{theirs.pk}").status_code == 200 and reader.get(URL).json()["total"] == 2
    assert reader.post(URL, create_body(auditor), format="json").status_code == 403
    assert reader.put(f"{URL}{theirs.pk}", {"reason": "not allowed here", "row_version": 1}, format="json").status_code == 403
    assert reader.post(f"{URL}{theirs.pk}/actions", {}, format="json").status_code == 403
    employee = client_for(basic_user)
    assert [i["id"] for i in employee.get(URL).json()["items"]] == [mine.pk]
    assert employee.get(f"{URL}{theirs.pk}").status_code == 404
    assert employee.post(URL, create_body(basic_user), format="json").status_code == 403


def test_every_capa_event_of_a_whole_life_carries_number_title_and_owner(qa_user, qa_manager):
    capa = make_capa(state="closed", author=qa_user, manager=qa_manager, deviation_ids=[])
    events = list(OutboxEvent.objects.filter(name__startswith="capa.", resource_id=capa.pk))
    names = {event.name for event in events}
    assert {
        "capa.created",
        "capa.draft_approved",
        "capa.action_assigned",
        "capa.action_completed",
        "capa.effectiveness_planned",
        "capa.effectiveness_recorded",
        "capa.transitioned",
        "capa.closed",
    } <= names
    for event in events:
        assert event.data["number"] == capa.number and event.data["title"] == capa.title, event.name
        assert "owner_id" in event.data, event.name


@pytest.mark.requirement("QMS-CAPA-EFFECTIVENESS")
def test_an_effective_review_older_than_the_last_completed_action_does_not_close(client_for, qa_user, qa_manager):
    from capa import services

    capa = make_capa(state="pending_effectiveness", author=qa_user, manager=qa_manager)
    review = services.create_review(actor=qa_user, capa=capa, planned_date=timezone.localdate(), method="Trend")
    services.record_effectiveness(actor=qa_user, review=review, result="effective", evidence="fine", password=PASSWORD)
    qa = client_for(qa_user)
    assert transition(qa, capa, "return_to_progress", comment="One more improvement").status_code == 200
    action = services.add_action(actor=qa_user, capa=capa, description="Label the holder", owner=qa_user, due_date=due())
    services.complete_action(actor=qa_user, action=action, evidence="Labelled")
    assert transition(qa, capa, "submit_for_effectiveness").status_code == 200
    blocked = client_for(qa_manager).post(f"{URL}{capa.pk}/approve", {"password": PASSWORD}, format="json")
    assert blocked.status_code == 422 and "completed after the last effectiveness review" in blocked.json()["detail"][0]["msg"]
