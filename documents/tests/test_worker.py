"""Text extraction through a real Celery worker (not eager): the upload commits, the task goes
through the broker (Redis when REDIS_URL is set, as in CI; Celery's in-memory transport otherwise)
and a worker thread picks it up and fills in the extracted text. A broker outage at upload time
delays the extraction (the event waits in the outbox) but never loses it."""

import socket
import time
from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.management import call_command

from documents.models import DocumentVersion
from qms.celery import app
from qms.events import EventDelivery
from qms.tasks import sweep_outbox

from .conftest import make_pdf, upload

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@contextmanager
def running_worker():
    app.conf.task_always_eager = False
    app.control.purge()  # nothing left over from an interrupted earlier run
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager = True


@pytest.fixture
def real_worker():
    with running_worker():
        yield


@contextmanager
def broker_unreachable():
    """Points the Celery app at a loopback port nobody listens on (as if the broker were down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    previous, eager = app.conf.broker_url, app.conf.task_always_eager
    _use_broker(f"redis://127.0.0.1:{closed_port}/0")
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        _use_broker(previous)
        app.conf.task_always_eager = eager


def _use_broker(url: str) -> None:
    app.conf.broker_url = url
    app._pool = None  # the connection pools belong to the previous URL
    app.amqp._producer_pool = None


def wait_for(predicate, timeout: float = 30.0):
    from django.db import OperationalError

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except OperationalError:
            pass  # SQLite's shared-cache test database: a table the worker is writing is locked; look again
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
    delivery = EventDelivery.objects.get(
        event__name="document.version_uploaded", event__resource_id=version.document_id, handler="documents.extract_text"
    )
    assert (delivery.handler, delivery.status, delivery.attempts) == ("documents.extract_text", "succeeded", 1)


def test_an_upload_during_a_broker_outage_is_extracted_once_the_broker_is_back(client_for, author, settings):
    settings.EVENTS_SWEEP_SECONDS = 0  # beat's sweep picks up events at once
    settings.EVENTS_RETRY_DELAY_SECONDS = 0  # and retries at once

    with broker_unreachable():
        response = upload(client_for(author), make_pdf(["Verify the line clearance checklist"]))
        assert response.status_code == 201, response.content  # the upload does not depend on the broker
        version = DocumentVersion.objects.get(document_id=response.json()["id"])
        delivery = EventDelivery.objects.get(
            event__name="document.version_uploaded", event__resource_id=version.document_id, handler="documents.extract_text"
        )
        assert (delivery.status, delivery.attempts) == ("pending", 0)

        call_command("process_outbox", grace_seconds=0)  # a sweep while the broker is still down

        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("pending", 1)  # kept for the next sweep
        assert "Connection refused" in delivery.last_error
        version.refresh_from_db()
        assert version.processing_status == "uploaded"

    with running_worker():  # the broker is back, and so is the worker
        sweep_outbox.delay()  # what beat sends every EVENTS_SWEEP_SECONDS

        assert wait_for(lambda: DocumentVersion.objects.get(pk=version.pk).processing_status == "completed")
    version.refresh_from_db()
    assert "Verify the line clearance checklist" in version.extracted_text
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
