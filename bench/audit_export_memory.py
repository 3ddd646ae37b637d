"""Peak memory of streaming the audit trail CSV export, at 10k and at 1M events: it must not grow.

    .venv/bin/python bench/audit_export_memory.py                     # 10,000 then 1,000,000 events
    .venv/bin/python bench/audit_export_memory.py --events 10000,200000

Builds a temporary SQLite database (migrated like production), fills it with a valid hash chain
through a bulk path (bench only; the application appends through audit.services.record), then,
for each size, runs the real export endpoint (GET /api/audit/export?format=csv) in a fresh
Python process, reads the whole streamed body and prints that process's peak resident memory and
how much it grew while streaming.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5000


def setup_django(db_path: str) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ["DEBUG"] = "false"  # DEBUG would keep every SQL query in memory
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production-use-0123456789")
    os.environ.setdefault("AUDIT_HMAC_KEY", "bench-audit-key-not-for-production-use-0123456789")
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "qms.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def fill(target: int) -> None:
    """Appends events until the chain holds `target` of them (a valid chain: verify passes)."""
    from django.db import transaction

    from audit import keys
    from audit.models import GENESIS_HASH, KEYED_HASH_VERSION, AuditEvent, ChainHead

    head = ChainHead.objects.filter(pk=1).first() or ChainHead.objects.create(pk=1, length=0, last_hash=GENESIS_HASH)
    sequence, previous = head.length, head.last_hash
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    actions = ["create", "update", "approve", "transition", "login", "download"]
    while sequence < target:
        batch = []
        for _ in range(min(BATCH, target - sequence)):
            sequence += 1
            event = AuditEvent(
                sequence=sequence,
                timestamp=start + datetime.timedelta(seconds=sequence),
                actor_id=1,
                actor_username="bench",
                actor_full_name="Bench Marker",
                action=actions[sequence % len(actions)],
                resource_type="document",
                resource_id=sequence % 5000,
                subject_type="document",
                subject_id=sequence % 5000,
                summary=f"Document {sequence % 5000} changed (event {sequence})",
                old_values={"title": f"Title {sequence - 1}", "status": "draft"},
                new_values={"title": f"Title {sequence}", "status": "in_review"},
                reason="Periodic review" if sequence % 3 == 0 else "",
                ip_address="192.0.2.10",
                request_id=f"{sequence:032x}",
                user_agent="bench/1.0",
                previous_hash=previous,
                hash_version=KEYED_HASH_VERSION,
                key_id=keys.current_key_id(),
            )
            event.hash = previous = event.compute_hash()
            batch.append(event)
        with transaction.atomic():
            AuditEvent.objects.bulk_create(batch, batch_size=1000)
            ChainHead.objects.filter(pk=1).update(length=sequence, last_hash=previous)


def measure(db_path: str) -> dict:
    """Runs in a fresh process: streams the export through the real view and reports memory."""
    setup_django(db_path)
    from django.test import Client

    from accounts.models import User

    user = User.objects.get(username="bench-auditor")
    client = Client()
    client.force_login(user)
    baseline = current_rss_mb()
    started = time.perf_counter()
    response = client.get("/api/audit/export", {"format": "csv"})
    assert response.status_code == 200 and response.streaming, response.status_code
    size = rows = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\n")
    response.close()
    return {
        "rows": rows - 4,  # minus the header and the closing chain statement (empty line, header, values)
        "bytes": size,
        "seconds": round(time.perf_counter() - started, 1),
        "baseline_rss_mb": round(baseline, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "growth_mb": round(peak_rss_mb() - baseline, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", default="10000,1000000", help="comma-separated chain sizes to measure (ascending)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database and print its path")
    parser.add_argument("--measure", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0

    sizes = sorted(int(n.replace("_", "")) for n in args.events.split(","))
    workdir = tempfile.mkdtemp(prefix="qms-bench-")
    db_path = os.path.join(workdir, "bench.sqlite3")
    setup_django(db_path)
    from django.core.management import call_command

    from accounts.models import Role, User

    call_command("migrate", verbosity=0)
    User.objects.create_user("bench-auditor", password="Bench-Password-1", role=Role.objects.get(name="Auditor"))

    print(f"Audit CSV export memory (SQLite, {workdir})")
    print(f"{'events':>10} {'rows':>10} {'MB out':>8} {'seconds':>8} {'baseline MB':>12} {'peak MB':>8} {'growth MB':>10}")
    results = []
    for size in sizes:
        started = time.perf_counter()
        fill(size)
        fill_seconds = time.perf_counter() - started
        out = subprocess.run([sys.executable, __file__, "--measure", db_path], capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            return 1
        result = json.loads(out.stdout.strip().splitlines()[-1])
        results.append((size, result))
        print(
            f"{size:>10,} {result['rows']:>10,} {result['bytes'] / 2**20:>8.1f} {result['seconds']:>8} "
            f"{result['baseline_rss_mb']:>12} {result['peak_rss_mb']:>8} {result['growth_mb']:>10}"
            f"   (generated in {fill_seconds:.0f}s)"
        )
        # Each export is audited, so the next size starts one event further on.
    if len(results) > 1:
        (small, first), (large, last) = results[0], results[-1]
        print(
            f"\n{large // small}x the events: peak memory {first['peak_rss_mb']} MB -> {last['peak_rss_mb']} MB "
            f"(growth while streaming {first['growth_mb']} MB -> {last['growth_mb']} MB)"
        )
    if args.keep:
        print(f"database kept at {db_path}")
    else:
        for name in os.listdir(workdir):
            os.remove(os.path.join(workdir, name))
        os.rmdir(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
