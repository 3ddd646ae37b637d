"""Fixtures for the training tests: an isolated media root, controlled documents made effective
through the real document workflow (upload, submit, two signed approvals, make effective),
programs, and helpers for the API."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import PASSWORD


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def document_people(make_user):
    """The author and the two approvers the default "Document approval" workflow needs."""
    return {
        "author": make_user("QA", username="doc.author", full_name="Ann Author"),
        "manager": make_user("QA Manager", username="doc.manager", full_name="Mia Manager"),
        "reviewer": make_user("QA", username="doc.reviewer", full_name="Rob Reviewer"),
    }


def _text_file(text: str, name: str = "procedure.txt"):
    return SimpleUploadedFile(name, text.encode())


def _approve_and_make_effective(document, people):
    from documents import services

    document = services.transition_document(actor=people["author"], document=document, name="submit")
    document = services.approve_document(actor=people["reviewer"], document=document, password=PASSWORD)
    document = services.approve_document(actor=people["manager"], document=document, password=PASSWORD)
    return services.transition_document(actor=people["manager"], document=document, name="make_effective")


@pytest.fixture
def effective_document(db, document_people):
    """`effective_document(title=..., code="SOP")`: a document whose version 1.0 is effective."""
    from documents import services
    from documents.models import DocumentType

    def make(title: str = "Cleaning of the filling line", code: str = "SOP"):
        document = services.upload_document(
            actor=document_people["author"],
            file=_text_file(f"{title}\n1. Clean.\n2. Record."),
            title=title,
            document_type=DocumentType.objects.get(code=code),
        )
        return _approve_and_make_effective(document, document_people)

    return make


@pytest.fixture
def revise(document_people):
    """`revise(document)`: a new major version taken through review to effective (the old one is superseded)."""
    from documents import services

    def make(document, text: str = "Revised procedure"):
        services.add_version(
            actor=document_people["author"], document=document, file=_text_file(text, "revised.txt"), change_summary=text
        )
        return _approve_and_make_effective(document, document_people)

    return make


@pytest.fixture
def program(db):
    from .factories import ProgramFactory

    return ProgramFactory(title="GMP basics", category="GMP")


@pytest.fixture
def unsigned_program(db):
    from .factories import ProgramFactory

    return ProgramFactory(title="Leadership essentials", category="LEADERSHIP", requires_signature=False)
