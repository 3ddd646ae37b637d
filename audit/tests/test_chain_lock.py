"""Events join the hash chain at the end of their transaction: committed with the change they describe,
gone with a rolled-back change, and the chain head is locked only from that append to the commit."""

import threading

import pytest
from django.db import connection, connections, transaction

from accounts import services as account_services
from accounts.models import Group
from audit import services
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_use_case_s_events_are_appended_in_order_when_its_transaction_ends(qa_manager):
    with transaction.atomic():
        first = services.record(action="create", resource_type="thing", resource_id=1, summary="one", actor=qa_manager)
        second = services.record(action="update", resource_type="thing", resource_id=1, summary="two", actor=qa_manager)
        # Not on the chain yet: nothing holds the chain head while the use case runs.
        assert first.sequence is None and not AuditEvent.objects.exists()
    assert (first.sequence, second.sequence) == (1, 2)
    assert second.previous_hash == first.hash
    assert list(AuditEvent.objects.order_by("sequence").values_list("summary", flat=True)) == ["one", "two"]
    assert services.verify_chain().valid


def test_a_rolled_back_savepoint_takes_its_events_with_it(qa_manager):
    with transaction.atomic():
        services.record(action="create", resource_type="thing", resource_id=1, summary="kept", actor=qa_manager)
        with pytest.raises(RuntimeError), transaction.atomic():
            services.record(action="update", resource_type="thing", resource_id=1, summary="undone", actor=qa_manager)
            raise RuntimeError("the inner step failed")
        services.record(action="update", resource_type="thing", resource_id=1, summary="also kept", actor=qa_manager)
    assert list(AuditEvent.objects.order_by("sequence").values_list("summary", flat=True)) == ["kept", "also kept"]
    assert services.verify_chain().valid


def test_a_change_whose_event_cannot_be_appended_is_rolled_back(admin_user, monkeypatch):
    """Never a committed change without its event: a failure while appending undoes the whole use case."""

    def broken(self):
        raise RuntimeError("the audit key is unavailable")

    monkeypatch.setattr(AuditEvent, "compute_hash", broken)
    with pytest.raises(RuntimeError, match="audit key"):
        account_services.create_group(actor=admin_user, name="Packaging line")
    monkeypatch.undo()
    assert not Group.objects.filter(name="Packaging line").exists()
    assert not AuditEvent.objects.exists()
    account_services.create_group(actor=admin_user, name="Packaging line")
    assert AuditEvent.objects.get().summary.startswith("Group Packaging line")
    assert services.verify_chain().valid


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL for concurrent transactions")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_open_transaction_with_events_does_not_hold_up_other_audited_writes():
    """A long use case (its event recorded, its transaction still open) and a short one: the short one
    commits first and takes the next sequence; the long one follows when it commits."""
    long_recorded, short_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def long_use_case():
        try:
            with transaction.atomic():
                services.record(action="update", resource_type="thing", resource_id=1, summary="long")
                long_recorded.set()
                if not short_done.wait(timeout=30):
                    raise AssertionError("the short transaction was blocked by the open one")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def short_use_case():
        try:
            long_recorded.wait(timeout=30)
            with transaction.atomic():
                services.record(action="update", resource_type="thing", resource_id=2, summary="short")
            short_done.set()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=long_use_case), threading.Thread(target=short_use_case)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert list(AuditEvent.objects.order_by("sequence").values_list("summary", flat=True)) == ["short", "long"]
    assert services.verify_chain().valid
