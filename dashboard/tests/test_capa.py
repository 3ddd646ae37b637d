"""CAPAs on the dashboard (when the CAPA module is installed): the owner's CAPAs and actions, draft
CAPAs and closures waiting for the QA Manager, overdue CAPAs and actions, and the CAPA KPIs against
a hand-built dataset."""

import datetime

import pytest
from django.utils import timezone

pytest.importorskip("capa.models", reason="the CAPA module is not installed")

from accounts.tests.factories import UserFactory  # noqa: E402
from capa.models import Capa, CapaAction, EffectivenessReview, ReviewResult  # noqa: E402
from capa.tests.factories import make_capa  # noqa: E402

pytestmark = pytest.mark.django_db


def items(client, path: str) -> list[tuple[str, int, str]]:
    response = client.get(path)
    assert response.status_code == 200, response.json()
    return [(i["type"], i["id"], i["reason"]) for i in response.json()["items"]]


@pytest.mark.requirement("QMS-DASHBOARD")
def test_drafts_and_closures_wait_for_the_qa_manager(client_for, qa_manager):
    draft = make_capa(state="draft", title="Seal roll loading")
    closing = make_capa(state="pending_effectiveness", title="Label mix-up", manager=qa_manager)

    body = client_for(qa_manager).get("/api/dashboard/pending-approvals").json()

    rows = {(i["type"], i["id"]): i for i in body["items"]}
    assert rows[("capa", draft.pk)]["reason"] == "Draft to approve"
    assert rows[("capa", closing.pk)]["reason"] == "Approval" and rows[("capa", closing.pk)]["can_approve"] is True
    assert rows[("capa", draft.pk)]["link"] == f"/capa/{draft.pk}/"
    assert body["counts"]["capa"] == 2


@pytest.mark.requirement("QMS-DASHBOARD")
def test_the_owner_sees_their_capa_and_action_and_the_qa_manager_what_is_overdue(client_for, qa_manager):
    owner = UserFactory(role_name="QA")
    capa = make_capa(state="in_progress", owner=owner, author=owner)
    action = CapaAction.objects.get(capa=capa)

    assert items(client_for(owner), "/api/dashboard/assigned-items") == [
        ("capa_action", action.pk, "Action owner"),
        ("capa", capa.pk, "Owner"),
    ]
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Capa.objects.filter(pk=capa.pk).update(due_date=yesterday)
    CapaAction.objects.filter(pk=action.pk).update(due_date=yesterday)
    late = items(client_for(qa_manager), "/api/dashboard/overdue-items")
    assert ("capa", capa.pk, "Overdue") in late and ("capa_action", action.pk, "Action overdue") in late
    assert items(client_for(qa_manager), "/api/dashboard/overdue-items?mine=true") == []


@pytest.mark.requirement("QMS-KPI")
def test_capa_kpis_against_a_hand_built_dataset(client_for, qa_manager):
    today = timezone.localdate()
    on_time = make_capa(state="closed", title="Closed on time")  # due in 30 days, closed today
    late = make_capa(state="closed", title="Closed late")
    Capa.objects.filter(pk=late.pk).update(due_date=today - datetime.timedelta(days=5))
    EffectivenessReview.objects.filter(capa=late).update(result=ReviewResult.NOT_EFFECTIVE)
    running = make_capa(state="in_progress", title="Overdue")
    Capa.objects.filter(pk=running.pk).update(due_date=today - datetime.timedelta(days=1))
    make_capa(state="draft", title="Open draft")

    c = client_for(qa_manager).get(f"/api/dashboard/stats?date_from={today.replace(day=1)}&date_to={today}").json()["capa"]

    assert c == {
        "open": 2,  # the draft and the one in progress
        "overdue": 1,
        "closed": 2,
        "closed_on_time": 1,
        "on_time_closure_rate": 50.0,
        "effectiveness_reviews": 2,
        "effective": 1,
        "effectiveness_rate": 50.0,
    }
    assert on_time.status == "closed"
