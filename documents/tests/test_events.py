"""The domain events a document emits on its way to effective, as a webhook or the search index
would receive them (one delivery each, after the change committed)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import PASSWORD
from documents import services
from documents.models import Document, DocumentType
from qms.events import OutboxEvent
from qms.events.testing import handler_registered

from .conftest import approve, make_pdf, transition, upload

pytestmark = pytest.mark.django_db


class Subscriber:
    def __init__(self):
        self.received: list[OutboxEvent] = []

    def __call__(self, event: OutboxEvent) -> None:
        self.received.append(event)

    def names(self) -> list[str]:
        return [e.name for e in self.received]


def test_a_document_on_its_way_to_effective_emits_each_step_once(api, author, manager, reviewer, pdf_bytes):
    everything, effective = Subscriber(), Subscriber()
    a, m, r = api(author), api(manager), api(reviewer)
    with (
        handler_registered("*", everything, name="test.everything"),
        handler_registered("document.effective", effective, name="test.effective"),
    ):
        doc_id = upload(a, pdf_bytes).json()["id"]
        assert transition(a, doc_id, "submit").status_code == 200
        assert approve(m, doc_id, PASSWORD).status_code == 200
        assert approve(r, doc_id, PASSWORD).json()["status"] == "approved"
        assert transition(a, doc_id, "make_effective").json()["status"] == "effective"

    assert everything.names() == [
        "document.created",
        "document.version_uploaded",
        "document.version_processed",  # text extraction ran after the upload committed
        "document.transitioned",
        "document.in_review",
        "signature.created",
        "document.approval_given",
        "signature.created",
        "document.approval_given",
        "document.transitioned",  # the approval rules were met: automatic transition
        "document.approved",
        "document.transitioned",
        "document.effective",
    ]
    assert len({e.pk for e in everything.received}) == len(everything.received)  # each delivered once
    [became_effective] = effective.received
    assert (became_effective.resource_type, became_effective.resource_id) == ("document", doc_id)
    assert became_effective.actor_username == "author"
    assert {k: became_effective.data[k] for k in ("transition", "from_state", "to_state", "state_kind", "automatic")} == {
        "transition": "make_effective",
        "from_state": "approved",
        "to_state": "effective",
        "state_kind": "effective",
        "automatic": False,
    }
    approval = next(e for e in everything.received if e.name == "document.approval_given")
    signature = next(e for e in everything.received if e.name == "signature.created")
    assert approval.actor_username == signature.actor_username == "manager"
    assert approval.data["signature_id"] == signature.resource_id
    assert signature.data["resource_type"] == "document_version" and signature.data["signature_type"] == "approval"
    uploaded = everything.received[1]
    version = Document.objects.get(pk=doc_id).current_version
    assert uploaded.data == {"version_id": version.pk, "version": "1.0", "sha256": version.sha256, "mime_type": "application/pdf"}


def test_a_metadata_change_emits_the_changed_fields_and_no_change_emits_nothing(author, pdf_bytes):
    document = services.upload_document(
        actor=author,
        file=SimpleUploadedFile("sop.pdf", pdf_bytes),
        title="Cleaning",
        document_type=DocumentType.objects.get(code="SOP"),
    )

    services.update_metadata(
        actor=author,
        document=document,
        changes={"title": "New title"},
        reason="Typo in the title",
        row_version=document.row_version,
    )
    services.update_metadata(
        actor=author,
        document=document,
        changes={"title": "New title"},
        reason="Same title again",
        row_version=document.row_version + 1,
    )

    [event] = OutboxEvent.objects.filter(name="document.metadata_updated")
    assert (event.resource_id, event.actor_username, event.data) == (document.pk, "author", {"fields": ["title"]})


def make_effective(author_api, manager_api, reviewer_api, doc_id: int) -> None:
    transition(author_api, doc_id, "submit")
    approve(manager_api, doc_id, PASSWORD)
    approve(reviewer_api, doc_id, PASSWORD)
    assert transition(author_api, doc_id, "make_effective").json()["status"] == "effective"


def test_workflow_events_name_the_version_and_the_one_a_new_effective_version_supersedes(
    api, author, manager, reviewer, pdf_bytes
):
    effective, superseded = Subscriber(), Subscriber()
    a, m, r = api(author), api(manager), api(reviewer)
    with (
        handler_registered("document.effective", effective, name="test.effective"),
        handler_registered("document.superseded", superseded, name="test.superseded"),
    ):
        doc_id = upload(a, pdf_bytes).json()["id"]
        make_effective(a, m, r, doc_id)
        revised = a.post(
            f"/api/documents/{doc_id}/versions",
            {"file": SimpleUploadedFile("v2.pdf", make_pdf(["Revised"])), "change_summary": "Revised"},
            format="multipart",
        )
        assert revised.json()["version"] == "2.0"
        make_effective(a, m, r, doc_id)

    first, second = Document.objects.get(pk=doc_id).versions.order_by("major")
    assert [(e.data["version_id"], e.data["version"], e.data["previous_effective_version_id"]) for e in effective.received] == [
        (first.pk, "1.0", None),
        (second.pk, "2.0", first.pk),
    ]
    [gone] = superseded.received
    assert (gone.data["version_id"], gone.data["version"], gone.data["previous_effective_version_id"]) == (first.pk, "1.0", None)
    assert gone.data["to_state"] == "superseded" and gone.data["automatic"] is True
