"""The reminder beat job: due-soon and overdue training, deviations and periodic document reviews,
each once per item and due date however often (and however concurrently) the job runs."""

import datetime
import threading

import pytest
from django.db import connection

from deviations.models import Deviation
from deviations.tests.factories import DeviationFactory
from documents.models import Document
from notifications import reminders
from notifications.models import Notification
from training.tests.factories import AssignmentFactory

pytestmark = pytest.mark.requirement("QMS-REMINDERS")

TODAY = datetime.date(2026, 3, 10)


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def scene(make_user, effective_document):
    trainee = make_user("User", username="trainee")
    AssignmentFactory(user=trainee, program__title="GMP basics", due_date=days(2))
    AssignmentFactory(user=trainee, program__title="Gowning", due_date=days(-1))
    AssignmentFactory(user=trainee, program__title="Far away", due_date=days(60))
    investigator = make_user("QA", username="investigator")
    late = DeviationFactory(state="under_investigation", investigator=investigator)
    Deviation.objects.filter(pk=late.pk).update(owner=investigator, due_date=days(-3))
    Document.objects.filter(pk=effective_document.pk).update(next_review_date=days(20))
    return trainee, investigator, late


@pytest.mark.django_db
def test_reminders_reach_the_people_concerned_once(make_user, effective_document):
    trainee, investigator, late = scene(make_user, effective_document)

    report = reminders.send_reminders(today=TODAY)
    again = reminders.send_reminders(today=TODAY)
    next_day = reminders.send_reminders(today=days(1))

    assert report.created == {
        "training_due_soon": 1,
        "training_overdue": 1,
        "deviation_overdue": 1,
        "document_review_due": 1,
    }
    assert again.total == 0 and next_day.total == 0  # keyed on the due date: no reminder twice
    assert sorted(Notification.objects.filter(recipient=trainee).values_list("type", "title")) == [
        ("training_due_soon", f"Training due {days(2).isoformat()}: GMP basics"),
        ("training_overdue", "Training overdue: Gowning"),
    ]
    overdue = Notification.objects.get(recipient=investigator, type="deviation_overdue")
    assert overdue.title.startswith(f"{late.number} overdue") and overdue.link == f"/deviations/{late.pk}/"
    review = Notification.objects.get(type="document_review_due")
    assert review.recipient_id == effective_document.owner_id and review.resource_id == effective_document.pk


@pytest.mark.django_db
def test_a_new_due_date_reminds_again(make_user):
    trainee = make_user("User")
    assignment = AssignmentFactory(user=trainee, due_date=days(1))
    reminders.send_reminders(today=TODAY)
    assignment.due_date = days(3)
    assignment.save(update_fields=["due_date"])

    assert reminders.send_reminders(today=TODAY).created == {"training_due_soon": 1}
    assert Notification.objects.filter(recipient=trainee, type="training_due_soon").count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_beat_runs_at_once_make_no_duplicates(make_user, effective_document):
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent writers need PostgreSQL (SQLite serialises them).")
    trainee, investigator, _ = scene(make_user, effective_document)
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def run():
        try:
            barrier.wait()
            reports.append(reminders.send_reminders(today=TODAY))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert sum(r.total for r in reports) == 4
    reminder_kinds = ["training_due_soon", "training_overdue", "deviation_overdue", "document_review_due"]
    assert Notification.objects.filter(type__in=reminder_kinds).count() == 4


@pytest.mark.django_db
def test_the_beat_schedule_runs_reminders_digests_and_retries(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "notifications.tasks.send_reminders",
        "notifications.tasks.send_daily_digests",
        "notifications.tasks.send_pending_emails",
        "notifications.tasks.retry_due_webhooks",
    } <= tasks
    assert settings.CELERY_TIMEZONE == "UTC"
