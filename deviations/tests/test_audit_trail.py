"""Deviations in the audit trail: "the trail of DEV-2026-0001" (GET /api/audit/?resource_type=deviation
&resource_id=...) holds its report with the answers as given, every change with old and new values
and its reason, its files (attached and downloaded), its related items (linked and removed, with
the reasons), its workflow steps and its signatures (closing: the approval meaning); its actions
are in the audit catalogue."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit import actions
from audit.models import AuditEvent, Signature
from conftest import PASSWORD
from deviations import services
from deviations.models import Deviation
from workflows import records_services

from .factories import INVESTIGATION, DeviationFactory

pytestmark = pytest.mark.django_db

DEVIATION_ACTIONS = {"link", "unlink", "attach", "publish", "retire", "download", "create", "update"}


def test_the_actions_are_in_the_catalogue():
    catalogue = {a.value: a for a in actions.catalogue()}
    assert DEVIATION_ACTIONS <= set(catalogue)
    assert catalogue["link"].enum == "deviations.audit_actions.DeviationAction"
    assert catalogue["unlink"].label == "Link removed"


@pytest.mark.requirement("21CFR11.10(e)", "ANNEX11.9", "QMS-DEVIATIONS")
def test_the_trail_of_a_deviation_holds_everything_that_happened_to_it(client_for, qa_user, qa_manager, auditor):
    deviation = DeviationFactory()
    other = DeviationFactory(reporter=deviation.reported_by)
    records_services.transition_record(actor=qa_user, record=deviation, name="start_investigation")
    deviation = Deviation.objects.get(pk=deviation.pk)
    services.update_deviation(
        actor=qa_user, deviation=deviation, changes=dict(INVESTIGATION), reason="Investigation completed", row_version=2
    )
    [attachment] = services.add_attachments(
        actor=qa_user, deviation=deviation, uploads=[SimpleUploadedFile("log.txt", b"Line log\n")], description="Line log"
    )
    link = services.link_record(
        actor=qa_user, deviation=deviation, target_type="deviation", target=other.number, reason="Same seal roll supplier"
    )
    services.unlink_record(actor=qa_user, deviation=deviation, link=link, reason="Different supplier after all")
    services.record_attachment_download(actor=qa_manager, deviation=deviation, attachment=attachment)
    records_services.transition_record(actor=qa_user, record=deviation, name="submit_for_review")
    records_services.approve_record(actor=qa_manager, record=deviation, password=PASSWORD, comment="Agreed")

    trail = client_for(auditor).get(
        "/api/audit/", {"resource_type": "deviation", "resource_id": deviation.pk, "page_size": 100, "sort": "timestamp asc"}
    )
    assert trail.status_code == 200, trail.json()
    rows = trail.json()["items"]
    assert {(row["action"], row["resource_type"]) for row in rows} >= {
        ("create", "deviation"),
        ("update", "deviation"),
        ("attach", "deviation"),
        ("link", "deviation_link"),
        ("unlink", "deviation_link"),
        ("download", "deviation_attachment"),
        ("transition", "deviation"),
        ("approve", "deviation"),
        ("sign", "deviation"),
    }
    assert not any(row["resource_id"] == other.pk and row["resource_type"] == "deviation" for row in rows)

    reported = AuditEvent.objects.get(resource_type="deviation", resource_id=deviation.pk, action="create")
    stored = Deviation.objects.get(pk=deviation.pk)
    assert reported.new_values["form_answers"] == stored.form_answers
    assert reported.new_values["description"] == stored.description
    assert reported.new_values["severity"] == "High"
    assert reported.new_values["reported_by.username"] == stored.reported_by.username

    updated = AuditEvent.objects.get(resource_type="deviation", resource_id=deviation.pk, action="update")
    assert updated.reason == "Investigation completed"
    assert updated.old_values["root_cause"] == "" and updated.new_values["root_cause"] == INVESTIGATION["root_cause"]
    assert updated.old_values["capa_required"] is None and updated.new_values["capa_required"] is False

    attached = AuditEvent.objects.get(subject_type="deviation", subject_id=deviation.pk, action="attach")
    assert attached.new_values["attachments"][0]["sha256"] == attachment.sha256

    unlinked = AuditEvent.objects.get(resource_type="deviation_link", resource_id=link.pk, action="unlink")
    assert (unlinked.subject_type, unlinked.subject_id) == ("deviation", deviation.pk)
    assert unlinked.reason == "Different supplier after all"


@pytest.mark.requirement("21CFR11.50", "QMS-DEVIATIONS")
def test_the_closing_signature_is_an_approval_of_the_closure(qa_manager):
    deviation = DeviationFactory(state="closed", closer=qa_manager)
    [signature] = Signature.objects.filter(resource_type="deviation", resource_id=deviation.pk)
    assert signature.signature_type == "approval" and signature.signer_id == qa_manager.pk
    assert signature.intent == f"I approve the closure of {deviation.number} ({deviation.title})."
    assert (signature.subject_type, signature.subject_id) == ("deviation", deviation.pk)
    assert signature.signed_content["root_cause"] == INVESTIGATION["root_cause"]
    assert signature.signed_content["capa_required"] is False


def test_cancelling_and_reopening_are_signed_with_the_responsibility_meaning(qa_manager):
    closed = DeviationFactory(state="closed", closer=qa_manager)
    records_services.transition_record(
        actor=qa_manager, record=closed, name="reopen", comment="New batch affected", password=PASSWORD
    )
    cancelled = DeviationFactory()
    records_services.transition_record(
        actor=qa_manager, record=cancelled, name="cancel", comment="Reported twice", password=PASSWORD
    )
    reopened = Signature.objects.get(resource_type="deviation", resource_id=closed.pk, signature_type="responsibility")
    assert reopened.intent.startswith(f"Reopen: {closed.number}") and reopened.reason == "New batch affected"
    cancel = Signature.objects.get(resource_type="deviation", resource_id=cancelled.pk)
    assert cancel.signature_type == "responsibility" and cancel.intent.startswith(f"Cancel: {cancelled.number}")
