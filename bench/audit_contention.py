"""Contention on the audit chain (PostgreSQL): does one long transaction hold up every audited write?

8 threads run a real audited use case (accounts.services.create_group: a row, its audit event) in
a loop for a few seconds and the latency of every call is kept. Three runs:

  1. baseline: the 8 writers alone;
  2. long transaction: another transaction records an audit event and then stays open for 5 s
     while the writers run (the chain is appended at commit, so the head is not held);
  3. the same with the previous design simulated (each event appended, and the chain head
     locked, at the moment it is recorded, until the transaction commits).

Prints p50/p95 latency of the writers per run, the ratio of the p95s (goal: run 2 at most 2x the
baseline) and verifies the chain afterwards. Needs a PostgreSQL server; it creates a scratch
database `<name>_contention` and drops it at the end.

    .venv/bin/python bench/audit_contention.py --database-url postgres://postgres@127.0.0.1:5432/qms_audit
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/qms_bench"),
        help="a PostgreSQL URL; the bench uses the scratch database <name>_contention on that server",
    )
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--hold", type=float, default=5.0, help="seconds the long transaction stays open")
    return parser.parse_args()


def setup_django(database_url: str) -> str:
    if not database_url.startswith(("postgres://", "postgresql://")):
        print("skipped: audit_contention needs PostgreSQL (--database-url postgres://...)")
        sys.exit(0)
    base, name = database_url.rsplit("/", 1)
    scratch = f"{name.split('?')[0]}_contention"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "qms.settings",
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-secret-key-0123456789abcdef0123456789abcdef",
            "AUDIT_HMAC_KEY": "bench-only-audit-key-0123456789abcdef0123456789",
            "DATABASE_URL": f"{base}/{scratch}",
            "REDIS_URL": "",
            "CELERY_BROKER_URL": "",
            "LOG_LEVEL": "WARNING",
        }
    )
    import psycopg

    try:
        admin = psycopg.connect(f"{base}/postgres", autocommit=True)
    except psycopg.OperationalError as exc:
        print(f"skipped: no PostgreSQL server at {base} ({exc})")
        sys.exit(0)
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        admin.execute(f'CREATE DATABASE "{scratch}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return scratch


def drop_database(database_url: str, scratch: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    base = database_url.rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{scratch}"')


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def run(admin, *, writers: int, seconds: float, long_transaction: bool, label: str) -> dict:
    from django.db import connections, transaction

    from accounts import services as account_services
    from audit import services as audit

    latencies: list[float] = []
    lock = threading.Lock()
    started = threading.Event()
    errors: list[BaseException] = []

    def holder():
        try:
            with transaction.atomic():
                audit.record(action="update", resource_type="bench", resource_id=0, summary="long transaction", actor=admin)
                started.set()
                time.sleep(seconds)
        except BaseException as exc:  # noqa: BLE001 - reported
            errors.append(exc)
        finally:
            connections.close_all()

    def writer(n: int):
        try:
            started.wait()
            end, mine, i = time.perf_counter() + seconds, [], 0
            while time.perf_counter() < end:
                t0 = time.perf_counter()
                account_services.create_group(actor=admin, name=f"{label} {n}-{i}")
                mine.append(time.perf_counter() - t0)
                i += 1
            with lock:
                latencies.extend(mine)
        except BaseException as exc:  # noqa: BLE001 - reported
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    if long_transaction:
        threads.append(threading.Thread(target=holder))
    else:
        started.set()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return {
        "calls": len(latencies),
        "p50": percentile(latencies, 50) * 1000,
        "p95": percentile(latencies, 95) * 1000,
    }


def main():
    args = parse_args()
    scratch = setup_django(args.database_url)
    try:
        from accounts.models import Role, User
        from audit import chain
        from audit import services as audit

        admin = User.objects.create_user(
            "bench-admin", "admin@example.com", "Bench-Pass-123", role=Role.objects.get(name="Admin"), full_name="Bench Admin"
        )
        print(f"PostgreSQL scratch database {scratch}; {args.writers} writers; long transaction held {args.hold:.0f} s")
        run(admin, writers=2, seconds=1, long_transaction=False, label="warm-up")
        results = {
            "baseline (writers alone)": run(admin, writers=args.writers, seconds=args.hold, long_transaction=False, label="a"),
            "with a long transaction": run(admin, writers=args.writers, seconds=args.hold, long_transaction=True, label="b"),
        }

        def append_at_once(callback, *, item=None, using=None):
            callback([item])  # the previous design: the chain head is locked from here until the commit

        original = chain.before_commit
        chain.before_commit = append_at_once
        try:
            results["previous design, long transaction"] = run(
                admin, writers=args.writers, seconds=args.hold, long_transaction=True, label="c"
            )
        finally:
            chain.before_commit = original

        print(f"{'run':38} {'calls':>7} {'p50 ms':>9} {'p95 ms':>9}")
        for label, figures in results.items():
            print(f"{label:38} {figures['calls']:>7} {figures['p50']:>9.1f} {figures['p95']:>9.1f}")
        ratio = results["with a long transaction"]["p95"] / results["baseline (writers alone)"]["p95"]
        old_ratio = results["previous design, long transaction"]["p95"] / results["baseline (writers alone)"]["p95"]
        print(f"p95 with the long transaction / baseline: {ratio:.2f}x (goal <= 2x); previous design: {old_ratio:.1f}x")
        verification = audit.verify_chain()
        print(
            f"chain verification: {'valid' if verification.valid else 'BROKEN: ' + verification.problem}, "
            f"{verification.events} events"
        )
    finally:
        drop_database(args.database_url, scratch)


if __name__ == "__main__":
    main()
