"""Related items: a deviation linked to a document at a specific version, to other deviations
(shown on both), to CAPAs once the CAPA module is installed; every link and unlink has a reason,
is audited, and a removed link stays on record."""

import pytest

from audit.models import AuditEvent
from deviations import pickers
from deviations.models import Link
from deviations.pickers import Picker

from .factories import DeviationFactory

pytestmark = pytest.mark.django_db

URL = "/api/deviations/"


def link(client, deviation, target_type, target, reason="Same root cause", **extra):
    body = {"target_type": target_type, "target": str(target), "reason": reason, **extra}
    return client.post(f"{URL}{deviation.pk}/links", body, format="json")


def test_a_deviation_is_linked_to_a_document_at_a_version(client_for, qa_user, effective_document):
    deviation = DeviationFactory()
    response = link(
        client_for(qa_user), deviation, "document", effective_document.number, version="1.0", reason="Procedure not followed"
    )
    assert response.status_code == 201, response.json()
    [row] = response.json()["links"]
    assert (row["type"], row["number"], row["version"], row["reason"], row["accessible"]) == (
        "document",
        effective_document.number,
        "1.0",
        "Procedure not followed",
        True,
    )
    event = AuditEvent.objects.get(resource_type="deviation", resource_id=deviation.pk, action="link")
    assert event.reason == "Procedure not followed" and event.new_values["target"] == f"document {effective_document.number} v1.0"
    # The documents that cite it can be listed from the document's side.
    listed = client_for(qa_user).get(URL, {"document": effective_document.pk}).json()["items"]
    assert [d["number"] for d in listed] == [deviation.number]


def test_a_version_that_does_not_exist_or_is_hidden_cannot_be_linked(client_for, qa_user, effective_document):
    deviation = DeviationFactory()
    response = link(client_for(qa_user), deviation, "document", effective_document.pk, version="9.0")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "version"]
    unknown = link(client_for(qa_user), deviation, "document", "SOP-9999")
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "target"]


def test_links_between_deviations_show_on_both_and_once(client_for, qa_user):
    first, second = DeviationFactory(), DeviationFactory()
    qa = client_for(qa_user)
    assert link(qa, second, "deviation", first.number).status_code == 201
    again = link(qa, second, "deviation", first.pk)
    assert again.status_code == 409 and again.json()["error_code"] == "ALREADY_LINKED"
    assert link(qa, first, "deviation", first.pk).status_code == 422  # not to itself
    incoming = qa.get(f"{URL}{first.pk}").json()["linked_from"]
    assert [(row["type"], row["number"], row["reason"]) for row in incoming] == [("deviation", second.number, "Same root cause")]
    listing = qa.get(f"{URL}{first.pk}/links").json()
    assert listing["links"] == [] and listing["linked_from"][0]["id"] == second.pk


def test_unlinking_needs_a_reason_and_keeps_the_link_on_record(client_for, qa_user):
    first, second = DeviationFactory(), DeviationFactory()
    qa = client_for(qa_user)
    link_id = link(qa, second, "deviation", first.number).json()["links"][0]["id"]
    assert qa.delete(f"{URL}{second.pk}/links/{link_id}").status_code == 422
    removed = qa.delete(f"{URL}{second.pk}/links/{link_id}?reason=Linked+by+mistake")
    assert removed.status_code == 200, removed.json()
    [row] = removed.json()["links"]
    assert (
        row["removed_at"] and row["removal_reason"] == "Linked by mistake" and row["removed_by"]["username"] == qa_user.username
    )
    assert qa.get(f"{URL}{first.pk}").json()["linked_from"] == []
    assert (
        qa.delete(f"{URL}{second.pk}/links/{link_id}", {"reason": "again for the record"}, format="json").json()["error_code"]
        == "LINK_REMOVED"
    )
    event = AuditEvent.objects.get(resource_type="deviation", resource_id=second.pk, action="unlink")
    assert event.reason == "Linked by mistake" and event.old_values["target"] == f"deviation {first.number}"
    # Linked again after removal: a new link.
    assert link(qa, second, "deviation", first.number).status_code == 201
    assert Link.objects.filter(deviation=second).count() == 2


def test_a_reporter_sees_no_title_of_a_linked_record_they_may_not_view(client_for, qa_user, basic_user):
    hidden = DeviationFactory()
    mine = DeviationFactory(reporter=basic_user)
    link(client_for(qa_user), mine, "deviation", hidden.number)
    [row] = client_for(basic_user).get(f"{URL}{mine.pk}").json()["links"]
    assert row["number"] == hidden.number and row["title"] is None and row["accessible"] is False


def test_capas_cannot_be_linked_until_the_capa_module_is_installed(client_for, qa_user, capa_module_absent):
    deviation = DeviationFactory()
    response = link(client_for(qa_user), deviation, "capa", "CAPA-2026-0001")
    assert response.status_code == 422 and response.json()["error_code"] == "LINK_TYPE_UNAVAILABLE"
    assert "not available" in response.json()["detail"][0]["msg"]


class FakeCapaPicker(Picker):
    """What the CAPA module registers: CAPAs by id or number (here: two fixed ones)."""

    record_type, record_label, plural_label = "capa", "CAPA", "CAPAs"
    CAPAS = {7: "CAPA-2026-0007", 8: "CAPA-2026-0008"}

    def resolve(self, user, tokens):
        found = {}
        for pk, number in self.CAPAS.items():
            ref = {"type": "capa", "id": pk, "number": number, "title": f"Fix {pk}", "version": None}
            found[pk] = found[number] = ref
        return {t: found[t] for t in tokens if t in found}

    def search(self, user, query, *, limit=20):
        return []


@pytest.fixture
def capa_module():
    previous = pickers.picker_for("capa_picker")
    pickers.register_picker("capa_picker", FakeCapaPicker())
    yield
    pickers.register_picker("capa_picker", previous)


def test_with_the_capa_module_a_required_capa_must_be_linked_to_close(client_for, qa_user, qa_manager, capa_module):
    from conftest import PASSWORD
    from deviations import services

    deviation = DeviationFactory(state="qa_review", investigator=qa_user)
    manager = client_for(qa_manager)
    manager.post(
        f"{URL}{deviation.pk}/transition", {"transition": "return_to_investigation", "comment": "CAPA needed"}, format="json"
    )
    deviation.refresh_from_db()
    services.update_deviation(
        actor=qa_user,
        deviation=deviation,
        changes={"capa_required": True},
        reason="Recurring for the record",
        row_version=deviation.row_version,
    )
    client_for(qa_user).post(f"{URL}{deviation.pk}/transition", {"transition": "submit_for_review"}, format="json")
    refused = manager.post(f"{URL}{deviation.pk}/approve", {"password": PASSWORD}, format="json")
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "links"]
    # Links may change in QA review (they are not what the closing signature covers).
    assert link(client_for(qa_user), deviation, "capa", "CAPA-2026-0007", reason="Raised for it").status_code == 201
    closed = manager.post(f"{URL}{deviation.pk}/approve", {"password": PASSWORD}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
