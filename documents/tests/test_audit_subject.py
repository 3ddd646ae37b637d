"""A document's audit trail and signatures as one: its versions' approval signatures and their events
belong to the document (their subject), and signatures follow the document's visibility and state."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent, Signature
from conftest import PASSWORD
from documents import services
from documents.models import Document

from .conftest import approve, make_pdf, transition, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(client_for, author, pdf_bytes):
    """A draft SOP uploaded by the author through the API."""
    return Document.objects.get(pk=upload(client_for(author), pdf_bytes).json()["id"])


@pytest.fixture
def approved(client_for, document, author, manager, reviewer):
    """Submitted and approved by the QA Manager and a QA reviewer (two approval signatures)."""
    services.transition_document(actor=author, document=document, name="submit")
    assert approve(client_for(manager), document.pk, PASSWORD).status_code == 200
    assert approve(client_for(reviewer), document.pk, PASSWORD).json()["status"] == "approved"
    return Document.objects.get(pk=document.pk)


def _sign(client, **body):
    return client.post(
        "/api/signatures/", {"signature_type": "review", "intent": "Read", "password": PASSWORD, **body}, format="json"
    )


def test_approval_signatures_belong_to_the_document(client_for, manager, approved):
    signatures = Signature.objects.order_by("pk")
    assert [(s.resource_type, s.signature_type) for s in signatures] == [("document_version", "approval")] * 2
    assert all((s.subject_type, s.subject_id) == ("document", approved.pk) for s in signatures)

    listed = client_for(manager).get(f"/api/signatures/?document_id={approved.pk}").json()
    assert listed["total"] == 2
    assert {item["document_id"] for item in listed["items"]} == {approved.pk}
    detail = client_for(manager).get(f"/api/signatures/{signatures[0].pk}").json()
    assert detail["document_id"] == approved.pk and detail["resource_type"] == "document_version"
    assert detail["verification"]["valid"] is True and detail["verification"]["recorded_in_audit_trail"] is True


def test_the_document_s_audit_trail_and_its_export_include_its_signatures(client_for, auditor, approved):
    client = client_for(auditor)
    trail = client.get(f"/api/audit/?resource_type=document&resource_id={approved.pk}&page_size=100").json()["items"]
    signs = [item for item in trail if item["action"] == "sign"]
    assert len(signs) == 2
    assert {(s["resource_type"], s["subject_type"], s["subject_id"]) for s in signs} == {
        ("document_version", "document", approved.pk)
    }

    export = client.get(f"/api/audit/export?format=csv&resource_type=document&resource_id={approved.pk}")
    body = b"".join(export.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body.split("\r\n\r\n")[0])))
    assert [r["action"] for r in rows].count("sign") == 2
    assert {r["subject_id"] for r in rows} == {str(approved.pk)}


def test_the_record_page_shows_the_versions_signatures(client, manager, approved):
    client.force_login(manager)
    page = client.get(f"/audit/records/document/{approved.pk}/").content.decode()
    assert page.count('data-testid="signature-manifestation"') == 2
    assert "Mia Manager" in page and "Rob Reviewer" in page


def test_a_reader_sees_signatures_only_of_effective_content(client_for, basic_user, author, approved):
    reader = client_for(basic_user)
    approval = Signature.objects.order_by("pk").first()
    assert reader.get("/api/signatures/").json()["total"] == 0
    assert reader.get(f"/api/signatures/{approval.pk}").status_code == 404
    assert reader.get(f"/api/signatures/?document_id={approved.pk}").json()["items"] == []

    assert transition(client_for(author), approved.pk, "make_effective").status_code == 200
    assert reader.get("/api/signatures/").json()["total"] == 2
    assert reader.get(f"/api/signatures/{approval.pk}").status_code == 200

    # A revision in review: its signatures stay hidden from the reader; the effective version's do not.
    services.add_version(
        actor=author,
        document=Document.objects.get(pk=approved.pk),
        file=SimpleUploadedFile("v2.pdf", make_pdf(["Revised"])),
        change_summary="Revised",
    )
    services.transition_document(actor=author, document=Document.objects.get(pk=approved.pk), name="submit")
    assert _sign(client_for(author), document_id=approved.pk).status_code == 201  # the author's review of 2.0
    listed = reader.get("/api/signatures/").json()
    assert listed["total"] == 2 and {i["signature_type"] for i in listed["items"]} == {"approval"}


def test_approval_is_never_applied_directly(client_for, manager, document, author):
    services.transition_document(actor=author, document=document, name="submit")
    response = _sign(client_for(manager), document_id=document.pk, signature_type="approval")
    assert response.status_code == 409
    assert response.json()["error_code"] == "SIGNATURE_MEANING_NOT_ALLOWED"
    assert response.json()["allowed_meanings"] == ["review"]
    assert not Signature.objects.exists()
    assert not AuditEvent.objects.filter(action="signature_failed").exists()  # refused before the password


def test_meanings_follow_the_state_of_the_signed_version(client_for, manager, author, document):
    manager_client = client_for(manager)
    assert _sign(manager_client, document_id=document.pk, signature_type="authorship").status_code == 201  # draft
    services.transition_document(actor=author, document=document, name="submit")
    in_review = _sign(manager_client, document_id=document.pk, signature_type="authorship")
    assert in_review.status_code == 409 and in_review.json()["error_code"] == "SIGNATURE_MEANING_NOT_ALLOWED"
    assert _sign(manager_client, document_id=document.pk, signature_type="review").status_code == 201


def test_only_someone_who_may_view_the_record_signs_it(client_for, basic_user, author, document):
    """A User holds signatures.sign and documents.view, but drafts and documents in review are not theirs to see."""
    services.transition_document(actor=author, document=document, name="submit")
    response = _sign(client_for(basic_user), document_id=document.pk)
    assert response.status_code == 403 and response.json()["error_code"] == "RECORD_NOT_VISIBLE"
    version = Document.objects.get(pk=document.pk).current_version
    response = _sign(client_for(basic_user), resource_type="document_version", resource_id=version.pk)
    assert response.status_code == 403 and response.json()["error_code"] == "RECORD_NOT_VISIBLE"
    assert not Signature.objects.exists()
