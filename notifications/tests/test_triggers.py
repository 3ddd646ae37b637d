"""Each trigger as a story: the business write commits, its domain event is delivered, and the right
people find the right notification (once, however often the event is delivered)."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from conftest import PASSWORD
from deviations.tests.conftest import upload_document
from deviations.tests.factories import DeviationFactory
from documents import services as document_services
from notifications import handlers
from notifications.models import Notification
from qms.events import EventDelivery, OutboxEvent, deliver_event
from training import services as training_services
from training.tests.factories import ProgramFactory

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("QMS-NOTIFICATIONS")]


def kinds_of(user) -> list[tuple[str, str]]:
    return sorted(Notification.objects.filter(recipient=user).values_list("type", "title"))


def test_submitting_a_document_asks_its_approvers_and_each_approval_tells_the_author(
    author, manager, reviewer, after_commit, make_user
):
    bystander = make_user("User")
    with after_commit():
        document = upload_document(author, "Cleaning of the filling line")
        document_services.transition_document(actor=author, document=document, name="submit")

    for approver in (manager, reviewer):
        assert kinds_of(approver) == [("approval_needed", f"{document.number} waits for your approval")]
    assert kinds_of(author) == [] and kinds_of(bystander) == []  # the author may not approve their own
    needed = Notification.objects.get(recipient=manager)
    assert needed.link == f"/documents/{document.pk}/" and needed.priority == "high"

    with after_commit():
        document_services.approve_document(actor=manager, document=document, password=PASSWORD, comment="Fine")
    assert kinds_of(author) == [("approval_given", f"{document.number} approved by {manager.username}")]
    assert "Comment: Fine" in Notification.objects.get(recipient=author).body


def test_rejecting_a_document_tells_its_author(author, manager, after_commit):
    with after_commit():
        document = upload_document(author, "Line clearance")
        document_services.transition_document(actor=author, document=document, name="submit")
        document_services.transition_document(
            actor=manager, document=document, name="reject", comment="Wrong line", password=PASSWORD
        )

    rejected = Notification.objects.get(recipient=author, type="approval_rejected")
    assert rejected.title == f"{document.number} was rejected" and "Wrong line" in rejected.body


def test_a_redelivered_event_does_not_notify_twice(author, manager, after_commit):
    with after_commit():
        document = upload_document(author, "Gowning")
        document_services.transition_document(actor=author, document=document, name="submit")
    event = OutboxEvent.objects.get(name="document.transitioned", resource_id=document.pk, data__to_state="in_review")
    EventDelivery.objects.filter(event=event, handler="notifications.document_transitioned").update(
        status="pending", attempts=0, next_attempt_at=timezone.now()
    )

    deliver_event(event.pk)

    assert Notification.objects.filter(recipient=manager, type="approval_needed").count() == 1


def test_deviations_waiting_for_qa_review_ask_the_qa_managers(make_user, after_commit):
    manager = make_user("QA Manager")
    with after_commit():
        deviation = DeviationFactory(state="qa_review")
    assert Notification.objects.filter(recipient=manager, type="approval_needed", resource_id=deviation.pk).exists()


def test_assigning_a_deviation_tells_its_new_owner(make_user, after_commit):
    from deviations import services as deviation_services

    deviation = DeviationFactory(state="under_investigation")
    lead, colleague = make_user("QA Manager"), make_user("QA")
    with after_commit():
        deviation_services.update_deviation(
            actor=lead,
            deviation=deviation,
            changes={"owner": colleague},
            reason="Colleague knows the line",
            row_version=deviation.row_version,
        )

    assigned = Notification.objects.get(recipient=colleague, type="deviation_assigned")
    assert assigned.title.startswith(f"{deviation.number} assigned to you") and assigned.link == f"/deviations/{deviation.pk}/"


def test_assigning_training_tells_the_trainee(qa_manager, basic_user, after_commit):
    program = ProgramFactory(title="GMP basics")
    due = timezone.localdate() + datetime.timedelta(days=30)
    with after_commit():
        training_services.assign_training(actor=qa_manager, program=program, users=[basic_user], due_date=due)

    assert kinds_of(basic_user) == [("training_assigned", "Training assigned: GMP basics")]
    assert mail.outbox[0].subject == "[QMS] Training assigned: GMP basics"  # emailed by default


def test_repeated_failed_sign_ins_alert_the_administrators_urgently(make_user, admin_user, after_commit, settings, client):
    settings.FAILED_ATTEMPTS_ALERT_THRESHOLD = 3
    victim = make_user("User", username="victim")
    with after_commit():
        for _ in range(3):
            client.post("/login/", {"username": "victim", "password": "wrong-password-1"})

    alert = Notification.objects.get(recipient=admin_user, type="security_alert")
    assert alert.priority == "urgent" and "victim" in alert.title
    assert not Notification.objects.filter(recipient=victim).exists()
    assert any("URGENT" in m.subject and admin_user.email in m.to for m in mail.outbox)


def capa_event(name, *, actor=None, **data) -> OutboxEvent:
    """A CAPA event as the capa app emits it (stored, not dispatched)."""
    return OutboxEvent.objects.create(
        name=name,
        resource_type="capa",
        resource_id=7,
        actor_id=getattr(actor, "pk", None),
        actor_username=getattr(actor, "username", ""),
        occurred_at=timezone.now(),
        data={"number": "CAPA-2026-0007", "title": "Seal roll loading", **data},
    )


def test_capa_events_are_handled_by_name_from_their_data(qa_user, make_user, after_commit):
    owner, lead = make_user("QA"), make_user("QA Manager")
    with after_commit():
        handlers.on_capa_event(capa_event("capa.created", actor=qa_user, owner_id=owner.pk, status="draft"))
        handlers.on_capa_event(
            capa_event("capa.action_assigned", actor=qa_user, owner_id=owner.pk, action_id=3, due_date="2026-04-01")
        )
        handlers.on_capa_event(
            capa_event("capa.action_assigned", actor=qa_user, owner_id=owner.pk, action_id=4, due_date="2026-04-02")
        )
        handlers.on_capa_event(capa_event("capa.effectiveness_due", owner_id=owner.pk, review_id=9))
        handlers.on_capa_event(capa_event("capa.closed", actor=lead, owner_id=owner.pk))
        handlers.on_capa_event(capa_event("capa.closed", actor=lead, owner_id=owner.pk))  # redelivered

    assert kinds_of(owner) == [
        ("capa_action_assigned", "CAPA-2026-0007: action assigned to you"),
        ("capa_action_assigned", "CAPA-2026-0007: action assigned to you"),
        ("capa_closed", "CAPA-2026-0007 closed"),
        ("capa_created", "CAPA-2026-0007 created: Seal roll loading"),
        ("effectiveness_due", "CAPA-2026-0007: effectiveness review due"),
    ]
    assert Notification.objects.filter(
        recipient=lead, type="approval_needed", title="CAPA-2026-0007 draft waits for approval"
    ).exists()
    assert not Notification.objects.filter(recipient=qa_user).exists()  # the actor is not told of their own act
