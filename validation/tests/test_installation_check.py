"""manage.py installation_check against a correct and a broken configuration."""

import io
import secrets
from contextlib import nullcontext

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from audit.tests.test_database_roles import connected_as, roles  # noqa: F401 - the fixture, on PostgreSQL
from documents import services as document_services
from documents.models import DocumentType, DocumentVersion
from documents.tests.factories import pdf_content

POSTGRES = connection.vendor == "postgresql"


def run_check(tmp_path) -> tuple[str, CommandError | None]:
    out = io.StringIO()
    error = None
    try:
        call_command("installation_check", out=str(tmp_path / "iq.txt"), stdout=out)
    except CommandError as exc:
        error = exc
    text = out.getvalue()
    assert (tmp_path / "iq.txt").read_text() == text
    return text, error


def status_of(output: str, item: str) -> str:
    for line in output.splitlines():
        if line[6:].startswith(item):
            return line[:4]
    raise AssertionError(f"no line for {item!r} in:\n{output}")


@pytest.fixture
def production_settings(settings, tmp_path):
    """What a correct production installation sets (check --deploy clean)."""
    old_key = settings.AUDIT_HMAC_KEY
    settings.DEBUG = False
    settings.SECRET_KEY = secrets.token_urlsafe(50)
    settings.AUDIT_HMAC_KEY = secrets.token_urlsafe(50)
    settings.AUDIT_HMAC_OLD_KEYS = [old_key]  # what the test database was sealed with
    settings.SECURE_SSL_REDIRECT = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.MEDIA_ROOT = tmp_path / "media"
    # The test suite itself sets DJANGO_ALLOW_ASYNC_UNSAFE (for Playwright), which check --deploy reports.
    settings.SILENCED_SYSTEM_CHECKS = ["async.E001"]
    return settings


def tamper(version) -> None:
    with open(django_settings.MEDIA_ROOT / version.file.name, "ab") as stored:
        stored.write(b"tampered")


def stored_document(author):
    document = document_services.upload_document(
        actor=author,
        file=SimpleUploadedFile("iq.pdf", pdf_content("Installation qualification sample")),
        title="IQ sample",
        document_type=DocumentType.objects.get(code="SOP"),
    )
    return DocumentVersion.objects.get(document=document)


@pytest.mark.requirement("ANNEX11.4", "ANNEX11.11", "21CFR11.10(a)", "QMS-VALIDATION")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_correct_installation_passes_every_item(production_settings, tmp_path, make_user, request):
    stored_document(make_user("QA", username="iq-author"))
    call_command("audit_checkpoint", stdout=io.StringIO())
    database = connected_as(*request.getfixturevalue("roles")[1:]) if POSTGRES else nullcontext()

    with database:
        output, error = run_check(tmp_path)

    assert error is None, output
    assert output.startswith("QMS installation check (installation qualification)\nProduct version 1.0.0, commit ")
    for item in (
        "Python version",
        "package Django",
        "database migrations",
        "manage.py check --deploy",
        "DEBUG off",
        "SECRET_KEY set",
        "AUDIT_HMAC_KEY set",
        "secret keys distinct",
        "file storage writable",
        "stored file checksums (sample)",
        "audit trail hash chain",
        "latest audit checkpoint",
        "times in UTC",
    ):
        assert status_of(output, item) == "PASS", item
    assert status_of(output, "database role separation") == ("PASS" if POSTGRES else "SKIP")
    assert status_of(output, "Celery worker reachable") == "SKIP"  # tasks run in-process in the tests
    assert status_of(output, "Chroma vector store reachable") == "PASS"  # the embedded store of the tests
    assert "Result: PASS" in output


@pytest.mark.requirement("ANNEX11.11", "QMS-VALIDATION")
@pytest.mark.django_db
def test_a_broken_installation_fails_item_by_item(settings, tmp_path, make_user):
    settings.MEDIA_ROOT = tmp_path / "media"
    tamper(stored_document(make_user("QA", username="iq-author2")))
    settings.DEBUG = True
    settings.AUDIT_HMAC_KEY = settings.SECRET_KEY
    settings.TIME_ZONE = "Europe/Berlin"
    settings.SECURE_HSTS_SECONDS = 0
    (tmp_path / "not-a-folder").write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = tmp_path / "not-a-folder"
    settings.CHROMA_URL = "http://127.0.0.1:9"  # nothing listens there

    output, error = run_check(tmp_path)

    assert error is not None and "failed the installation check" in str(error)
    assert status_of(output, "DEBUG off") == "FAIL"
    assert status_of(output, "manage.py check --deploy") == "FAIL" and "security.W004" in output
    assert status_of(output, "secret keys distinct") == "FAIL"
    assert status_of(output, "file storage writable") == "FAIL"
    assert status_of(output, "latest audit checkpoint") == "FAIL"
    assert status_of(output, "times in UTC") == "FAIL" and "TIME_ZONE is Europe/Berlin" in output
    assert status_of(output, "Chroma vector store reachable") == "FAIL"
    assert status_of(output, "database migrations") == "PASS"
    assert "Result: FAIL" in output


@pytest.mark.django_db
def test_an_altered_stored_file_fails_the_checksum_sample(settings, tmp_path, make_user):
    settings.MEDIA_ROOT = tmp_path / "media"
    version = stored_document(make_user("QA", username="iq-author3"))
    tamper(version)

    output, _ = run_check(tmp_path)

    assert status_of(output, "stored file checksums (sample)") == "FAIL"
    assert f"{version.document.number} v1.0" in output and "content changed" in output


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES, reason="database roles are a PostgreSQL feature")
@pytest.mark.django_db
def test_connecting_as_the_superuser_fails_the_role_separation(tmp_path):
    output, _ = run_check(tmp_path)

    assert status_of(output, "database role separation") == "FAIL"
    assert "connects as the superuser" in output


@pytest.mark.requirement("QMS-VALIDATION")
@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs a broker (REDIS_URL) for a real worker")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_running_worker_is_reached_and_a_stopped_one_is_reported(tmp_path):
    from documents.tests.test_worker import running_worker
    from qms.celery import app

    with running_worker():
        output, _ = run_check(tmp_path)
    assert status_of(output, "Celery worker reachable") == "PASS", [line for line in output.splitlines() if "Celery" in line]

    app.conf.task_always_eager = False
    try:
        output, _ = run_check(tmp_path)
    finally:
        app.conf.task_always_eager = True
    assert status_of(output, "Celery worker reachable") == "FAIL"
