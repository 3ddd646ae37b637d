"""Benchmark of the document list (GET /api/documents/).

Prints
  1. the number of SQL queries for page_size=20 and page_size=100 (they must be equal: the list
     joins what a row shows instead of querying per row), and
  2. requests per second for GET /api/documents/?page_size=20 next to a bare DRF endpoint (same
     authentication, a constant body) measured in the same run, so the figure can be compared
     across machines as a ratio.

Standalone: it creates its own data in a temporary SQLite database and media folder.
    .venv/bin/python bench/document_list.py [--documents 150] [--seconds 3]
"""

import argparse
import sys
import time

import harness

WORKDIR = harness.configure()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings, setup_test_environment  # noqa: E402
from rest_framework_simplejwt.tokens import RefreshToken  # noqa: E402

urlpatterns = harness.urlpatterns()
rate = harness.rate


def create_data(count: int):
    from accounts.models import Role, User
    from documents import services
    from documents.models import DocumentType

    author = User.objects.create_user(
        "bench-author", "author@example.com", "Bench-Pass-123", role=Role.objects.get(name="QA"), full_name="Bench Author"
    )
    types = list(DocumentType.objects.all())
    for i in range(count):
        services.upload_document(
            actor=author,
            file=SimpleUploadedFile(f"doc{i}.txt", f"Procedure {i}\n".encode()),
            title=f"Procedure {i}",
            document_type=types[i % len(types)],
            category=("Production", "Quality", "Warehouse")[i % 3],
            keywords="bench, list",
        )
    return author


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=150)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()

    setup_test_environment()
    print(f"Temporary database and files in {WORKDIR}")
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    author = create_data(args.documents)
    print(f"Created {args.documents} documents in {time.perf_counter() - started:.1f} s")

    headers = {"HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(author).access_token}"}
    with override_settings(ROOT_URLCONF=__name__, DEBUG=False):
        client = Client()
        counts = {}
        for size in (20, 100):
            reset_queries()
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(f"/api/documents/?page_size={size}", **headers)
            assert response.status_code == 200, response.content[:300]
            assert len(response.json()["items"]) == min(size, args.documents)
            counts[size] = len(ctx.captured_queries)
        print()
        print("SQL queries for GET /api/documents/")
        for size, count in counts.items():
            print(f"  page_size={size:<4} {count} queries")
        constant = counts[20] == counts[100]
        print(f"  constant in page size: {'yes' if constant else 'NO'}")

        print()
        print(f"Throughput (in-process WSGI, single thread, {args.seconds:.0f} s each, SQLite, DEBUG off)")
        list_rps, list_n = rate(client, "/api/documents/?page_size=20", args.seconds, headers)
        bare_rps, bare_n = rate(client, "/bench/bare", args.seconds, headers)
        print(f"  GET /api/documents/?page_size=20  {list_rps:8.1f} req/s  ({list_n} requests)")
        print(f"  GET bare DRF endpoint             {bare_rps:8.1f} req/s  ({bare_n} requests)")
        print(f"  document list costs {bare_rps / list_rps:.1f}× the bare endpoint's time per request")
    print(f"\nsettings: DATABASE={settings.DATABASES['default']['ENGINE']}")
    return 0 if constant else 1


if __name__ == "__main__":
    sys.exit(main())
