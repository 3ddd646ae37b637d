"""Every dashboard endpoint reads in a fixed number of queries (at most 15), whatever the number of
records: the count is measured on a small dataset and again after it has grown."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Group
from accounts.tests.factories import UserFactory
from deviations.models import Deviation
from deviations.tests.factories import DeviationFactory
from documents.models import Document
from documents.tests.factories import DocumentFactory
from training import services as training_services
from training.tests.factories import AssignmentFactory, ProgramFactory
from workflows.models import WorkflowTemplate

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "/api/dashboard/assigned-items",
    "/api/dashboard/pending-approvals",
    "/api/dashboard/overdue-items",
    "/api/dashboard/approaching-deadlines?hours=240",
    "/api/dashboard/stats",
    "/api/dashboard/stats?date_from=2026-01-01&date_to=2026-12-31&group_id={group}",
]
MAX_QUERIES = 15


def grow(manager, group, program, n: int) -> None:
    """n more of everything the lists and KPIs read: deviations (in review, overdue, closed, owned by
    the manager), documents in review and past their review date, and training assignments."""
    today = timezone.localdate()
    for i in range(n):
        member = UserFactory(role_name="User")
        group.members.add(member)
        under_review = DeviationFactory(state="qa_review", severity=("Low", "High", "Critical")[i % 3])
        Deviation.objects.filter(pk=under_review.pk).update(due_date=today - datetime.timedelta(days=i % 2), owner=manager)
        closed = DeviationFactory(state="under_investigation")
        Deviation.objects.filter(pk=closed.pk).update(status="closed", closed_at=timezone.now(), owner=member)
        DocumentFactory(state="in_review")
        effective = DocumentFactory(state="effective")
        Document.objects.filter(pk=effective.pk).update(next_review_date=today - datetime.timedelta(days=i))
        AssignmentFactory(user=manager, due_date=today + datetime.timedelta(days=i - 1))
        AssignmentFactory(user=member, program=program, due_date=today - datetime.timedelta(days=1))


def count_queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.json()
    return len(queries)


@pytest.mark.requirement("QMS-DASHBOARD", "QMS-KPI")
def test_each_endpoint_reads_in_a_bounded_number_of_queries(client_for, qa_manager, admin_user, django_assert_max_num_queries):
    group = Group.objects.create(name="Packaging")
    program = ProgramFactory(title="GMP basics")
    training_services.add_qualification_requirement(
        actor=admin_user,
        workflow_template=WorkflowTemplate.objects.get(name="Deviation handling", is_current=True),
        workflow_state="qa_review",
        program=program,
    )
    training_services.add_qualification_requirement(
        actor=admin_user, workflow_template=None, workflow_state="in_review", requires_document_training=True
    )
    client = client_for(qa_manager)
    grow(qa_manager, group, program, 2)
    client.get("/api/dashboard/stats")  # the first request warms per-process caches (permissions, record types)
    small = {path: count_queries(client, path.format(group=group.pk)) for path in ENDPOINTS}

    grow(qa_manager, group, program, 5)
    for path in ENDPOINTS:
        with django_assert_max_num_queries(MAX_QUERIES):
            large = count_queries(client, path.format(group=group.pk))
        assert large == small[path], f"{path}: {small[path]} queries with little data, {large} with more"

    assert client.get("/api/dashboard/pending-approvals?page_size=100").json()["total"] == 14
