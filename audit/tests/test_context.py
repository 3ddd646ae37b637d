"""Audit context (audit.context): events recorded inside it carry it, sealed into their hash."""

import pytest
from django.db import connection

from audit import immutability, services
from audit.context import audit_context, current
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _record(actor, n):
    return services.record(action="update", resource_type="document", resource_id=n, summary=f"event {n}", actor=actor)


def test_events_inside_a_context_carry_it_and_nested_contexts_merge(qa_manager):
    outside = _record(qa_manager, 1)
    with audit_context(import_run=7, source="users.csv"):
        with audit_context(row=12):
            inner = _record(qa_manager, 2)
        after_row = _record(qa_manager, 3)
    assert current() is None

    assert AuditEvent.objects.get(pk=outside.pk).context is None
    assert AuditEvent.objects.get(pk=inner.pk).context == {"import_run": 7, "source": "users.csv", "row": 12}
    assert AuditEvent.objects.get(pk=after_row.pk).context == {"import_run": 7, "source": "users.csv"}
    assert services.verify_chain().valid


@pytest.mark.requirement("ANNEX11.9", "QMS-IMPORTS")
def test_the_context_is_sealed_changing_it_breaks_the_chain(qa_manager):
    with audit_context(import_run=7, row=3):
        event = _record(qa_manager, 1)
    _record(qa_manager, 2)
    assert services.verify_chain().valid

    with immutability.suspended(connection), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET context = %s WHERE id = %s", ['{"import_run": 8, "row": 3}', event.pk])

    result = services.verify_chain()
    assert result.valid is False and "hash does not match" in result.problem


def test_the_audit_api_filters_by_import_run(client_for, auditor, qa_manager):
    with audit_context(import_run=41):
        _record(qa_manager, 1)
    with audit_context(import_run=42):
        wanted = _record(qa_manager, 2)

    body = client_for(auditor).get("/api/audit/?import_run=42").json()

    assert [item["id"] for item in body["items"]] == [wanted.pk]
    assert body["items"][0]["context"] == {"import_run": 42}
