"""CAPAs and deviations see each other: a CAPA raised from a deviation is pre-filled and linked,
links are many-to-many and shown on both records, a deviation's CAPA decision can name an existing
CAPA (the picker searches CAPAs), and a deviation requiring a CAPA closes only with one linked.
The dashboard selectors answer in bounded queries; the daily job flags due reviews once; search
indexes CAPAs for the users who may see them."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from capa import selectors, services
from capa.indexing import pieces, visible_chunks
from capa.models import Capa, CapaAction
from conftest import PASSWORD
from deviations import services as deviation_services
from deviations.pickers import picker_for
from deviations.tests.factories import DeviationFactory
from qms.events import OutboxEvent
from qms.searchables import SearchFilters
from qms.searchables import get as searchable
from workflows import records_services

from .factories import due, make_capa

pytestmark = pytest.mark.django_db

URL = "/api/capa/"


@pytest.mark.requirement("QMS-CAPA-LINKS")
def test_raising_a_capa_from_a_deviation_prefills_it_and_links_both_ways(client_for, qa_user):
    deviation = DeviationFactory(state="qa_review", severity="Critical")
    response = client_for(qa_user).post(f"{URL}from-deviation", {"deviation_id": deviation.pk}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and body["source"] == "deviation" and body["source_reference"] == deviation.number
    assert body["priority"] == "critical" and body["owner"]["username"] == qa_user.username
    assert deviation.number in body["title"] and body["root_cause"] == deviation.root_cause
    assert [d["number"] for d in body["deviations"]] == [deviation.number] and body["deviations"][0]["held_by"] == "capa"
    links = client_for(qa_user).get(f"/api/deviations/{deviation.pk}/links").json()
    [backlink] = [row for row in links["linked_from"] if row["type"] == "capa"]
    assert backlink["number"] == body["number"] and backlink["status"] == "Draft" and backlink["url"] == f"/capa/{body['id']}/"


@pytest.mark.requirement("QMS-CAPA-LINKS")
def test_many_to_many_links_are_visible_from_both_sides(client_for, qa_user):
    first, second = DeviationFactory(), DeviationFactory()
    capa = make_capa(author=qa_user, deviation_ids=[first.pk, second.pk])
    other = make_capa(author=qa_user, deviation_ids=[first.pk])
    qa = client_for(qa_user)
    assert {d["number"] for d in qa.get(f"{URL}{capa.pk}").json()["deviations"]} == {first.number, second.number}
    linked_from = qa.get(f"/api/deviations/{first.pk}/links").json()["linked_from"]
    assert {row["number"] for row in linked_from if row["type"] == "capa"} == {capa.number, other.number}
    assert {i["id"] for i in qa.get(URL, {"deviation": first.pk}).json()["items"]} == {capa.pk, other.pk}
    # Unlinking keeps the row on record and the deviation no longer shows the CAPA.
    link = capa.deviation_links.get(deviation=second)
    removed = qa.delete(f"{URL}{capa.pk}/deviations/{link.pk}", {"reason": "Not related after all"}, format="json")
    assert removed.status_code == 200
    rows = qa.get(f"{URL}{capa.pk}/deviations").json()
    assert [r["removed_at"] is not None for r in rows if r["number"] == second.number] == [True]
    assert not [r for r in qa.get(f"/api/deviations/{second.pk}/links").json()["linked_from"] if r["type"] == "capa"]
    again = qa.delete(f"{URL}{capa.pk}/deviations/{link.pk}", {"reason": "Not related after all"}, format="json")
    assert again.status_code == 409 and again.json()["error_code"] == "LINK_REMOVED"
    relinked = qa.post(
        f"{URL}{capa.pk}/deviations", {"deviation_id": second.pk, "reason": "Related again after review"}, format="json"
    )
    assert relinked.status_code == 201
    twice = qa.post(
        f"{URL}{capa.pk}/deviations", {"deviation_id": second.pk, "reason": "Related again after review"}, format="json"
    )
    assert twice.status_code == 409 and twice.json()["error_code"] == "ALREADY_LINKED"
    assert AuditEvent.objects.filter(resource_type="capa", resource_id=capa.pk, action="unlink").count() == 1


@pytest.mark.requirement("QMS-CAPA-LINKS")
def test_a_deviations_capa_decision_points_to_an_existing_capa_found_by_the_picker(client_for, qa_user, qa_manager):
    capa = make_capa(author=qa_user, title="Seal supplier qualification")
    deviation = DeviationFactory(state="under_investigation", investigator=qa_user)
    picker = picker_for("capa_picker")
    assert picker.available and [r["number"] for r in picker.search(qa_user, "supplier")] == [capa.number]
    qa = client_for(qa_user)
    linked = qa.post(
        f"/api/deviations/{deviation.pk}/links",
        {"target_type": "capa", "target": capa.number, "reason": "CAPA raised for it"},
        format="json",
    )
    assert linked.status_code == 201, linked.json()
    [row] = qa.get(f"{URL}{capa.pk}").json()["deviations"]
    assert row["number"] == deviation.number and row["held_by"] == "deviation"


@pytest.mark.requirement("QMS-CAPA-LINKS", "QMS-DEVIATIONS")
def test_a_deviation_requiring_a_capa_closes_once_a_capa_raised_for_it_is_linked(client_for, qa_user, qa_manager):
    deviation = DeviationFactory(state="under_investigation", investigator=qa_user)
    deviation_services.update_deviation(
        actor=qa_user,
        deviation=deviation,
        changes={"root_cause": "Worn seal roll holder", "root_cause_method": "five_whys", "capa_required": True},
        reason="Investigation done",
        row_version=deviation.row_version,
    )
    records_services.transition_record(actor=qa_user, record=deviation, name="submit_for_review")
    manager = client_for(qa_manager)
    blocked = manager.post(f"/api/deviations/{deviation.pk}/approve", {"password": PASSWORD}, format="json")
    assert blocked.status_code == 422 and blocked.json()["detail"][0]["loc"] == ["body", "links"]
    services.raise_from_deviation(actor=qa_user, deviation=deviation)
    closed = manager.post(f"/api/deviations/{deviation.pk}/approve", {"password": PASSWORD}, format="json")
    assert closed.status_code == 200, closed.json()


# --- dashboard selectors -------------------------------------------------------------------------------------


def test_dashboard_selectors_find_assigned_overdue_due_soon_and_pending_items(qa_user, qa_manager, basic_user):
    today = timezone.localdate()
    draft = make_capa(author=qa_user, owner=basic_user, title="Draft one")
    running = make_capa(state="in_progress", author=qa_user, manager=qa_manager, title="Running")
    late = CapaAction.objects.create(
        capa=running,
        sequence=5,
        description="Late",
        owner=basic_user,
        due_date=today - datetime.timedelta(days=2),
        original_due_date=today,
        created_by=qa_user,
    )
    soon = CapaAction.objects.create(
        capa=running,
        sequence=6,
        description="Tomorrow",
        owner=basic_user,
        due_date=today + datetime.timedelta(days=1),
        original_due_date=today,
        created_by=qa_user,
    )
    Capa.objects.filter(pk=draft.pk).update(due_date=today - datetime.timedelta(days=1))
    assert list(selectors.assigned_to(basic_user)) == [draft]
    assert {a.pk for a in selectors.actions_assigned_to(basic_user)} == {late.pk, soon.pk}
    overdue = selectors.overdue(basic_user, mine=True)
    assert list(overdue.capas) == [draft] and list(overdue.actions) == [late]
    now = timezone.now()
    assert list(selectors.due_soon(basic_user, mine=True, now=now).actions) == [soon]
    pending = selectors.pending_approval(qa_manager)
    assert list(pending.drafts) == [Capa.objects.get(pk=draft.pk)] and not pending.approvals.exists()
    assert not selectors.pending_approval(qa_user).drafts.exists()
    awaiting = make_capa(state="pending_effectiveness", author=qa_user, manager=qa_manager, title="Awaiting")
    assert list(selectors.pending_approval(qa_manager).approvals) == [Capa.objects.get(pk=awaiting.pk)]
    assert not selectors.pending_approval(qa_user).approvals.exists()


def test_the_list_and_detail_read_in_a_fixed_number_of_queries(client_for, qa_user, qa_manager):
    qa = client_for(qa_user)
    first = make_capa(state="in_progress", author=qa_user, manager=qa_manager, deviation_ids=[DeviationFactory().pk])

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert qa.get(url).status_code == 200
        return len(queries)

    list_one, detail_one = count(URL), count(f"{URL}{first.pk}")
    for n in range(3):
        make_capa(
            state="in_progress", author=qa_user, manager=qa_manager, deviation_ids=[DeviationFactory().pk for _ in range(n + 1)]
        )
    bigger = make_capa(
        state="in_progress", author=qa_user, manager=qa_manager, deviation_ids=[DeviationFactory().pk for _ in range(3)]
    )
    services.add_action(actor=qa_user, capa=bigger, description="Second", owner=qa_user, due_date=due())
    assert count(URL) == list_one
    assert count(f"{URL}{bigger.pk}") == detail_one


# --- the daily job and search -----------------------------------------------------------------------------------


@pytest.mark.requirement("QMS-CAPA-EFFECTIVENESS")
def test_due_reviews_are_flagged_once_by_the_daily_job(qa_user, qa_manager):
    from capa.tasks import flag_due_effectiveness_reviews

    capa = make_capa(state="pending_effectiveness", author=qa_user, manager=qa_manager)
    due_review = services.create_review(actor=qa_user, capa=capa, planned_date=timezone.localdate(), method="Trend check")
    services.create_review(actor=qa_user, capa=capa, planned_date=due(30), method="Later check")
    assert list(selectors.effectiveness_due()) == [due_review]
    assert flag_due_effectiveness_reviews.delay().get() == 1
    assert flag_due_effectiveness_reviews.delay().get() == 0
    [event] = OutboxEvent.objects.filter(name="capa.effectiveness_due")
    assert (
        event.data["review_id"] == due_review.pk and event.data["number"] == capa.number and event.data["owner_id"] == qa_user.pk
    )
    assert AuditEvent.objects.filter(resource_type="capa_effectiveness_review", action="flag_review_due").count() == 1


def test_search_indexes_capas_with_their_actions_for_those_who_may_see_them(qa_user, basic_user):
    capa = make_capa(author=qa_user, title="Seal failures", root_cause="Holder worn")
    services.add_action(
        actor=qa_user, capa=capa, description="Replace the holder with stainless steel", owner=qa_user, due_date=due()
    )
    indexable = searchable("capa")
    assert indexable.permission == "capa.view"
    text = "\n".join(piece.text for piece in pieces(Capa.objects.get(pk=capa.pk)))
    assert capa.number in text and "Holder worn" in text and "stainless steel" in text
    from search.models import SearchChunk

    SearchChunk.objects.create(resource_type="capa", resource_id=capa.pk, position=0, key="k1", text="x", content_hash="h")
    assert SearchChunk.objects.filter(visible_chunks(qa_user, SearchFilters())).count() == 1
    assert SearchChunk.objects.filter(visible_chunks(basic_user, SearchFilters())).count() == 0
    assert SearchChunk.objects.filter(visible_chunks(qa_user, SearchFilters(status="closed"))).count() == 0
