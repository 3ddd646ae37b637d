"""Operational commands: file checksum verification and (re-)extraction of text."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from documents import services
from documents.models import DocumentType, DocumentVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(author):
    document = services.upload_document(
        actor=author,
        file=SimpleUploadedFile("a.txt", b"original\n"),
        title="A",
        document_type=DocumentType.objects.get(code="SOP"),
    )
    return document.current_version


@pytest.mark.requirement("21CFR11.10(c)", "ANNEX11.7")
def test_check_document_files_detects_altered_and_missing_files(version, capsys):
    call_command("check_document_files")
    assert "All 1 document files match" in capsys.readouterr().out
    path = default_storage.path(version.file.name)
    with open(path, "wb") as f:
        f.write(b"tampered\n")
    with pytest.raises(CommandError):
        call_command("check_document_files")
    assert "content changed" in capsys.readouterr().err
    default_storage.delete(version.file.name)
    with pytest.raises(CommandError):
        call_command("check_document_files")
    assert "missing or unreadable" in capsys.readouterr().err


def test_extract_document_text_processes_pending_versions(version, capsys):
    assert version.processing_status == "uploaded"  # on-commit extraction did not run in this test
    call_command("extract_document_text")
    assert "1 completed" in capsys.readouterr().out
    assert DocumentVersion.objects.get(pk=version.pk).extracted_text == "original\n"
    call_command("extract_document_text")
    assert "nothing to do" in capsys.readouterr().out
