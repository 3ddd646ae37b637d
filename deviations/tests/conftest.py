"""Fixtures for the deviation form tests: an isolated media root, documents in a known state (made
through the document services), uploads, and the API helpers."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import PASSWORD
from documents import services as document_services
from documents.models import Document, DocumentType
from documents.tests.conftest import make_pdf, make_png, stored_files  # noqa: F401 - re-exported for the tests


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def author(make_user):
    return make_user("QA", username="author", full_name="Ann Author")


@pytest.fixture
def manager(make_user):
    return make_user("QA Manager", username="manager", full_name="Mia Manager")


@pytest.fixture
def reviewer(make_user):
    return make_user("QA", username="reviewer", full_name="Rob Reviewer")


def upload_document(author, title: str, code: str = "SOP") -> Document:
    return document_services.upload_document(
        actor=author,
        file=SimpleUploadedFile("sop.pdf", make_pdf([title])),
        title=title,
        category="Production",
        document_type=DocumentType.objects.get(code=code),
    )


@pytest.fixture
def draft_document(author):
    return upload_document(author, "Gowning in the clean room", code="WI")


@pytest.fixture
def effective_document(author, manager, reviewer):
    """SOP-0001 taken to effective through the document services (submit, two signed approvals, make effective)."""
    document = upload_document(author, "Cleaning of the filling line")
    document_services.transition_document(actor=author, document=document, name="submit")
    document_services.approve_document(actor=manager, document=document, password=PASSWORD)
    document_services.approve_document(actor=reviewer, document=document, password=PASSWORD)
    document_services.transition_document(actor=author, document=document, name="make_effective")
    return Document.objects.get(pk=document.pk)


def png_upload(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_png(), content_type="image/png")


def pdf_upload(name: str = "record.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_pdf(["Batch record"]), content_type="application/pdf")
