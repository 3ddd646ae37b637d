"""The KPIs of GET /api/dashboard/stats against hand-built datasets whose answers are worked out
by hand in the comments; each scoped to what the caller may view and filtered by period and group."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Group
from accounts.tests.factories import UserFactory
from deviations.models import Deviation
from deviations.tests.factories import DeviationFactory
from documents.models import Document
from documents.tests.factories import DocumentFactory
from training.models import AssignmentStatus, Completion
from training.tests.factories import AssignmentFactory, ProgramFactory
from workflows.models import WorkflowHistory

pytestmark = pytest.mark.django_db
UTC = datetime.UTC
PERIOD = "date_from=2026-01-01&date_to=2026-03-31"


def at(day: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T12:00:00").replace(tzinfo=UTC)


def deviation(*, created: str, severity: str = "High", closed: str | None = None, due_days: int = 30, owner=None, reporter=None):
    """A deviation as the scene needs it: reported on `created`, closed on `closed` (else open under investigation)."""
    made = DeviationFactory(state="under_investigation", severity=severity, **({"reporter": reporter} if reporter else {}))
    Deviation.objects.filter(pk=made.pk).update(
        created_at=at(created),
        status="closed" if closed else "under_investigation",
        closed_at=at(closed) if closed else None,
        due_date=timezone.localdate() + datetime.timedelta(days=due_days),
        owner=owner,
    )
    return made


def stats(client, query: str = PERIOD) -> dict:
    response = client.get(f"/api/dashboard/stats?{query}")
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.mark.requirement("QMS-KPI")
def test_deviation_kpis_against_a_hand_built_dataset(client_for, qa_manager):
    deviation(created="2026-01-10", closed="2026-01-20", severity="High")  # 10 days
    deviation(created="2026-01-15", closed="2026-02-14", severity="Low")  # 30 days
    deviation(created="2026-02-01", closed="2026-02-03", severity="Medium")  # 2 days
    deviation(created="2026-03-05", severity="Critical", due_days=-1)  # open, overdue
    deviation(created="2026-02-20", severity="High", due_days=10)  # open
    deviation(created="2025-06-01", closed="2025-07-01", severity="Low")  # closed before the period

    d = stats(client_for(qa_manager))["deviations"]

    assert d["opened_per_month"] == [
        {"month": "2026-01", "count": 2},
        {"month": "2026-02", "count": 2},
        {"month": "2026-03", "count": 1},
    ]
    assert d["closed_per_month"] == [
        {"month": "2026-01", "count": 1},
        {"month": "2026-02", "count": 2},
        {"month": "2026-03", "count": 0},
    ]
    assert d["open_by_severity"] == [
        {"severity": "Critical", "count": 1},
        {"severity": "High", "count": 1},
        {"severity": "Medium", "count": 0},
        {"severity": "Low", "count": 0},
    ]
    assert (d["open"], d["overdue"], d["closed"]) == (2, 1, 3)
    assert d["mean_days_to_close"] == 14.0  # (10 + 30 + 2) / 3
    assert d["p90_days_to_close"] == 30.0  # nearest rank: ceil(0.9 × 3) = 3rd of [2, 10, 30]


def test_p90_uses_the_nearest_rank_over_ten_closures(client_for, qa_manager):
    for days in range(1, 11):  # 1 … 10 days to close
        deviation(created="2026-02-01", closed=(datetime.date(2026, 2, 1) + datetime.timedelta(days=days)).isoformat())
    d = stats(client_for(qa_manager))["deviations"]
    assert (d["closed"], d["mean_days_to_close"], d["p90_days_to_close"]) == (10, 5.5, 9.0)


def test_no_closures_give_no_durations(client_for, qa_manager):
    d = stats(client_for(qa_manager))["deviations"]
    assert (d["closed"], d["mean_days_to_close"], d["p90_days_to_close"], d["open"]) == (0, None, None, 0)


@pytest.mark.requirement("QMS-KPI")
def test_deviation_kpis_count_only_what_the_caller_may_see_and_the_group(client_for, qa_manager, basic_user):
    packaging = Group.objects.create(name="Packaging")
    owner = UserFactory(role_name="QA")
    packaging.members.add(owner)
    deviation(created="2026-01-10", reporter=basic_user, owner=owner)
    deviation(created="2026-01-12")
    deviation(created="2026-01-14", owner=owner, closed="2026-01-18")

    everyone = stats(client_for(qa_manager))["deviations"]
    group = stats(client_for(qa_manager), f"{PERIOD}&group_id={packaging.pk}")["deviations"]
    reporter = stats(client_for(basic_user))["deviations"]

    assert everyone["opened_per_month"][0]["count"] == 3 and everyone["open"] == 2
    assert group["opened_per_month"][0]["count"] == 2 and (group["open"], group["closed"]) == (1, 1)
    assert reporter["opened_per_month"][0]["count"] == 1 and reporter["open"] == 1 and reporter["closed"] == 0


@pytest.mark.requirement("QMS-KPI")
def test_training_compliance_against_a_hand_built_dataset(client_for, qa_manager):
    packaging, qc = Group.objects.create(name="Packaging"), Group.objects.create(name="QC")
    u1, u2, u3, u4 = (UserFactory(role_name="User") for _ in range(4))
    packaging.members.add(u1, u2)
    qc.members.add(u3)
    p1, p2 = ProgramFactory(title="Aseptic gowning"), ProgramFactory(title="Batch records")
    now = timezone.now()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)

    def completed(user, program, *, expires=None):
        assignment = AssignmentFactory(user=user, program=program, status=AssignmentStatus.COMPLETED)
        Completion.objects.create(
            assignment=assignment,
            program=program,
            user=user,
            completed_at=now - datetime.timedelta(days=30),
            expires_at=expires,
            recorded_by=user,
            program_title=program.title,
        )

    completed(u1, p1)  # qualified
    AssignmentFactory(user=u2, program=p1)  # open, not qualified
    completed(u3, p1, expires=now - datetime.timedelta(days=1))  # expired: not qualified
    AssignmentFactory(user=u1, program=p2, due_date=yesterday)  # open and overdue
    completed(u4, p2)  # qualified, in no group
    AssignmentFactory(user=u3, program=p2, status=AssignmentStatus.CANCELLED)  # not required
    AssignmentFactory(user=UserFactory(role_name="User", is_active=False), program=p2)  # inactive: not counted

    t = stats(client_for(qa_manager))["training"]

    # Required pairs: P1 {u1, u2, u3}, P2 {u1, u4}; qualified: u1-P1, u4-P2.
    assert t["compliance"] == {"id": None, "name": "Overall", "required": 5, "qualified": 2, "percent": 40.0}
    assert t["per_program"] == [
        {"id": p1.pk, "name": "Aseptic gowning", "required": 3, "qualified": 1, "percent": 33.3},
        {"id": p2.pk, "name": "Batch records", "required": 2, "qualified": 1, "percent": 50.0},
    ]
    assert t["per_group"] == [
        {"id": packaging.pk, "name": "Packaging", "required": 3, "qualified": 1, "percent": 33.3},
        {"id": qc.pk, "name": "QC", "required": 1, "qualified": 0, "percent": 0.0},
    ]
    assert t["overdue_assignments"] == 1

    only_qc = stats(client_for(qa_manager), f"group_id={qc.pk}")["training"]
    assert only_qc["compliance"] == {"id": None, "name": "Overall", "required": 1, "qualified": 0, "percent": 0.0}
    assert [g["name"] for g in only_qc["per_group"]] == ["QC"] and only_qc["overdue_assignments"] == 0

    # A User sees their own training only.
    own = stats(client_for(u1))["training"]
    assert own["compliance"]["required"] == 2 and own["compliance"]["qualified"] == 1 and own["overdue_assignments"] == 1


def test_compliance_with_nothing_required_has_no_percentage(client_for, qa_manager):
    t = stats(client_for(qa_manager))["training"]
    assert t["compliance"]["percent"] is None and t["per_program"] == [] and t["per_group"] == []


@pytest.mark.requirement("QMS-KPI")
def test_document_kpis_against_a_hand_built_dataset(client_for, qa_manager, basic_user):
    DocumentFactory(state="draft")
    DocumentFactory(state="in_review")
    late = DocumentFactory(state="effective")
    soon = DocumentFactory(state="effective")
    today = timezone.localdate()
    Document.objects.filter(pk=late.pk).update(next_review_date=today - datetime.timedelta(days=1))
    Document.objects.filter(pk=soon.pk).update(next_review_date=today + datetime.timedelta(days=10))
    # The first document became effective in February; the second now.
    WorkflowHistory.objects.filter(instance=late.current_version.workflow_instance, to_state="effective").update(
        created_at=at("2026-02-10")
    )
    this_month = today.strftime("%Y-%m")
    period = f"date_from=2026-01-01&date_to={today.isoformat()}"

    doc = stats(client_for(qa_manager), period)["documents"]

    assert doc["by_status"] == [
        {"status": "draft", "label": "Draft", "count": 1},
        {"status": "effective", "label": "Effective", "count": 2},
        {"status": "in_review", "label": "In review", "count": 1},
    ]
    months = {m["month"]: m["count"] for m in doc["effective_per_month"]}
    assert months["2026-01"] == 0 and months["2026-02"] == 1 and months[this_month] == 1
    assert sum(months.values()) == 2 and len(months) == today.month
    assert (doc["review_overdue"], doc["review_due"], doc["review_window_days"]) == (1, 1, 30)

    # Readers see effective documents only.
    reader = stats(client_for(basic_user), period)["documents"]
    assert reader["by_status"] == [{"status": "effective", "label": "Effective", "count": 2}]


def test_the_default_period_is_the_twelve_months_up_to_today(client_for, qa_manager):
    body = stats(client_for(qa_manager), "")
    today = timezone.localdate()
    assert body["date_to"] == today.isoformat()
    assert len(body["deviations"]["opened_per_month"]) == 12
    assert body["date_from"] == f"{body['deviations']['opened_per_month'][0]['month']}-01"
    assert body["capa"] is None or isinstance(body["capa"], dict)


@pytest.mark.parametrize(
    "query,field",
    [
        ("date_from=2026-03-01&date_to=2026-02-01", "date_to"),
        ("date_from=yesterday", "date_from"),
        ("date_from=2000-01-01&date_to=2026-01-01", "date_to"),
        ("group_id=abc", "group_id"),
        ("group_id=0", "group_id"),
        ("group_id=999999", "group_id"),
        ("date_from=0001-01-01", "date_from"),
        ("date_to=9999-12-31", "date_to"),
    ],
)
def test_bad_stats_parameters_are_422_in_the_query(client_for, qa_manager, query, field):
    response = client_for(qa_manager).get(f"/api/dashboard/stats?{query}")
    assert response.status_code == 422, response.json()
    assert response.json()["detail"][0]["loc"] == ["query", field]


def test_a_user_may_filter_by_their_own_groups_only(client_for, basic_user):
    mine, other = Group.objects.create(name="Packaging"), Group.objects.create(name="QC")
    mine.members.add(basic_user)
    client = client_for(basic_user)
    assert client.get(f"/api/dashboard/stats?group_id={mine.pk}").status_code == 200
    refused = client.get(f"/api/dashboard/stats?group_id={other.pk}")
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", "group_id"]
