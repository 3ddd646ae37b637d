"""A deviation's life on the workflow kit: QA starts the investigation and records it (with a
reason and the row_version read), submits it for QA review, the QA Manager closes it with an
electronic signature; closing needs the root cause, its method and the CAPA decision; closed
records are read-only until reopened (signed, with a reason); cancelling needs a reason."""

import pytest
from django.utils import timezone

from audit.models import AuditEvent, Signature
from conftest import PASSWORD
from deviations.models import Area, Deviation
from qms.events import OutboxEvent

from .factories import INVESTIGATION, DeviationFactory

pytestmark = pytest.mark.django_db

URL = "/api/deviations/"


def put(client, deviation, **changes):
    body = {"reason": "Investigation notes", "row_version": Deviation.objects.get(pk=deviation.pk).row_version, **changes}
    return client.put(f"{URL}{deviation.pk}", body, format="json")


def transition(client, deviation, name, **extra):
    return client.post(f"{URL}{deviation.pk}/transition", {"transition": name, **extra}, format="json")


def approve(client, deviation, password=PASSWORD):
    return client.post(f"{URL}{deviation.pk}/approve", {"password": password}, format="json")


def test_qa_investigates_and_the_qa_manager_closes_with_an_electronic_signature(client_for, qa_user, qa_manager):
    deviation = DeviationFactory()
    qa, manager = client_for(qa_user), client_for(qa_manager)
    started = transition(qa, deviation, "start_investigation")
    assert started.status_code == 200 and started.json()["status"] == "under_investigation"
    assigned = put(qa, deviation, owner=qa_user.pk, **INVESTIGATION)
    assert assigned.status_code == 200, assigned.json()
    assert assigned.json()["owner"]["username"] == qa_user.username and assigned.json()["root_cause_method"] == "five_whys"
    assert OutboxEvent.objects.filter(name="deviation.assigned", resource_id=deviation.pk).exists()
    assert transition(qa, deviation, "submit_for_review").json()["status"] == "qa_review"
    # QA cannot close; the QA Manager can, with their password.
    assert approve(qa, deviation).status_code == 403
    closed = approve(manager, deviation)
    assert closed.status_code == 200, closed.json()
    body = closed.json()
    assert body["status"] == "closed" and body["closed_at"] is not None
    [signature] = body["signatures"]
    assert signature["printed_name"] == qa_manager.display_name and signature["valid"] is True
    assert "closure of " + deviation.number in signature["intent"]
    assert OutboxEvent.objects.filter(name="deviation.closed", resource_id=deviation.pk).exists()
    stored = Signature.objects.get(pk=signature["id"])
    assert stored.resource_type == "deviation" and stored.signed_content["root_cause_method"] == "five_whys"


def test_closing_without_root_cause_or_capa_decision_is_422_naming_what_is_missing(client_for, qa_manager):
    deviation = DeviationFactory(state="under_investigation")
    assert transition(client_for(qa_manager), deviation, "submit_for_review").status_code == 200
    response = approve(client_for(qa_manager), deviation)
    assert response.status_code == 422 and response.json()["error_code"] == "TRANSITION_BLOCKED"
    assert {tuple(item["loc"]) for item in response.json()["detail"]} == {
        ("body", "root_cause"),
        ("body", "root_cause_method"),
        ("body", "capa_required"),
    }
    assert Deviation.objects.get(pk=deviation.pk).status == "qa_review" and not Signature.objects.exists()


def test_no_capa_needs_its_rationale_to_close(client_for, qa_user, qa_manager, capa_module_absent):
    deviation = DeviationFactory(state="under_investigation", investigator=qa_user)
    qa = client_for(qa_user)
    refused = put(qa, deviation, capa_required=False)
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "capa_decision_rationale"]
    without_method = put(qa, deviation, root_cause="Operator error")
    assert without_method.json()["detail"][0]["loc"] == ["body", "root_cause_method"]
    assert put(qa, deviation, root_cause="Operator error", root_cause_method="other", capa_required=True).status_code == 200
    transition(qa, deviation, "submit_for_review")
    # A CAPA is required, and the CAPA module is not installed: the decision is recorded, nothing to link yet.
    assert approve(client_for(qa_manager), deviation).json()["status"] == "closed"


def test_closing_with_a_wrong_password_is_401_and_changes_nothing(client_for, qa_manager):
    deviation = DeviationFactory(state="qa_review")
    response = approve(client_for(qa_manager), deviation, password="wrong-password")
    assert response.status_code == 401 and response.json()["error_code"] == "SIGNATURE_AUTH_FAILED"
    assert Deviation.objects.get(pk=deviation.pk).status == "qa_review" and not Signature.objects.exists()


def test_the_reporter_may_not_close_their_own_deviation(client_for, qa_manager):
    deviation = DeviationFactory(reporter=qa_manager, state="qa_review")
    response = approve(client_for(qa_manager), deviation)
    assert response.status_code == 403 and response.json()["error_code"] == "SELF_APPROVAL_NOT_ALLOWED"


def test_updates_need_a_reason_and_the_row_version_read(client_for, qa_user):
    deviation = DeviationFactory(state="under_investigation", investigator=qa_user)
    qa = client_for(qa_user)
    no_reason = qa.put(f"{URL}{deviation.pk}", {"title": "New", "row_version": deviation.row_version}, format="json")
    assert no_reason.status_code == 422 and no_reason.json()["detail"][0]["loc"] == ["body", "reason"]
    no_version = qa.put(f"{URL}{deviation.pk}", {"title": "New", "reason": "Clearer for the record"}, format="json")
    assert no_version.status_code == 422 and no_version.json()["error_code"] == "ROW_VERSION_REQUIRED"
    ok = qa.put(
        f"{URL}{deviation.pk}",
        {"title": "New", "reason": "Clearer for the record"},
        format="json",
        HTTP_IF_MATCH=f'"{deviation.row_version}"',
    )
    assert ok.status_code == 200 and ok.json()["title"] == "New"
    stale = qa.put(
        f"{URL}{deviation.pk}",
        {"title": "Newer", "reason": "x for the record", "row_version": deviation.row_version},
        format="json",
    )
    assert stale.status_code == 409 and stale.json()["error_code"] == "VERSION_CONFLICT"
    assert stale.json()["current_row_version"] == ok.json()["row_version"]
    event = AuditEvent.objects.filter(resource_type="deviation", resource_id=deviation.pk, action="update").get()
    assert (
        event.old_values == {"title": deviation.title}
        and event.new_values == {"title": "New"}
        and event.reason == "Clearer for the record"
    )


def test_every_bad_value_of_an_update_is_listed_at_once(client_for, qa_user, basic_user):
    deviation = DeviationFactory(state="under_investigation", investigator=qa_user)
    qa = client_for(qa_user)
    shape = put(qa, deviation, title="", category="Nonsense", severity="Huge")
    assert shape.status_code == 422
    assert {tuple(i["loc"]) for i in shape.json()["detail"]} == {("body", "title"), ("body", "category"), ("body", "severity")}
    Area.objects.filter(name="Warehouse").update(is_active=False)
    rules = put(qa, deviation, occurred_at="2999-01-01", owner=basic_user.pk, area="Warehouse")
    assert rules.status_code == 422
    assert {tuple(i["loc"]) for i in rules.json()["detail"]} == {("body", "occurred_at"), ("body", "owner"), ("body", "area")}
    assert Deviation.objects.get(pk=deviation.pk).row_version == deviation.row_version


def test_a_new_severity_moves_the_due_date_by_its_rule(client_for, qa_user):
    deviation = DeviationFactory(severity="Low", investigator=qa_user, state="under_investigation")
    body = put(client_for(qa_user), deviation, severity="Critical").json()
    assert body["due_date"] == (timezone.localdate() + timezone.timedelta(days=7)).isoformat()
    kept = put(client_for(qa_user), deviation, severity="Low", due_date="2030-01-31").json()
    assert kept["due_date"] == "2030-01-31"


def test_in_qa_review_the_content_is_locked_and_returning_it_needs_a_comment(client_for, qa_user, qa_manager):
    deviation = DeviationFactory(state="qa_review", investigator=qa_user)
    locked = put(client_for(qa_user), deviation, title="Changed during review")
    assert locked.status_code == 409 and locked.json()["error_code"] == "NOT_EDITABLE"
    manager = client_for(qa_manager)
    assert transition(manager, deviation, "return_to_investigation").status_code == 422
    back = transition(manager, deviation, "return_to_investigation", comment="Impact on batch 42 not assessed")
    assert back.json()["status"] == "under_investigation"
    assert put(client_for(qa_user), deviation, title="Changed after review").status_code == 200


def test_closed_deviations_are_read_only_until_reopened_with_a_signed_reason(client_for, qa_user, qa_manager):
    deviation = DeviationFactory(state="closed", investigator=qa_user)
    qa, manager = client_for(qa_user), client_for(qa_manager)
    assert put(qa, deviation, title="Late change").status_code == 409
    link = qa.post(
        f"{URL}{deviation.pk}/links", {"target_type": "deviation", "target": "x", "reason": "y for the record"}, format="json"
    )
    assert link.status_code in (409, 422)
    assert transition(manager, deviation, "reopen", password=PASSWORD).status_code == 422  # a reason is needed
    reopened = transition(manager, deviation, "reopen", password=PASSWORD, comment="New information from the customer")
    assert reopened.status_code == 200, reopened.json()
    assert reopened.json()["status"] == "under_investigation" and reopened.json()["closed_at"] is None
    entry = reopened.json()["workflow"]["history"][-1]
    assert entry["transition"] == "reopen" and entry["comment"] == "New information from the customer" and entry["signature_id"]
    assert put(qa, deviation, title="Change after reopening").status_code == 200


def test_cancelling_needs_a_reason_and_a_signature(client_for, qa_manager, qa_user):
    deviation = DeviationFactory()
    manager = client_for(qa_manager)
    assert transition(client_for(qa_user), deviation, "cancel", password=PASSWORD, comment="Duplicate").status_code == 403
    assert transition(manager, deviation, "cancel", comment="Duplicate").status_code == 422
    cancelled = transition(manager, deviation, "cancel", password=PASSWORD, comment="Duplicate of DEV-2025-0003")
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["available_transitions"] == []
    assert put(client_for(qa_user), deviation, title="x").status_code == 409


def test_the_reporter_follows_their_deviation_but_cannot_move_it(client_for, basic_user):
    deviation = DeviationFactory(reporter=basic_user)
    client = client_for(basic_user)
    body = client.get(f"{URL}{deviation.pk}").json()
    assert body["available_transitions"] == [] and body["workflow"]["state"]["name"] == "reported"
    assert transition(client, deviation, "start_investigation").status_code == 403


def test_a_form_encoded_update_changes_only_the_fields_sent(client_for, qa_user):
    deviation = DeviationFactory(state="under_investigation", investigator=qa_user)
    qa = client_for(qa_user)
    assert put(qa, deviation, capa_required=True).json()["capa_required"] is True
    row_version = Deviation.objects.get(pk=deviation.pk).row_version
    response = qa.put(
        f"{URL}{deviation.pk}",
        {"title": "Form-encoded", "reason": "x for the record", "row_version": row_version},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "Form-encoded" and response.json()["capa_required"] is True
