"""The caller's work lists: assigned items, pending approvals (with the training gate), overdue
items and approaching deadlines, each holding only what the caller may see."""

import datetime

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from conftest import PASSWORD
from deviations import services as deviation_services
from deviations.models import Deviation
from deviations.tests.factories import DeviationFactory
from documents import services as document_services
from documents.tests.factories import DocumentFactory
from training import services as training_services
from training.models import AssignmentStatus
from training.tests.factories import AssignmentFactory, ProgramFactory
from workflows import records_services
from workflows.models import WorkflowTemplate

pytestmark = pytest.mark.django_db


def rows(response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.json()
    return [(item["type"], item["number"]) for item in response.json()["items"]]


def nonzero(counts: dict) -> dict:
    """The per-type totals that are not zero (every installed module reports its types)."""
    return {kind: n for kind, n in counts.items() if n}


def owned_by(deviation: Deviation, user) -> Deviation:
    """`user` (QA) takes the investigation over, through the service."""
    deviation = Deviation.objects.get(pk=deviation.pk)
    deviation_services.update_deviation(
        actor=user, deviation=deviation, changes={"owner": user}, reason="Investigator", row_version=deviation.row_version
    )
    return Deviation.objects.get(pk=deviation.pk)


def due_in(deviation: Deviation, days: int) -> Deviation:
    Deviation.objects.filter(pk=deviation.pk).update(due_date=timezone.localdate() + datetime.timedelta(days=days))
    return Deviation.objects.get(pk=deviation.pk)


@pytest.mark.requirement("QMS-DASHBOARD")
def test_pending_approvals_list_what_the_caller_can_approve_now(client_for, qa_manager):
    document = DocumentFactory(state="in_review", title="Line clearance")
    deviation = DeviationFactory(state="qa_review", title="Torn seal")
    DeviationFactory(state="under_investigation", title="Not yet for review")
    qa = UserFactory(role_name="QA")

    body = client_for(qa_manager).get("/api/dashboard/pending-approvals").json()

    assert [(i["type"], i["number"], i["title"]) for i in body["items"]] == [
        ("deviation", deviation.number, "Torn seal"),  # dated rows first
        ("document", document.number, "Line clearance"),
    ]
    assert body["total"] == 2 and nonzero(body["counts"]) == {"document": 1, "deviation": 1}
    assert body["page"] == 1 and body["pages"] == 1
    first = body["items"][0]
    assert first["link"] == f"/deviations/{deviation.pk}/"
    assert first["status"] == "qa_review" and first["status_label"] == "QA review"
    assert first["can_approve"] is True and first["missing_training"] == []
    # A QA user may approve the document (one QA approval is required) but not close deviations.
    assert rows(client_for(qa).get("/api/dashboard/pending-approvals")) == [("document", document.number)]


def test_an_approval_given_leaves_the_list(client_for, qa_manager):
    document = DocumentFactory(state="in_review")
    client = client_for(qa_manager)
    assert rows(client.get("/api/dashboard/pending-approvals")) == [("document", document.number)]

    document_services.approve_document(actor=qa_manager, document=document, password=PASSWORD)

    assert rows(client.get("/api/dashboard/pending-approvals")) == []


def test_the_author_never_sees_their_own_document_as_waiting_for_them(client_for):
    author = UserFactory(role_name="QA Manager")
    DocumentFactory(state="in_review", author=author)
    assert rows(client_for(author).get("/api/dashboard/pending-approvals")) == []


@pytest.mark.requirement("QMS-DASHBOARD")
def test_pending_approvals_carry_the_training_gate(client_for, qa_manager, admin_user):
    deviation = DeviationFactory(state="qa_review")
    gmp = ProgramFactory(title="GMP basics")
    training_services.add_qualification_requirement(
        actor=admin_user,
        workflow_template=WorkflowTemplate.objects.get(name="Deviation handling", is_current=True),
        workflow_state="qa_review",
        program=gmp,
    )
    client = client_for(qa_manager)

    item = client.get("/api/dashboard/pending-approvals").json()["items"][0]
    assert (item["number"], item["can_approve"]) == (deviation.number, False)
    assert item["missing_training"] == [{"id": gmp.pk, "title": "GMP basics"}]

    AssignmentFactory(user=qa_manager, program=gmp)
    training_services.complete_training(actor=qa_manager, program=gmp, password=PASSWORD)

    item = client.get("/api/dashboard/pending-approvals").json()["items"][0]
    assert (item["can_approve"], item["missing_training"]) == (True, [])


@pytest.mark.requirement("QMS-DASHBOARD")
def test_assigned_items_are_the_callers_open_training_and_owned_deviations(client_for):
    investigator = UserFactory(role_name="QA", full_name="Ivy Investigator")
    mine = owned_by(DeviationFactory(state="under_investigation", title="Mine"), investigator)
    DeviationFactory(state="under_investigation", title="Someone else's")
    closed = owned_by(DeviationFactory(state="under_investigation", title="Closed one"), investigator)
    Deviation.objects.filter(pk=closed.pk).update(status="closed")  # the scene: an investigation they closed
    program = ProgramFactory(title="Aseptic gowning")
    soon = timezone.localdate() + datetime.timedelta(days=3)
    assignment = AssignmentFactory(user=investigator, program=program, due_date=soon)
    AssignmentFactory(user=investigator, status=AssignmentStatus.COMPLETED)

    body = client_for(investigator).get("/api/dashboard/assigned-items").json()

    assert [(i["type"], i["id"]) for i in body["items"]] == [
        ("training_assignment", assignment.pk),
        ("deviation", mine.pk),
    ]
    training = body["items"][0]
    assert training["title"] == "Aseptic gowning" and training["due_date"] == soon.isoformat()
    assert training["link"] == f"/training/#assignment-{assignment.pk}"
    assert body["items"][1]["owner"] == "Ivy Investigator"
    assert nonzero(body["counts"]) == {"training_assignment": 1, "deviation": 1}


@pytest.mark.requirement("QMS-DASHBOARD")
def test_overdue_items_show_everything_the_caller_may_see_or_only_their_own(client_for, qa_manager, basic_user):
    owner = UserFactory(role_name="QA")
    late = due_in(owned_by(DeviationFactory(state="under_investigation", reporter=basic_user), owner), -2)
    due_in(DeviationFactory(state="under_investigation"), 5)
    late_training = AssignmentFactory(user=basic_user, due_date=timezone.localdate() - datetime.timedelta(days=1))

    everything = client_for(qa_manager).get("/api/dashboard/overdue-items").json()
    assert [(i["type"], i["id"], i["overdue"]) for i in everything["items"]] == [
        ("deviation", late.pk, True),
        ("training_assignment", late_training.pk, True),
    ]
    assert rows(client_for(qa_manager).get("/api/dashboard/overdue-items?mine=true")) == []
    assert [i["id"] for i in client_for(owner).get("/api/dashboard/overdue-items?mine=true").json()["items"]] == [late.pk]
    # A User sees the deviations they reported and their own training only.
    assert [(i["type"], i["id"]) for i in client_for(basic_user).get("/api/dashboard/overdue-items").json()["items"]] == [
        ("deviation", late.pk),
        ("training_assignment", late_training.pk),
    ]
    assert rows(client_for(UserFactory(role_name="User")).get("/api/dashboard/overdue-items")) == []


def test_approaching_deadlines_follow_the_hours_window(client_for, qa_manager):
    today = due_in(DeviationFactory(state="under_investigation"), 0)
    tomorrow = due_in(DeviationFactory(state="under_investigation"), 1)
    in_three_days = due_in(DeviationFactory(state="under_investigation"), 3)
    due_in(DeviationFactory(state="under_investigation"), -1)  # overdue, not approaching
    client = client_for(qa_manager)

    assert [i["id"] for i in client.get("/api/dashboard/approaching-deadlines").json()["items"]] == [today.pk, tomorrow.pk]
    assert [i["id"] for i in client.get("/api/dashboard/approaching-deadlines?hours=96").json()["items"]] == [
        today.pk,
        tomorrow.pk,
        in_three_days.pk,
    ]


def test_periodic_reviews_are_overdue_or_approaching_items(client_for, qa_manager):
    document = DocumentFactory(state="effective", title="Cleaning SOP")
    type(document).objects.filter(pk=document.pk).update(next_review_date=timezone.localdate() - datetime.timedelta(days=1))
    client = client_for(qa_manager)

    item = client.get("/api/dashboard/overdue-items").json()["items"][0]
    assert (item["type"], item["id"], item["reason"], item["overdue"]) == (
        "document_review",
        document.pk,
        "Periodic review overdue",
        True,
    )
    type(document).objects.filter(pk=document.pk).update(next_review_date=timezone.localdate())
    assert rows(client.get("/api/dashboard/overdue-items")) == []
    assert rows(client.get("/api/dashboard/approaching-deadlines")) == [("document_review", document.number)]


def test_lists_are_paged_and_sorted_by_due_date(client_for, qa_manager):
    made = [due_in(DeviationFactory(state="under_investigation"), -days) for days in (3, 1, 2)]
    client = client_for(qa_manager)

    first = client.get("/api/dashboard/overdue-items?page_size=2").json()
    second = client.get("/api/dashboard/overdue-items?page_size=2&page=2").json()

    assert [i["id"] for i in first["items"]] == [made[0].pk, made[2].pk]
    assert [i["id"] for i in second["items"]] == [made[1].pk]
    assert (first["total"], first["pages"], second["page"]) == (3, 2, 2)


def test_a_closed_deviation_leaves_the_lists(client_for, qa_manager):
    deviation = due_in(DeviationFactory(state="qa_review"), -1)
    client = client_for(qa_manager)
    assert rows(client.get("/api/dashboard/overdue-items")) == [("deviation", deviation.number)]

    records_services.approve_record(actor=qa_manager, record=deviation, password=PASSWORD)

    assert rows(client.get("/api/dashboard/overdue-items")) == []
    assert rows(client.get("/api/dashboard/pending-approvals")) == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/dashboard/assigned-items",
        "/api/dashboard/pending-approvals",
        "/api/dashboard/overdue-items",
        "/api/dashboard/approaching-deadlines",
        "/api/dashboard/stats",
    ],
)
def test_every_endpoint_needs_dashboard_view(path, api_client, client_for, make_user, auditor):
    from accounts.models import Permission, Role

    assert api_client.get(path).status_code == 401
    assert client_for(auditor).get(path).status_code == 200  # read-only for the Auditor
    nobody = make_user(None)
    role = Role.objects.create(name="No dashboard")
    role.permissions.set(Permission.objects.filter(codename="training.view"))
    nobody.role = role
    nobody.save()
    denied = client_for(nobody).get(path)
    assert denied.status_code == 403 and denied.json()["error_code"]
    assert client_for(auditor).post(path, {}).status_code == 405


@pytest.mark.parametrize(
    "query,field",
    [
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("page=abc", "page"),
        ("page=11&page_size=100", "page"),
        ("hours=0", "hours"),
        ("hours=x", "hours"),
        ("mine=perhaps", "mine"),
    ],
)
def test_bad_list_parameters_are_422_in_the_query(client_for, qa_manager, query, field):
    response = client_for(qa_manager).get(f"/api/dashboard/approaching-deadlines?{query}")
    assert response.status_code == 422, response.json()
    assert response.json()["detail"][0]["loc"] == ["query", field]
