"""The deviation list (filters, sorting, badges' data), query counts that do not grow with the page
or with a deviation's links and attachments, recurrence, and the selectors the dashboard calls."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from deviations import selectors, services
from deviations.models import Deviation
from deviations.serializers import DeviationListSerializer
from qms.api.lists import flat_plan, serialize_rows

from .conftest import pdf_upload
from .factories import DeviationFactory

pytestmark = pytest.mark.django_db

URL = "/api/deviations/"


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [item["number"] for item in response.json()["items"]]


def set_fields(deviation, **values):
    Deviation.objects.filter(pk=deviation.pk).update(**values)
    deviation.refresh_from_db()
    return deviation


def test_filters_and_sorting(client_for, qa_user, basic_user):
    low = DeviationFactory(severity="Low", category="Equipment", area="Warehouse", reporter=basic_user, product="Tablets")
    critical = DeviationFactory(severity="Critical", title="Glass in vial", state="under_investigation", investigator=qa_user)
    high = DeviationFactory(severity="High")
    set_fields(low, due_date=timezone.localdate() - datetime.timedelta(days=1), owner=qa_user)
    qa = client_for(qa_user)
    assert numbers(qa.get(URL, {"severity": "critical,high", "sort": "severity desc"})) == [critical.number, high.number]
    assert numbers(qa.get(URL, {"sort": "severity"})) == [low.number, high.number, critical.number]
    assert numbers(qa.get(URL, {"status": "under_investigation"})) == [critical.number]
    assert numbers(qa.get(URL, {"category": "equipment"})) == [low.number]
    assert numbers(qa.get(URL, {"area": str(low.area_id)})) == [low.number]
    assert numbers(qa.get(URL, {"owner": qa_user.pk})) == [low.number]
    assert numbers(qa.get(URL, {"reported_by": basic_user.pk})) == [low.number]
    assert numbers(qa.get(URL, {"overdue": "true"})) == [low.number]
    assert set(numbers(qa.get(URL, {"overdue": "false"}))) == {high.number, critical.number}
    assert numbers(qa.get(URL, {"search": "glass"})) == [critical.number]
    assert numbers(qa.get(URL, {"search": "tablets"})) == [low.number]
    today = timezone.localdate().isoformat()
    assert len(numbers(qa.get(URL, {"date_from": today, "date_to": today}))) == 3
    assert numbers(qa.get(URL, {"date_to": "2000-01-01"})) == []
    item = qa.get(URL, {"overdue": "true"}).json()["items"][0]
    assert item["is_overdue"] is True and item["owner"]["username"] == qa_user.username


def test_bad_query_values_are_422_in_the_query(client_for, qa_user):
    qa = client_for(qa_user)
    for params, name in (({"owner": "abc"}, "owner"), ({"date_from": "yesterday"}, "date_from"), ({"sort": "colour"}, "sort")):
        response = qa.get(URL, params)
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", name], params


def test_list_queries_do_not_grow_with_the_page_size(client_for, qa_user):
    for _ in range(6):
        DeviationFactory(reporter=UserFactory(role_name="User"))
    qa = client_for(qa_user)
    qa.get(URL)  # warm up (content types, the user's permissions)
    with CaptureQueriesContext(connection) as two:
        assert len(qa.get(URL, {"page_size": 2}).json()["items"]) == 2
    with CaptureQueriesContext(connection) as six:
        assert len(qa.get(URL, {"page_size": 6}).json()["items"]) == 6
    assert len(six.captured_queries) == len(two.captured_queries)


def test_list_rows_are_read_flat_without_model_objects(qa_user):
    """Every column of a list row comes from the page's one query (is_overdue included), so the list
    never builds a model object per row (bench/deviation_list.py measures the speed)."""
    for queryset in (selectors.deviation_list(qa_user), selectors.with_severity_rank(selectors.deviation_list(qa_user))):
        plan = flat_plan(DeviationListSerializer, queryset)
        assert plan.object_columns == [] and plan.reads_database is False
    deviation = DeviationFactory(state="under_investigation")
    Deviation.objects.filter(pk=deviation.pk).update(due_date=datetime.date(2020, 1, 1))
    [row] = serializer_rows(qa_user)
    assert row["is_overdue"] is True


def serializer_rows(user) -> list:
    return serialize_rows(selectors.deviation_list(user), DeviationListSerializer, context={})


def test_the_detail_does_not_grow_with_links_and_attachments(client_for, qa_user):
    deviation = DeviationFactory(state="under_investigation", investigator=qa_user)
    others = [DeviationFactory() for _ in range(4)]
    qa = client_for(qa_user)
    qa.get(f"{URL}{deviation.pk}")

    def detail_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert qa.get(f"{URL}{deviation.pk}").status_code == 200
        return len(captured.captured_queries)

    services.link_record(
        actor=qa_user, deviation=deviation, target_type="deviation", target=others[0].pk, reason="Same line for the record"
    )
    services.add_attachments(actor=qa_user, deviation=deviation, uploads=[pdf_upload("a.pdf")])
    few = detail_queries()
    for other in others[1:]:
        services.link_record(
            actor=qa_user, deviation=deviation, target_type="deviation", target=other.pk, reason="Same line for the record"
        )
        services.link_record(
            actor=qa_user, deviation=other, target_type="deviation", target=deviation.pk, reason="Same line for the record"
        )
    services.add_attachments(actor=qa_user, deviation=deviation, uploads=[pdf_upload("b.pdf"), pdf_upload("c.pdf")])
    assert detail_queries() == few


def test_recurrence_lists_earlier_deviations_sharing_category_area_or_product(qa_user, basic_user):
    old = DeviationFactory(category="Equipment", area="Warehouse", product="Amoxicillin 500 mg")
    same_area = DeviationFactory(category="Personnel", area="Packaging")
    unrelated = DeviationFactory(category="Laboratory", area="QC laboratory")
    too_old = DeviationFactory(category="Equipment", area="Packaging")
    set_fields(too_old, created_at=timezone.now() - datetime.timedelta(days=400))
    current = DeviationFactory(category="Materials", area="Packaging", product="amoxicillin 500 MG", reporter=basic_user)
    found = selectors.recurrence(current, qa_user)
    assert found.total == 2 and found.days == 365
    assert [(item["deviation"].number, item["shared"]) for item in found.items] == [
        (same_area.number, ["area"]),
        (old.number, ["product"]),
    ]
    assert unrelated.number not in [item["deviation"].number for item in found.items]
    # The reporter sees only what they may see: none of the others are theirs.
    assert selectors.recurrence(current, basic_user).total == 0


def test_dashboard_selectors(qa_user, qa_manager):
    today = timezone.localdate()
    mine_late = set_fields(DeviationFactory(), owner=qa_user, due_date=today - datetime.timedelta(days=2))
    mine_soon = set_fields(DeviationFactory(), owner=qa_user, due_date=today + datetime.timedelta(days=1))
    other_late = set_fields(DeviationFactory(), due_date=today - datetime.timedelta(days=1))
    closed_late = set_fields(DeviationFactory(state="closed"), owner=qa_user, due_date=today - datetime.timedelta(days=5))
    in_review = DeviationFactory(state="qa_review")
    assert list(selectors.assigned_to(qa_user)) == [mine_late, mine_soon]
    assert set(selectors.overdue(qa_user)) == {mine_late, other_late}
    assert list(selectors.overdue(qa_user, mine=True)) == [mine_late]
    now = timezone.now()
    assert list(selectors.due_soon(qa_user, mine=True, now=now)) == [mine_soon]
    assert list(selectors.due_soon(qa_user, mine=True, hours=1, now=now.replace(hour=0, minute=0))) == []
    assert closed_late not in selectors.overdue(qa_user)
    assert list(selectors.pending_approval(qa_manager)) == [in_review]
    assert list(selectors.pending_approval(qa_user)) == []  # QA does not close deviations


def test_dashboard_selectors_answer_in_one_query(qa_user, qa_manager, django_assert_num_queries):
    for state in ("reported", "qa_review", "qa_review"):
        DeviationFactory(state=state)
    for read in (
        lambda: list(selectors.assigned_to(qa_user)),
        lambda: list(selectors.overdue(qa_user)),
        lambda: list(selectors.due_soon(qa_user)),
        lambda: list(selectors.pending_approval(qa_manager)),
    ):
        read()  # permissions cached on the user
        with django_assert_num_queries(1):
            read()
