"""Concurrent writers never fork the hash chain (PostgreSQL: real row locks across connections)."""

import threading

import pytest
from django.db import connection, connections, transaction

from audit import services
from audit.models import AuditEvent


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL for concurrent writers")
# serialized_rollback: on PostgreSQL a plain flush re-creates content types with new ids, and a later
# serialized-rollback test (browser tests, other apps' concurrency tests) could not restore its rows.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_appends_form_one_unbroken_chain():
    writers, per_writer = 6, 15
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(n: int):
        try:
            start.wait()
            for i in range(per_writer):
                with transaction.atomic():
                    services.record(action="update", resource_type="thing", resource_id=n, summary=f"writer {n} #{i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert AuditEvent.objects.count() == writers * per_writer
    result = services.verify_chain()
    assert result.valid, result
    assert sorted(AuditEvent.objects.values_list("sequence", flat=True)) == list(range(1, writers * per_writer + 1))
