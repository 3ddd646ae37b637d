"""Benchmark of the training matrix and My training.

Builds 1,000 users × 50 programs (about 20,000 assignments, half of them completed) in a temporary
SQLite database (bulk inserts: bench only; the application writes through training.services), then
prints
  1. the SQL query count of GET /api/training/my-training at page_size 20 and 100 (for a person with
     50 assignments; equal),
  2. the SQL query count of GET /api/training/matrix at 50 and 100 users per page (they must be
     equal: the cells of a page are read in a fixed number of queries),
  3. requests per second of my-training, the matrix and the program list next to a bare DRF
     endpoint (same authentication, a constant body) in the same run: the ratio compares across
     machines,
  4. the render time of the matrix page (/training/matrix/, 50 users × 50 programs),
  5. the peak resident memory of streaming the whole matrix as CSV (GET /api/training/matrix/export)
     in a fresh process, at 1,000 users and again at 4,000 users: it must not grow with the rows.

    .venv/bin/python bench/training_matrix.py [--users 1000] [--programs 50] [--larger 4000] [--seconds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Bench-Pass-123"


def setup_django(db_path: str) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "qms.settings",
            "DEBUG": "false",  # DEBUG would keep every SQL query in memory
            "SECRET_KEY": "bench-only-secret-key-0123456789abcdef0123456789abcdef",
            "AUDIT_HMAC_KEY": "bench-only-audit-key-0123456789abcdef0123456789",
            "SECURE_SSL_REDIRECT": "false",  # in-process requests over plain HTTP
            "DATABASE_URL": f"sqlite:///{db_path}",
            "REDIS_URL": "",
            "CELERY_BROKER_URL": "",
            "THROTTLE_USER_RATE": "100000000/min",
            "LOG_LEVEL": "WARNING",
        }
    )
    sys.path.insert(0, str(ROOT))
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic in a bench
    import django

    django.setup()


def bench_urls():
    """The project's URLs plus /bench/bare: the API's authentication and renderer, no database work."""
    from django.urls import include, path
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class BareView(APIView):
        required_permissions = {"get": None}

        def get(self, request):
            return Response({"items": [], "page": 1, "page_size": 20, "total": 0, "pages": 0})

    return [path("bench/bare", BareView.as_view()), path("", include("qms.urls"))]


urlpatterns: list = []  # filled by main() (this module is the bench's URLconf)


def requests_per_second(client, url: str, seconds: float, headers: dict) -> float:
    for _ in range(3):  # warm up
        assert client.get(url, **headers).status_code == 200, url
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        assert client.get(url, **headers).status_code == 200, url
        done += 1
    return done / (time.perf_counter() - start)


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started its program (VmHWM). getrusage's
    ru_maxrss would also count the benchmark process it was forked from (kept across execve)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status")


def create_programs(count: int) -> list:
    from training.models import Category, TrainingProgram

    categories = [c for c, _ in Category.choices]
    return TrainingProgram.objects.bulk_create(
        TrainingProgram(
            title=f"Program {i:02d}",
            category=categories[i % len(categories)],
            status="PUBLISHED",
            requires_signature=False,
            retraining_interval_days=365 if i % 3 == 0 else None,
        )
        for i in range(count)
    )


def add_users(start: int, count: int, programs: list, seed: int) -> int:
    """`count` users, each assigned about 40 % of the programs (the very first user all of them),
    half of those completed; returns the number of assignments made."""
    import datetime

    from django.utils import timezone

    from accounts.models import Group, Role, User
    from training.models import Assignment, Completion

    rng = random.Random(seed)
    role = Role.objects.get(name="User")
    group, _ = Group.objects.get_or_create(name="Bench line")
    users = User.objects.bulk_create(
        User(username=f"bench{i:05d}", email=f"bench{i:05d}@example.com", full_name=f"Person {i:05d}", role=role)
        for i in range(start, start + count)
    )
    group.members.add(*users[: len(users) // 2])
    now = timezone.now()
    today = now.date()
    assignments, completed = [], []
    for user in users:
        chosen = programs if user.username == "bench00000" else rng.sample(programs, k=int(len(programs) * 0.4))
        for program in chosen:
            done = rng.random() < 0.5
            assignment = Assignment(
                program=program,
                user=user,
                status="completed" if done else ("overdue" if rng.random() < 0.2 else "assigned"),
                due_date=today + datetime.timedelta(days=rng.randint(-20, 60)),
                assigned_at=now,
                completed_at=now if done else None,
            )
            assignments.append(assignment)
            if done:
                completed.append(assignment)
    Assignment.objects.bulk_create(assignments, batch_size=2000)
    Completion.objects.bulk_create(
        (
            Completion(
                assignment=a,
                program=a.program,
                user=a.user,
                completed_at=now,
                expires_at=now + datetime.timedelta(days=365) if a.program.retraining_interval_days else None,
                recorded_by=a.user,
                program_title=a.program.title,
            )
            for a in completed
        ),
        batch_size=2000,
    )
    return len(assignments)


def query_count(client, url: str, headers: dict) -> tuple[int, dict]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return len(ctx.captured_queries), response.json()


def export_in_fresh_process(db_path: str, username: str) -> dict:
    """Runs this script in --export mode: a new process, so its peak RSS is the export's alone."""
    output = subprocess.run(
        [sys.executable, __file__, "--export", db_path, "--export-user", username],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def export_mode(db_path: str, username: str) -> None:
    setup_django(db_path)
    from django.test import Client
    from django.test.utils import setup_test_environment
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User

    setup_test_environment()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(User.objects.get(username=username)).access_token}"}
    client = Client()
    client.get("/api/health")  # imports and first-request work happen before the baseline
    baseline = current_rss_mb()
    started = time.perf_counter()
    response = client.get("/api/training/matrix/export", **headers)
    assert response.status_code == 200, response.status_code
    rows = size = 0
    for piece in response.streaming_content:
        size += len(piece)
        rows += piece.count(b"\n")
    print(
        json.dumps(
            {
                "rows": rows - 1,
                "mb": round(size / 2**20, 1),
                "seconds": round(time.perf_counter() - started, 1),
                "baseline_rss_mb": round(baseline, 1),
                "peak_rss_mb": round(peak_rss_mb(), 1),
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--programs", type=int, default=50)
    parser.add_argument("--larger", type=int, default=4000, help="users for the second export measurement")
    parser.add_argument("--seconds", type=float, default=2.0, help="per throughput measurement")
    parser.add_argument("--export", help=argparse.SUPPRESS)
    parser.add_argument("--export-user", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export:
        export_mode(args.export, args.export_user)
        return 0

    workdir = tempfile.mkdtemp(prefix="qms-bench-training-")
    db_path = f"{workdir}/bench.sqlite3"
    setup_django(db_path)
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import Role, User

    setup_test_environment()
    print(f"Temporary database in {workdir}")
    call_command("migrate", verbosity=0)
    manager = User.objects.create_user(
        "bench-manager", "manager@example.com", PASSWORD, role=Role.objects.get(name="QA Manager"), full_name="Bench Manager"
    )
    started = time.perf_counter()
    programs = create_programs(args.programs)
    made = add_users(0, args.users, programs, seed=1)
    print(f"Built {args.users} users × {args.programs} programs: {made} assignments in {time.perf_counter() - started:.1f} s")

    ok = True
    # Pages link static files; without collectstatic the manifest storage of DEBUG=false has no entries.
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    urlpatterns[:] = bench_urls()
    with override_settings(DEBUG=False, STORAGES=storages, ROOT_URLCONF=__name__):
        client = Client()
        reader = User.objects.get(username="bench00000")
        reader_headers = {"HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(reader).access_token}"}
        headers = {"HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(manager).access_token}"}

        print("\nSQL queries")
        mine = {}
        # The second page of 20 and the page of 100 both hold open and completed items (open come first).
        for size, query in ((20, "page_size=20&page=2"), (100, "page_size=100")):
            mine[size], body = query_count(client, f"/api/training/my-training?{query}", reader_headers)
            print(f"  GET /api/training/my-training?{query:<20} {mine[size]:>3} queries ({len(body['items'])} items)")
        matrix = {}
        for size in (50, 100):
            matrix[size], body = query_count(client, f"/api/training/matrix?page_size={size}", headers)
            cells = sum(len(row["cells"]) for row in body["items"])
            print(f"  GET /api/training/matrix?page_size={size:<13}    {matrix[size]:>3} queries ({cells} cells)")
        equal = matrix[50] == matrix[100] and mine[20] == mine[100]
        ok &= equal
        print(f"  constant in page size: {'yes' if equal else 'NO'}")

        print(f"\nThroughput (in-process WSGI, single thread, {args.seconds:.0f} s each, SQLite, DEBUG off)")
        bare = requests_per_second(client, "/bench/bare", args.seconds, headers)
        print(f"  GET bare DRF endpoint                        {bare:7.1f} req/s")
        for url, who in (
            ("/api/training/my-training?page_size=20", reader_headers),
            ("/api/training/?page_size=20", headers),
            ("/api/training/matrix?page_size=50", headers),
        ):
            rps = requests_per_second(client, url, args.seconds, who)
            print(f"  GET {url:<40} {rps:7.1f} req/s  ({bare / rps:.1f}× the bare endpoint's time per request)")

        client.force_login(manager)
        timings = []
        for _ in range(6):
            begin = time.perf_counter()
            response = client.get("/training/matrix/")
            assert response.status_code == 200, response.status_code
            timings.append(time.perf_counter() - begin)
        print(
            f"\nMatrix page (/training/matrix/, 50 users × {args.programs} programs, {len(response.content) // 1024} KB): "
            f"median {statistics.median(timings[1:]) * 1000:.0f} ms over {len(timings) - 1} renders (after one warm-up)"
        )

    print("\nCSV export of the whole matrix (fresh process each)")
    print(f"  {'users':>6} {'rows':>8} {'MB':>6} {'seconds':>8} {'baseline RSS MB':>16} {'peak RSS MB':>12}")
    results = []
    for total in (args.users, args.larger):
        current = User.objects.filter(username__startswith="bench0").count()
        if total > current:
            add_users(current, total - current, programs, seed=total)
        result = export_in_fresh_process(db_path, manager.username)
        results.append(result)
        print(
            f"  {total:>6} {result['rows']:>8} {result['mb']:>6} {result['seconds']:>8} "
            f"{result['baseline_rss_mb']:>16} {result['peak_rss_mb']:>12}"
        )
    growth = results[-1]["peak_rss_mb"] - results[0]["peak_rss_mb"]
    print(
        f"  {args.larger // args.users}× the rows: peak memory {results[0]['peak_rss_mb']} MB -> "
        f"{results[-1]['peak_rss_mb']} MB ({growth:+.1f} MB)"
    )
    shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
