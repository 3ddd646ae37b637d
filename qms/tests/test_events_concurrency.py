"""Several dispatchers over the same events (two workers, the sweep, a redelivery): each handler gets
each event once. PostgreSQL claims rows with SELECT ... FOR UPDATE SKIP LOCKED."""

import threading
import time
from collections import Counter

import pytest
from django.db import connection, connections
from django.utils import timezone

from qms.events import EventDelivery, OutboxEvent, deliver_event, sweep
from qms.events.testing import handler_registered

from .test_events import ProbeEvent

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def lost_dispatches(count: int) -> list[int]:
    """Events as emit() leaves them when the after-commit dispatch never ran (broker down)."""
    now = timezone.now()
    events = OutboxEvent.objects.bulk_create(
        [OutboxEvent(name=ProbeEvent.HAPPENED, resource_type="probe", resource_id=i, occurred_at=now) for i in range(count)]
    )
    EventDelivery.objects.bulk_create([EventDelivery(event=e, handler="test.slow", next_attempt_at=now) for e in events])
    return [e.pk for e in events]


def run_together(*jobs):
    barrier = threading.Barrier(len(jobs))
    errors = []

    def run(job):
        try:
            barrier.wait()
            job()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises every writer")
def test_two_sweeps_and_two_dispatchers_racing_deliver_each_event_once():
    calls: Counter[int] = Counter()
    guard = threading.Lock()

    def slow(event):
        time.sleep(0.01)
        with guard:
            calls[event.pk] += 1

    with handler_registered("probe.*", slow, name="test.slow"):
        ids = lost_dispatches(40)
        run_together(
            lambda: sweep(grace=timezone.timedelta(0)),
            lambda: sweep(grace=timezone.timedelta(0)),
            lambda: [deliver_event(pk) for pk in ids],
            lambda: [deliver_event(pk) for pk in reversed(ids)],
        )

    assert calls == Counter({pk: 1 for pk in ids})
    assert set(EventDelivery.objects.values_list("status", "attempts")) == {("succeeded", 1)}


def test_a_dispatcher_skips_a_delivery_another_one_is_running_without_waiting_for_it():
    started, release = threading.Event(), threading.Event()
    calls = []

    def blocking(event):
        calls.append(event.pk)
        started.set()
        assert release.wait(30)

    with handler_registered("probe.*", blocking, name="test.slow"):
        (event_id,) = lost_dispatches(1)
        first = threading.Thread(target=lambda: (deliver_event(event_id), connections.close_all()))
        first.start()
        assert started.wait(30)

        second = deliver_event(event_id)  # returns at once: the delivery is claimed by the first
        swept = sweep(grace=timezone.timedelta(0))

        release.set()
        first.join(30)

    assert (second.events, swept.events) == (0, 0)
    assert calls == [event_id]
    assert EventDelivery.objects.get(event_id=event_id).status == "succeeded"
