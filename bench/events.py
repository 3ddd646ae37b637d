"""Cost of domain events: what emit() adds to a business transaction, and how fast the sweep delivers.

    .venv/bin/python bench/events.py                                   # temporary SQLite database
    .venv/bin/python bench/events.py --database-url postgres://postgres@127.0.0.1:5432/qms_events

The database is migrated like production (a PostgreSQL database given here must be a scratch one:
the bench's outbox rows are deleted at the end). Prints, per event: the queries emit() runs, the
time of a transaction that emits one event against one that does not (no handler, and two no-op
handlers dispatched in-process after commit as without a broker), then the sweep's throughput
over events whose after-commit dispatch was lost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production-use-0123456789")
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["DJANGO_SETTINGS_MODULE"] = "qms.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def per_transaction_ms(body, rounds: int) -> float:
    from django.db import transaction

    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        with transaction.atomic():
            body()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--sweep-events", type=int, default=500)
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory()
    setup_django(args.database_url or f"sqlite:///{scratch.name}/bench.sqlite3")

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import Group
    from qms.events import EventDelivery, EventName, OutboxEvent, emit, sweep
    from qms.events.testing import handler_registered

    class BenchEvent(EventName):
        HAPPENED = "bench.happened"
        OTHER = "bench.other"

    def noop(event):
        pass

    def business_write():  # stands for the change a service makes (one row)
        Group.objects.create(name=f"bench-{uuid.uuid4()}")

    print(f"database: {connection.vendor}")
    with CaptureQueriesContext(connection) as queries:
        per_transaction_ms(lambda: emit(BenchEvent.OTHER, ("bench", 1), data={"n": 1}), 1)
    print(f"emit() without handlers: {len(queries) - 2} query (the event row)")
    baseline = per_transaction_ms(business_write, args.rounds)
    bare = per_transaction_ms(lambda: (business_write(), emit(BenchEvent.OTHER, ("bench", 1))), args.rounds)
    print(f"transaction writing one row: {baseline:.3f} ms; with an event, no handler: {bare:.3f} ms (+{bare - baseline:.3f} ms)")

    with handler_registered("bench.*", noop, name="bench.first"), handler_registered("bench.*", noop, name="bench.second"):
        with CaptureQueriesContext(connection) as queries:
            per_transaction_ms(lambda: emit(BenchEvent.HAPPENED, ("bench", 1)), 1)
        print(f"emit() + commit + in-process dispatch to 2 handlers: {len(queries) - 2} queries")
        full = per_transaction_ms(lambda: (business_write(), emit(BenchEvent.HAPPENED, ("bench", 1))), args.rounds)
        print(f"  median {full:.3f} ms per transaction (+{full - baseline:.3f} ms over no event)")

        now = timezone.now()
        events = OutboxEvent.objects.bulk_create(
            [OutboxEvent(name=BenchEvent.HAPPENED, resource_type="bench", occurred_at=now) for _ in range(args.sweep_events)]
        )
        EventDelivery.objects.bulk_create(
            [EventDelivery(event=e, handler=h, next_attempt_at=now) for e in events for h in ("bench.first", "bench.second")]
        )
        start = time.perf_counter()
        report = sweep(grace=timezone.timedelta(0), limit=args.sweep_events)
        elapsed = time.perf_counter() - start
        deliveries = report.succeeded
        print(
            f"sweep: {report.events} events, {deliveries} deliveries in {elapsed:.2f} s "
            f"= {deliveries / elapsed:.0f} deliveries/s ({report.events / elapsed:.0f} events/s)"
        )

    Group.objects.filter(name__startswith="bench-").delete()
    EventDelivery.objects.filter(event__name__startswith="bench.").delete()
    OutboxEvent.objects.filter(name__startswith="bench.").delete()


if __name__ == "__main__":
    main()
