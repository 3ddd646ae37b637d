"""Downloads return the exact stored bytes of each version (audited); text extraction of real PDF
and DOCX files, and failures that keep the file."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from documents import services
from documents.models import DocumentType, DocumentVersion
from qms.events import OutboxEvent

from .conftest import make_docx, make_pdf, stored_files, upload

pytestmark = pytest.mark.django_db


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.requirement("21CFR11.10(b)")
def test_download_of_each_version_returns_the_exact_bytes(api, author, pdf_bytes):
    client = api(author)
    doc_id = upload(client, pdf_bytes, name="Cleaning SOP.pdf").json()["id"]
    second = make_pdf(["Cleaning of the filling line", "Revised"], pages=3)
    third = b"Plain text draft\r\nwith CRLF line endings and \x00? no: " + "unicode ✓".encode()
    third = third.replace(b"\x00", b"")
    assert (
        client.post(
            f"/api/documents/{doc_id}/versions",
            {"file": SimpleUploadedFile("rev.pdf", second), "change_summary": "Second draft"},
            format="multipart",
        ).status_code
        == 201
    )
    assert (
        client.post(
            f"/api/documents/{doc_id}/versions",
            {"file": SimpleUploadedFile("rev.txt", third), "change_summary": "Third draft"},
            format="multipart",
        ).status_code
        == 201
    )

    for label, original, filename, mime in [
        ("1.0", pdf_bytes, "Cleaning SOP.pdf", "application/pdf"),
        ("1.1", second, "rev.pdf", "application/pdf"),
        ("1.2", third, "rev.txt", "text/plain"),
    ]:
        response = client.get(f"/api/documents/{doc_id}/download?version={label}")
        assert response.status_code == 200
        data = _body(response)
        assert hashlib.sha256(data).hexdigest() == hashlib.sha256(original).hexdigest()
        assert data == original
        assert response["Content-Type"].startswith(mime)
        assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
        assert response["X-Content-SHA256"] == hashlib.sha256(original).hexdigest()
        assert int(response["Content-Length"]) == len(original)

    default = client.get(f"/api/documents/{doc_id}/download", HTTP_ACCEPT="application/pdf")
    assert _body(default) == third, "without ?version the current version is served"
    downloads = AuditEvent.objects.filter(resource_type="document", resource_id=doc_id, action="download")
    assert [e.new_values["version"] for e in downloads.order_by("sequence")] == ["1.0", "1.1", "1.2", "1.2"]
    assert all(e.actor_id == author.pk for e in downloads)
    assert client.get(f"/api/documents/{doc_id}/download?version=9.9").status_code == 404


@pytest.mark.requirement("21CFR11.10(k)")
def test_readers_only_get_the_effective_version(client_for, basic_user, author, pdf_bytes):
    document = services.upload_document(
        actor=author,
        file=SimpleUploadedFile("d.pdf", pdf_bytes),
        title="Draft only",
        document_type=DocumentType.objects.get(code="SOP"),
    )
    reader = client_for(basic_user)
    assert reader.get(f"/api/documents/{document.pk}").status_code == 404
    assert reader.get(f"/api/documents/{document.pk}/download").status_code == 404
    assert reader.get("/api/documents/").json()["total"] == 0


def test_download_needs_the_download_permission(client_for, make_user, author, pdf_bytes):
    from accounts.models import Permission, UserPermissionOverride

    document = services.upload_document(
        actor=author,
        file=SimpleUploadedFile("d.pdf", pdf_bytes),
        title="Doc",
        document_type=DocumentType.objects.get(code="SOP"),
    )
    UserPermissionOverride.objects.create(
        user=author, permission=Permission.objects.get(codename="documents.download"), effect="revoke"
    )
    assert client_for(author).get(f"/api/documents/{document.pk}/download").status_code == 403


def _process(author, name, content):
    document = services.upload_document(
        actor=author,
        file=SimpleUploadedFile(name, content),
        title=name,
        document_type=DocumentType.objects.get(code="SOP"),
    )
    return services.process_version(version_id=document.current_version_id)


def test_extracts_text_and_page_count_from_a_real_pdf(author):
    version = _process(author, "cleaning.pdf", make_pdf(["Line clearance before filling", "Verify the batch number"], pages=3))
    assert version.processing_status == "completed"
    assert version.page_count == 3
    assert "Line clearance before filling" in version.extracted_text
    assert "Verify the batch number (page 3)" in version.extracted_text
    assert version.processed_at is not None and version.processing_error == ""


def test_extracts_text_from_a_real_docx(author):
    version = _process(author, "wi.docx", make_docx(["Gowning procedure", "Put on the hairnet first."]))
    assert version.processing_status == "completed"
    assert version.extracted_text == "Gowning procedure\nPut on the hairnet first."


def test_extracts_plain_text(author):
    version = _process(author, "notes.md", "# Notes\n\nÄnderung 1\n".encode())
    assert version.processing_status == "completed" and "Änderung 1" in version.extracted_text


def test_extraction_failure_sets_failed_with_the_message_and_keeps_the_file(author, media_root):
    broken = make_pdf(["x"])[:400]  # a truncated PDF: right signature, unreadable body
    version = _process(author, "broken.pdf", broken)
    assert version.processing_status == "failed"
    assert version.processing_error
    assert version.file.name in stored_files(media_root)
    with version.file.open("rb") as f:
        assert f.read() == broken
    event = AuditEvent.objects.filter(resource_type="document", action="process").latest("sequence")
    assert event.new_values["processing_status"] == "failed"


def test_extraction_is_idempotent_and_runs_after_commit(api, author, pdf_bytes):
    client = api(author)
    doc_id = upload(client, pdf_bytes).json()["id"]  # the api fixture runs on-commit callbacks
    version = DocumentVersion.objects.get(document_id=doc_id)
    assert version.processing_status == "completed"
    first_processed = version.processed_at
    again = services.process_version(version_id=version.pk)
    assert again.processed_at == first_processed
    assert AuditEvent.objects.filter(resource_type="document", resource_id=doc_id, action="process").count() == 1


def test_extraction_task_is_enqueued_only_on_commit(author, django_capture_on_commit_callbacks, pdf_bytes):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        document = services.upload_document(
            actor=author,
            file=SimpleUploadedFile("d.pdf", pdf_bytes),
            title="Doc",
            document_type=DocumentType.objects.get(code="SOP"),
        )
    uploaded = OutboxEvent.objects.get(name="document.version_uploaded", resource_id=document.pk)
    [dispatch] = [c for c in callbacks if c.args == (uploaded.pk,)]  # (document.created is dispatched too: webhooks)
    document.current_version.refresh_from_db()
    assert document.current_version.processing_status == "uploaded"
    with django_capture_on_commit_callbacks(execute=True):  # and what the event's handler queues after its commit
        dispatch()
    document.current_version.refresh_from_db()
    assert document.current_version.processing_status == "completed"
