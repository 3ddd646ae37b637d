"""The Celery beat jobs: marking overdue assignments and creating retraining before a completion
expires. Both are idempotent: a second run (or a run twice at once) changes nothing."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from audit.models import AuditEvent
from conftest import PASSWORD
from training import selectors, services, tasks
from training.models import Assignment, AssignmentKind, Completion, ProgramStatus

from .factories import AssignmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db


def test_the_beat_schedule_runs_both_jobs():
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"training.tasks.mark_overdue_assignments", "training.tasks.create_retraining_assignments"} <= tasks_scheduled


def test_open_assignments_past_their_due_date_become_overdue_once(program, make_user):
    today = timezone.now().date()
    late = AssignmentFactory(program=program, user=make_user(), due_date=today - datetime.timedelta(days=2))
    due_today = AssignmentFactory(program=program, user=make_user(), due_date=today)
    no_date = AssignmentFactory(program=program, user=make_user(), due_date=None)

    first = tasks.mark_overdue_assignments.delay().get()
    second = tasks.mark_overdue_assignments.delay().get()

    assert (first, second) == (1, 0)
    statuses = dict(Assignment.objects.values_list("pk", "status"))
    assert statuses == {late.pk: "overdue", due_today.pk: "assigned", no_date.pk: "assigned"}
    [event] = AuditEvent.objects.filter(action="overdue")
    assert event.resource_id == late.pk and event.actor_id is None
    assert event.old_values == {"status": "assigned"} and event.new_values == {"status": "overdue"}


def test_the_overdue_job_works_in_batches(program, make_user):
    yesterday = timezone.now().date() - datetime.timedelta(days=1)
    for _ in range(5):
        AssignmentFactory(program=program, user=make_user(), due_date=yesterday)

    assert services.mark_overdue_assignments(batch_size=2) == 5
    assert services.mark_overdue_assignments(batch_size=2) == 0


def test_overdue_and_due_soon_selectors_for_the_dashboard(program, basic_user, make_user):
    today = timezone.now().date()
    late = AssignmentFactory(program=program, user=basic_user, due_date=today - datetime.timedelta(days=1))
    soon = AssignmentFactory(program=ProgramFactory(), user=basic_user, due_date=today + datetime.timedelta(days=2))
    AssignmentFactory(program=ProgramFactory(), user=basic_user, due_date=today + datetime.timedelta(days=40))
    AssignmentFactory(program=program, user=make_user(), due_date=today - datetime.timedelta(days=5))

    assert list(selectors.overdue(basic_user)) == [late]
    assert list(selectors.due_soon(basic_user)) == [soon]
    assert selectors.overdue().count() == 2
    assert selectors.assigned_to(basic_user).count() == 3


@pytest.fixture
def yearly(basic_user):
    program = ProgramFactory(title="Annual GMP refresher", retraining_interval_days=365)
    AssignmentFactory(program=program, user=basic_user)
    services.complete_training(actor=basic_user, program=program, password=PASSWORD)
    return program, Completion.objects.get(user=basic_user, program=program)


@pytest.mark.requirement("QMS-TRAINING")
def test_retraining_is_assigned_before_the_completion_expires_once(yearly, basic_user):
    program, completion = yearly
    expiry = completion.expires_at.date()
    too_early = expiry - datetime.timedelta(days=settings.TRAINING_RETRAINING_LEAD_DAYS + 1)
    in_window = expiry - datetime.timedelta(days=settings.TRAINING_RETRAINING_LEAD_DAYS)

    assert services.create_retraining_assignments(today=too_early) == 0
    assert services.create_retraining_assignments(today=in_window) == 1
    assert services.create_retraining_assignments(today=in_window) == 0
    assert services.create_retraining_assignments(today=expiry) == 0

    retraining = Assignment.objects.get(kind=AssignmentKind.RETRAINING)
    assert retraining.user == basic_user and retraining.retraining_of == completion
    assert retraining.due_date == expiry and retraining.status == "assigned"
    assert AuditEvent.objects.filter(action="assign", resource_id=retraining.pk, actor_id=None).exists()


def test_completing_the_retraining_renews_the_cycle(basic_user):
    program = ProgramFactory(title="Gowning", retraining_interval_days=10)
    AssignmentFactory(program=program, user=basic_user)
    services.complete_training(actor=basic_user, program=program, password=PASSWORD)
    assert services.create_retraining_assignments() == 1  # expires in 10 days: inside the lead time
    program.retraining_interval_days = 365
    program.save()

    services.complete_training(actor=basic_user, program=program, password=PASSWORD)

    # The first completion has a newer one, which expires in a year: nothing more to assign.
    assert services.create_retraining_assignments() == 0
    assert Assignment.objects.get(kind=AssignmentKind.RETRAINING).status == "completed"
    assert selectors.qualified_program_ids(basic_user, [program.pk]) == {program.pk}


def test_no_retraining_for_revoked_completions_inactive_people_or_retired_programs(yearly, basic_user, admin_user, make_user):
    program, completion = yearly
    window = completion.expires_at.date()
    services.revoke_completion(actor=admin_user, completion=completion, reason="Recorded by mistake")
    assert services.create_retraining_assignments(today=window) == 0

    other = make_user("User", username="leaver")
    AssignmentFactory(program=program, user=other)
    services.complete_training(actor=other, program=program, password=PASSWORD)
    other.is_active = False
    other.save()
    assert services.create_retraining_assignments(today=window) == 0

    third = make_user("User", username="stayer")
    AssignmentFactory(program=program, user=third)
    services.complete_training(actor=third, program=program, password=PASSWORD)
    program.status = ProgramStatus.RETIRED
    program.save()
    assert services.create_retraining_assignments(today=window) == 0


def test_the_retraining_task_runs_through_celery(yearly):
    _, completion = yearly

    assert tasks.create_retraining_assignments.delay().get() == 0  # a year away
    assert completion.expires_at > timezone.now()
