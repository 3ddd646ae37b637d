"""Speed of the API's list endpoints against the framework's floor.

For each list it prints
  1. the SQL queries of one request at page_size=20 and at page_size=100 (they must be equal: a
     list joins or prefetches what its rows show instead of querying per row), and
  2. requests per second of GET <list>?page_size=20 and of the bare authenticated DRF view
     (_django_urls.BareView: same middleware, JWT authentication, permission class, throttles and
     renderer, a constant body, no database work), measured in alternating slices in the same run,
     and the list's rate as a percentage of the bare view's (the goal: at least 30%).

In-process (Django's test client, one thread, DEBUG off), so the figures are the application's
cost without a web server; bench/http_lists.py measures the same lists through gunicorn.

    .venv/bin/python bench/api_lists.py                        # temporary SQLite database
    .venv/bin/python bench/api_lists.py --database-url postgres://postgres@127.0.0.1:5432/qms_bench
    .venv/bin/python bench/api_lists.py --only documents,audit --seconds 5
    .venv/bin/python bench/api_lists.py --url /api/deviations/ --url /api/capas/   # any other list

A PostgreSQL database given here is migrated and filled once (a scratch database: the bench adds
documents, users, signatures and audit events, and reuses them on the next run). Exit status 1 when
a list's query count grows with the page size.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import harness

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

# name -> path of the list; every list is requested as the bench's administrator.
LISTS = {
    "documents": "/api/documents/",
    "audit events": "/api/audit/",
    "signatures": "/api/signatures/",
    "users": "/api/users/",
    "groups": "/api/groups/",
    "roles": "/api/roles/",
    "document types": "/api/document-types/",
    "templates": "/api/templates/",
    "workflow templates": "/api/workflow-templates/",
}
MAIN_LISTS = ("documents", "audit events", "signatures", "users")
GOAL_PERCENT = 30.0
BARE = "/api/bench/bare"
BENCH_ADMIN = "bench-admin"
PASSWORD = "Bench-Pass-123"


def setup_django(database_url: str) -> None:
    """Django with the product's settings from the environment as production has them (DEBUG off),
    plus the bare view's route; rate limits high enough not to interfere."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "_django_settings",
            "DATABASE_URL": database_url,
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
            "THROTTLE_USER_RATE": "100000000/min",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdef0123456789abcdef")
    os.environ.setdefault("AUDIT_HMAC_KEY", "bench-only-audit-key-0123456789abcdef0123456789")
    os.environ.setdefault("AUDIT_CHECKPOINT_DIR", tempfile.mkdtemp(prefix="qms-bench-checkpoints-"))
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="qms-bench-media-"))
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        os.environ.pop(name, None)
    sys.path[:0] = [str(ROOT), str(BENCH)]
    create_database_if_missing(database_url)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # Only for making the data: approvals re-authenticate, and the production hasher takes ~0.3 s.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)


def create_database_if_missing(database_url: str) -> None:
    """A PostgreSQL database named in the URL is created when it does not exist yet."""
    if not database_url.startswith(("postgres://", "postgresql://")):
        return
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
            print(f"Created database {name}")


def ensure_data(documents: int, users: int) -> None:
    """Documents (a third effective with two approval signatures each, a third in review), users,
    and the audit events all that writes; made through the services, once per database."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import Role, User
    from documents import services
    from documents.models import Document, DocumentType

    if User.objects.filter(username=BENCH_ADMIN).exists():
        return
    started = time.perf_counter()

    def person(username: str, role: str) -> User:
        return User.objects.create_user(
            username, f"{username}@example.com", PASSWORD, role=Role.objects.get(name=role), full_name=username.title()
        )

    person(BENCH_ADMIN, "Admin")
    author = person("bench-author", "QA")
    approvers = [person("bench-qa-manager", "QA Manager"), person("bench-qa", "QA")]
    roles = ["User", "QA", "Auditor", "QA Manager"]
    for i in range(users):
        person(f"bench-user-{i:04d}", roles[i % len(roles)])
    types = list(DocumentType.objects.order_by("code"))
    for i in range(documents):
        document = services.upload_document(
            actor=author,
            file=SimpleUploadedFile(f"procedure-{i}.txt", f"Procedure {i}\n".encode()),
            title=f"Procedure {i}",
            document_type=types[i % len(types)],
            category=("Production", "Quality", "Warehouse")[i % 3],
            description=f"How step {i} is done.",
            keywords="bench, list",
        )
        if i % 3:
            services.transition_document(actor=author, document=document, name="submit")
        if i % 3 == 2:
            for approver in approvers:
                services.approve_document(actor=approver, document=Document.objects.get(pk=document.pk), password=PASSWORD)
            services.transition_document(actor=author, document=Document.objects.get(pk=document.pk), name="make_effective")
    print(f"Made {documents} documents and {users} users in {time.perf_counter() - started:.1f} s")


def auth_headers(username: str = BENCH_ADMIN) -> dict:
    from accounts.models import User
    from accounts.tokens import issue_tokens

    token = issue_tokens(User.objects.get(username=username)).access_token
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def query_counts(client, path: str, headers: dict) -> dict[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for size in (20, 100):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"{path}?page_size={size}", **headers)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.content[:300]!r}")
        counts[size] = len(ctx.captured_queries)
    return counts


def compare_rates(client, url: str, headers: dict, seconds: float) -> tuple[float, float, float]:
    return harness.compare_rates(client, url, headers, seconds, bare=BARE)


def data_arguments(description: str) -> argparse.ArgumentParser:
    """The options every list bench has: the database, how much data, which lists."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite database")
    parser.add_argument("--documents", type=int, default=150)
    parser.add_argument("--users", type=int, default=150)
    parser.add_argument("--only", default="", help=f"comma-separated names among: {', '.join(LISTS)}")
    return parser


def main() -> int:
    parser = data_arguments(__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per list (half of it the bare view's)")
    parser.add_argument("--all", action="store_true", help="every list in LISTS, not only " + ", ".join(MAIN_LISTS))
    parser.add_argument("--url", action="append", default=[], help="another list's path (repeatable)")
    args = parser.parse_args()

    scratch = tempfile.TemporaryDirectory(prefix="qms-bench-")
    setup_django(args.database_url or f"sqlite:///{scratch.name}/bench.sqlite3")
    from django.conf import settings
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    ensure_data(args.documents, args.users)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or (list(LISTS) if args.all else list(MAIN_LISTS))
    unknown = [n for n in names if n not in LISTS]
    if unknown:
        raise SystemExit(f"Unknown lists: {', '.join(unknown)}")
    targets = [(n, LISTS[n]) for n in names] + [(u, u) for u in args.url]
    if args.url and not args.only:
        targets = [(u, u) for u in args.url]

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    client = Client()
    headers = auth_headers()
    print(f"In-process WSGI, one thread, {engine}, DEBUG off; {args.seconds:g} s per list; goal ≥ {GOAL_PERCENT:g}% of bare")
    print(f"{'list':<22} {'queries@20':>10} {'@100':>5} {'list req/s':>11} {'bare req/s':>11} {'% of bare':>10}")
    failed = False
    for name, path in targets:
        counts = query_counts(client, path, headers)
        list_rps, bare_rps, ratio = compare_rates(client, f"{path}?page_size=20", headers, args.seconds)
        constant = counts[100] <= counts[20]
        failed |= not constant
        flag = "" if constant else "  QUERIES GROW WITH PAGE SIZE"
        below = "" if ratio * 100 >= GOAL_PERCENT else "  below goal"
        print(
            f"{name:<22} {counts[20]:>10} {counts[100]:>5} {list_rps:>11.1f} {bare_rps:>11.1f} {ratio * 100:>9.1f}%{below}{flag}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
