"""Text extraction through a real Celery worker (not eager): the upload commits, the task goes
through the broker (Redis when REDIS_URL is set, as in CI; Celery's in-memory transport otherwise)
and a worker thread picks it up and fills in the extracted text."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from documents.models import DocumentVersion
from qms.celery import app

from .conftest import make_pdf, upload

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def real_worker():
    app.conf.task_always_eager = False
    app.control.purge()  # nothing left over from an interrupted earlier run
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager = True


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_worker_extracts_the_text_of_an_uploaded_pdf(real_worker, client_for, author):
    response = upload(client_for(author), make_pdf(["Sanitise the filling nozzle", "Record the lot number"]))
    assert response.status_code == 201, response.content
    version = DocumentVersion.objects.get(document_id=response.json()["id"])

    assert wait_for(lambda: DocumentVersion.objects.get(pk=version.pk).processing_status == "completed")
    version.refresh_from_db()
    assert "Sanitise the filling nozzle" in version.extracted_text
    assert version.page_count == 1
