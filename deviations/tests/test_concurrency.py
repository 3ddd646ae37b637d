"""Two QA Managers publishing two forms at the same moment: both publishes succeed in turn and exactly
one form is active at the end (PostgreSQL row locks and the one-active constraint)."""

import threading

import pytest
from django.db import connection, connections

from audit.models import AuditEvent
from deviations import services
from deviations.models import FormStatus, FormTemplate

from .factories import definition, report_sections


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite has no concurrent row locks")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_publishes_leave_exactly_one_active_form(make_user):
    managers = [make_user("QA Manager", username=f"qam{n}") for n in (1, 2)]
    drafts = [
        services.create_form_template(actor=m, definition=definition(*report_sections(), name=f"Form {n}"))
        for n, m in enumerate(managers)
    ]
    barrier = threading.Barrier(2)
    results: dict[int, object] = {}

    def publish(manager, draft):
        try:
            barrier.wait()
            services.publish_form_template(actor=manager, template=draft, reason="Race for the record")
            results[draft.pk] = "published"
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            results[draft.pk] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publish, args=pair) for pair in zip(managers, drafts, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert list(results.values()) == ["published", "published"], results
    statuses = dict(FormTemplate.objects.values_list("name", "status"))
    assert sorted(statuses.values()) == [FormStatus.ACTIVE, FormStatus.RETIRED, FormStatus.RETIRED]
    assert statuses["Standard deviation report"] == FormStatus.RETIRED
    # Each retirement is in the audit trail once: the standard form's and the first publisher's.
    assert AuditEvent.objects.filter(resource_type="form_template", action="retire").count() == 2
