"""Fixtures for the deviation form tests: documents in a known state (made through the document
services) and uploads."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import PASSWORD
from documents import services as document_services
from documents.models import Document, DocumentType
from documents.tests import conftest as documents_fixtures
from documents.tests.conftest import make_pdf, make_png, stored_files  # noqa: F401 - used by these tests

# The documents tests' isolated media root (autouse) and their users for the default approval rules.
media_root = documents_fixtures.media_root
author, manager, reviewer = documents_fixtures.author, documents_fixtures.manager, documents_fixtures.reviewer


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


def standard_report_answers(**event) -> dict:
    """Good answers to the shipped "Standard deviation report" (the event fields may be changed)."""
    return {
        "event": {
            "title": "Torn seal",
            "description": "Seal torn at station 4",
            "occurred_at": "2025-03-01",
            "area": "Production: filling line 2",
            "procedure": ["SOP-0001"],
            **event,
        },
        "classification": {"category": "Process", "severity": "High"},
        "immediate_action": {"immediate_action": "Line stopped", "product_quarantined": True},
    }


@pytest.fixture
def capa_module_absent():
    """An installation without the CAPA module: its picker says CAPAs are not available."""
    from deviations import pickers

    previous = pickers.picker_for("capa_picker")
    pickers.register_picker("capa_picker", pickers.CAPA_NOT_AVAILABLE)
    yield
    pickers.register_picker("capa_picker", previous)
