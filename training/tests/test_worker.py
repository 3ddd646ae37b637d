"""A beat job through a real Celery worker (not eager): the task goes through the broker (Redis
when REDIS_URL is set, as in CI; Celery's in-memory transport otherwise) and a worker thread runs it."""

import datetime

import pytest
from django.utils import timezone

from documents.tests.test_worker import real_worker, wait_for  # noqa: F401 - the worker fixture
from training import tasks
from training.models import Assignment

from .factories import AssignmentFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_worker_marks_overdue_assignments(real_worker, basic_user, program):  # noqa: F811
    late = AssignmentFactory(program=program, user=basic_user, due_date=timezone.now().date() - datetime.timedelta(days=1))

    result = tasks.mark_overdue_assignments.delay()

    assert wait_for(lambda: Assignment.objects.get(pk=late.pk).status == "overdue")
    assert result.id
