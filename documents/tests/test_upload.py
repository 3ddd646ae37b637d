"""Upload checks: size limit (413 before anything is stored), content-based type check (415),
safe filenames, storage never overwrites, the seed's curl upload."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from documents import files, services
from documents.models import Document, DocumentType, DocumentVersion

from .conftest import make_docx, make_pdf, make_png, stored_files, upload

pytestmark = pytest.mark.django_db


class LazyMultipart(io.RawIOBase):
    """A multipart/form-data body with one large file part, produced on demand (never held in memory)
    and counting how much of it the server read."""

    def __init__(self, boundary: str, fields: dict, filename: str, size: int):
        head = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items())
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        )
        self.head, self.tail = head.encode(), f"\r\n--{boundary}--\r\n".encode()
        self.size = size
        self.length = len(self.head) + size + len(self.tail)
        self.position = 0
        self.bytes_read = 0

    def readable(self):
        return True

    def read(self, n=-1):
        if n is None or n < 0:
            n = self.length - self.position
        out = bytearray()
        while n > 0 and self.position < self.length:
            if self.position < len(self.head):
                chunk = self.head[self.position : self.position + n]
            elif self.position < len(self.head) + self.size:
                chunk = b"%" * min(n, len(self.head) + self.size - self.position)
            else:
                offset = self.position - len(self.head) - self.size
                chunk = self.tail[offset : offset + n]
            out += chunk
            self.position += len(chunk)
            n -= len(chunk)
        self.bytes_read += len(out)
        return bytes(out)


def test_seed_curl_upload_works_verbatim(client_for, qa_user, pdf_bytes):
    # curl -F "file=@/path/to/file.pdf" -F "title=Quality Manual" -F "document_type=1" -F "category=Quality"
    client = client_for(qa_user)
    response = client.post(
        "/api/documents/upload",
        {
            "file": SimpleUploadedFile("file.pdf", pdf_bytes, content_type="application/pdf"),
            "title": "Quality Manual",
            "document_type": "1",
            "category": "Quality",
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    for field in ("id", "title", "version", "status", "file_path"):
        assert field in body
    assert (body["title"], body["version"], body["status"]) == ("Quality Manual", "1.0", "draft")
    assert body["file_path"] == f"documents/{body['id']}/quality-manual-v1.0.pdf"
    assert body["document_type"]["code"] == "SOP" and body["category"] == "Quality"
    assert AuditEvent.objects.filter(resource_type="document", resource_id=body["id"], action="create").exists()


@pytest.mark.requirement("QMS-DOC-UPLOAD")
def test_a_51_mb_upload_is_413_before_anything_is_read_or_stored(client_for, qa_user, media_root):
    boundary = "qmsboundary51mb"
    body = LazyMultipart(boundary, {"title": "Huge", "document_type": "1"}, "huge.pdf", 51 * 1024 * 1024)
    response = client_for(qa_user).request(
        REQUEST_METHOD="POST",
        PATH_INFO="/api/documents/upload",
        CONTENT_TYPE=f"multipart/form-data; boundary={boundary}",
        CONTENT_LENGTH=str(body.length),
        **{"wsgi.input": body},
    )
    assert response.status_code == 413, response.content
    assert response.json()["error_code"] == "FILE_TOO_LARGE"
    assert body.bytes_read == 0, "the body must not be read, let alone stored"
    assert stored_files(media_root) == []
    assert not Document.objects.exists() and not DocumentVersion.objects.exists()


def test_file_over_the_limit_inside_a_small_request_is_413_and_not_stored(client_for, qa_user, settings, media_root):
    settings.MAX_UPLOAD_MB = 1
    oversized = make_pdf(["x"]) + b"%" * (1024 * 1024)
    response = upload(client_for(qa_user), oversized, name="big.pdf")
    assert response.status_code == 413 and response.json()["error_code"] == "FILE_TOO_LARGE"
    assert stored_files(media_root) == [] and not Document.objects.exists()


def test_service_refuses_oversized_file_before_storing(qa_user, settings, media_root):
    settings.MAX_UPLOAD_MB = 1
    with pytest.raises(files.FileTooLarge):
        services.upload_document(
            actor=qa_user,
            file=SimpleUploadedFile("a.txt", b"a" * (1024 * 1024 + 1)),
            title="Too big",
            document_type=DocumentType.objects.get(code="SOP"),
        )
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    "name, content",
    [
        ("invoice.pdf", make_png()),  # an image pretending to be a PDF
        ("procedure.docx", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200),  # a Windows executable
        ("notes.txt", b"\x7fELF\x02\x01\x01" + b"\x00" * 100),  # binary content named .txt
        ("sheet.xlsx", make_docx(["a Word file named .xlsx"])),
        ("report.pdf", b"just some text, not a PDF"),
    ],
)
@pytest.mark.requirement("QMS-DOC-UPLOAD")
def test_disguised_file_types_are_rejected(client_for, qa_user, media_root, name, content):
    response = upload(client_for(qa_user), content, name=name)
    assert response.status_code == 415, response.json()
    assert response.json()["error_code"] == "UNSUPPORTED_FILE_TYPE"
    assert stored_files(media_root) == [] and not Document.objects.exists()


def test_unaccepted_extension_is_415(client_for, qa_user):
    response = upload(client_for(qa_user), b"#!/bin/sh\necho hi\n", name="install.sh")
    assert response.status_code == 415
    assert ".sh" in response.json()["detail"]


@pytest.mark.parametrize(
    "name, content, mime",
    [
        ("sop.pdf", make_pdf(["SOP"]), "application/pdf"),
        ("wi.docx", make_docx(["Work instruction"]), files.DOCX),
        ("readme.md", "# Title\n\nÜmlaut text\n".encode(), "text/markdown"),
        ("notes.txt", b"\xef\xbb\xbfplain text with BOM\n", "text/plain"),
        ("diagram.png", make_png(), "image/png"),
    ],
)
def test_accepted_types_are_detected_from_content(client_for, qa_user, name, content, mime):
    response = upload(client_for(qa_user), content, name=name)
    assert response.status_code == 201, response.json()
    assert response.json()["current_version"]["mime_type"] == mime


@pytest.mark.parametrize(
    "raw, safe",
    [
        ("../../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\system32\\evil.txt", "evil.txt"),
        ("/absolute/path/report.txt", "report.txt"),
        ("....txt", "txt"),
        ('weird<>:"|?*name.txt', "weird_______name.txt"),
        ("line\nbreak\x00.txt", "linebreak.txt"),
        ("", "file"),
    ],
)
def test_filenames_are_sanitised(raw, safe):
    assert files.sanitize_filename(raw) == safe


def test_path_traversal_filename_cannot_escape_the_document_folder(client_for, qa_user, media_root):
    response = upload(client_for(qa_user), b"Procedure text\n", name="../../../../etc/cron.d/evil.txt", title="Evil")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["current_version"]["original_filename"] == "evil.txt"
    assert body["file_path"] == f"documents/{body['id']}/evil-v1.0.txt"
    assert stored_files(media_root) == [f"documents/{body['id']}/evil-v1.0.txt"]


@pytest.mark.requirement("21CFR11.10(c)", "ANNEX11.7")
def test_stored_files_are_never_overwritten(media_root):
    from django.core.files.storage import default_storage

    first = files.store("documents/1/cleaning-v1.0.txt", io.BytesIO(b"the approved file"))
    second = files.store("documents/1/cleaning-v1.0.txt", io.BytesIO(b"another file with the same name"))
    assert first == "documents/1/cleaning-v1.0.txt"
    assert second != first and second.startswith("documents/1/cleaning-v1") and second.endswith(".txt")
    with default_storage.open(first) as f:
        assert f.read() == b"the approved file"


@pytest.mark.requirement("QMS-DOC-UPLOAD")
def test_failed_transaction_removes_the_file_it_wrote(qa_user, media_root, monkeypatch):
    from audit import services as audit_services

    def explode(**kwargs):
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr(audit_services, "record", explode)
    with pytest.raises(RuntimeError):
        services.upload_document(
            actor=qa_user,
            file=SimpleUploadedFile("c.txt", b"content\n"),
            title="Cleaning",
            document_type=DocumentType.objects.get(code="SOP"),
        )
    assert stored_files(media_root) == []


def test_upload_needs_the_create_permission_and_a_type(client_for, basic_user, qa_user, pdf_bytes):
    assert upload(client_for(basic_user), pdf_bytes).status_code == 403
    response = upload(client_for(qa_user), pdf_bytes, document_type=999)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "document_type"]


def test_numbers_count_per_type(client_for, qa_user):
    client = client_for(qa_user)
    numbers = [upload(client, b"text\n", name="a.txt", document_type=t).json()["number"] for t in (1, 1, 2)]
    assert numbers == ["SOP-0001", "SOP-0002", "WI-0001"]
