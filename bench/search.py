"""Benchmark of search at 100k chunks: the search service with and without filters, GET /api/search/
end to end with a JWT, and Chroma's own `where`-filtered query on the same vectors.

Data: 10,000 documents of 10 chunks each (100,000 chunks), half of them effective (what a User may
see), in 20 categories. Chunk vectors: 1,000 distinct passages embedded with the real model, and
the rest near-copies of them (the passage's vector plus noise), so Chroma holds 100k realistic
384-d vectors without embedding 100k texts. Queries are embedded with the real model.

Prints p50/p95 (ms) over --queries queries for:
  semantic  nearest visible records (the service's semantic path), QA user, no filter
  semantic  the same for a User (effective versions only) with a category filter (~2.5 % of chunks)
  hybrid    selectors.search (semantic + keyword + fusion + hits), without and with those filters
  API       GET /api/search/?q=... with a JWT (in-process WSGI), without and with filters
  chroma    collection.query(where={"category": ...}) on the same data (Chroma's own filter path)
Goals: filtered semantic p95 < 50 ms; API p95 < 150 ms.

    .venv/bin/python bench/search.py [--chunks 100000] [--queries 50]
Uses a temporary SQLite database unless DATABASE_URL is set (PostgreSQL: the GIN-indexed keyword
path of production; give it a database of its own and --reset-database); the embedded Chroma lives
in a temporary folder.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORKDIR = tempfile.mkdtemp(prefix="qms-bench-search-")
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "qms.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-0123456789abcdef0123456789abcdef",
        "AUDIT_HMAC_KEY": "bench-only-audit-key-0123456789abcdef0123456789",
        "MEDIA_ROOT": f"{WORKDIR}/media",
        "CHROMA_PATH": f"{WORKDIR}/chroma",
        "CHROMA_URL": "",
        "THROTTLE_USER_RATE": "100000000/min",
        "SECURE_SSL_REDIRECT": "false",  # the in-process client speaks plain HTTP
        "LOG_LEVEL": "WARNING",
    }
)
for name in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
    os.environ.pop(name, None)  # tasks run in-process
os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORKDIR}/bench.sqlite3")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from rest_framework_simplejwt.tokens import RefreshToken  # noqa: E402

WORDS = (
    "batch contamination filling line cleaning validation deviation operator sanitise nozzle conductivity rinse label "
    "carton leaflet packaging clearance expiry coder record signature approval review quality manual procedure scope "
    "purpose responsibilities temperature humidity particle count environmental monitoring aseptic gowning hairnet "
    "gloves isopropyl alcohol detergent purified water equipment calibration supplier audit complaint stability "
    "warehouse pest control change request training induction sampling endotoxin"
).split()
QUERIES = [
    "rinse conductivity after cleaning",
    "gowning in the aseptic area",
    "calibration of equipment",
    "supplier audit findings",
    "stability humidity temperature",
    "batch record review",
    "pest control in the warehouse",
    "training of operators",
    "environmental monitoring particle count",
    "label and leaflet line clearance",
]
CATEGORIES = [f"Area {i:02d}" for i in range(20)]
DOCS_PER_CHUNKS = 10


def sentence(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def build(chunks: int):
    from accounts.models import Role, User
    from documents import services as documents
    from documents.models import Document, DocumentType, DocumentVersion
    from search import vectorstore
    from search.embedding import embed
    from search.models import IndexedRecord, SearchChunk
    from search.services import _update_search_vectors

    rng = random.Random(11)
    qa = User.objects.create_user("bench-qa", "qa@example.com", "Bench-Pass-123", role=Role.objects.get(name="QA"))
    reader = User.objects.create_user("bench-user", "user@example.com", "Bench-Pass-123", role=Role.objects.get(name="User"))
    sop = DocumentType.objects.get(code="SOP")
    seed = documents.upload_document(actor=qa, file=ContentFile(b"seed", name="seed.md"), title="Seed", document_type=sop)
    instance = seed.workflow_instance
    n_docs = chunks // DOCS_PER_CHUNKS
    docs = Document.objects.bulk_create(
        [
            Document(
                number=f"BENCH-{i:06d}",
                title=sentence(rng, 5),
                document_type=sop,
                category=CATEGORIES[i % len(CATEGORIES)],
                owner=qa,
                status="effective" if i % 2 == 0 else "draft",
                created_by=qa,
            )
            for i in range(n_docs)
        ],
        batch_size=2000,
    )
    versions = DocumentVersion.objects.bulk_create(
        [
            DocumentVersion(
                document=d,
                version="1.0",
                major=1,
                minor=0,
                file=f"bench/{d.number}.md",
                original_filename="x.md",
                file_size=1,
                sha256="0" * 64,
                mime_type="text/markdown",
                status=d.status,
                workflow_instance=instance,
                created_by=qa,
            )
            for d in docs
        ],
        batch_size=2000,
    )
    for d, v in zip(docs, versions, strict=True):
        d.current_version = v
        d.effective_version = v if d.status == "effective" else None
    Document.objects.bulk_update(docs, ["current_version", "effective_version"], batch_size=2000)

    base_texts = [sentence(rng, rng.randint(15, 30)) for _ in range(1000)]
    started = time.perf_counter()
    base_vectors = embed(base_texts)
    print(f"  embedded {len(base_texts)} distinct passages in {time.perf_counter() - started:.1f} s")
    rows, vectors, metas = [], [], []
    noise = np.random.default_rng(5)
    for i, (d, v) in enumerate(zip(docs, versions, strict=True)):
        for position in range(DOCS_PER_CHUNKS):
            b = (i * DOCS_PER_CHUNKS + position) % len(base_texts)
            key = f"document:{d.pk}:{v.pk}:{position}"
            rows.append(
                SearchChunk(
                    resource_type="document",
                    resource_id=d.pk,
                    variant=v.pk,
                    position=position,
                    key=key,
                    text=base_texts[b],
                    page=position + 1,
                    content_hash="bench",
                    embedded=True,
                )
            )
            vec = base_vectors[b] + noise.normal(0, 0.02, base_vectors.shape[1]).astype(np.float32)
            vectors.append(vec / np.linalg.norm(vec))
            metas.append({"resource_id": d.pk, "variant": v.pk, "category": d.category})
    SearchChunk.objects.bulk_create(rows, batch_size=5000)
    if connection.vendor == "postgresql":
        _update_search_vectors([r.key for r in rows])
    IndexedRecord.objects.bulk_create(
        [IndexedRecord(resource_type="document", resource_id=d.pk, status="indexed", requested_at=d.created_at) for d in docs],
        batch_size=5000,
    )
    started = time.perf_counter()
    vectors = np.array(vectors, dtype=np.float32)
    for start in range(0, len(rows), 5000):
        vectorstore.upsert(
            "document", [r.key for r in rows[start : start + 5000]], vectors[start : start + 5000], metas[start : start + 5000]
        )
    print(f"  {len(rows)} chunks in SQL and Chroma ({time.perf_counter() - started:.1f} s to load Chroma)")
    return qa, reader


def timed(fn, runs):
    times = []
    for i in range(runs):
        started = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def line(label, figures, goal=""):
    p50, p95 = figures
    print(f"  {label:<62} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms{('   ' + goal) if goal else ''}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument(
        "--reset-database",
        action="store_true",
        help="PostgreSQL: drop and recreate the public schema of DATABASE_URL first (a database of its own!)",
    )
    args = parser.parse_args()
    if args.reset_database and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")

    from qms import searchables as registry
    from qms.searchables import SearchFilters
    from search import selectors, vectorstore
    from search.embedding import embed

    setup_test_environment()
    load = os.getloadavg()[0]
    print(f"Database: {connection.vendor}; temporary files in {WORKDIR}; load average {load:.1f} on {os.cpu_count()} cores")
    call_command("migrate", verbosity=0)
    qa, reader = build(args.chunks)
    itype = registry.get("document")
    query_vectors = embed(QUERIES)
    n = args.queries
    category = SearchFilters(category=CATEGORIES[4])

    def semantic(user, filters):
        def run(i):
            visibility = selectors.Visibility(user, itype, filters)
            found = selectors.nearest_records(itype, query_vectors[i % len(QUERIES)], visibility, want=20)
            assert found, "no semantic hits"

        return run

    print(f"\nSearch service over {args.chunks} chunks ({n} queries each)")
    timed(semantic(qa, SearchFilters()), 5)  # warm-up
    line("semantic, QA, no filter (top 20 records)", timed(semantic(qa, SearchFilters()), n))
    line(
        "semantic, User (effective only) + category filter (top 20)",
        timed(semantic(reader, category), n),
        "goal p95 < 50 ms",
    )
    line(
        "hybrid selectors.search, QA, no filter",
        timed(lambda i: selectors.search(user=qa, query=QUERIES[i % len(QUERIES)]), n),
    )
    line(
        "hybrid selectors.search, User + category filter",
        timed(lambda i: selectors.search(user=reader, query=QUERIES[i % len(QUERIES)], filters=category), n),
    )

    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(reader).access_token}"}

    def api(params):
        def run(i):
            response = client.get("/api/search/", {"q": QUERIES[i % len(QUERIES)], **params}, **headers)
            assert response.status_code == 200, response.content[:300]

        return run

    print("\nGET /api/search/ end to end (JWT, in-process WSGI), as a User")
    timed(api({}), 3)
    line("no filter", timed(api({}), n), "goal p95 < 150 ms")
    line("category filter", timed(api({"category": CATEGORIES[4]}), n), "goal p95 < 150 ms")

    collection = vectorstore._collection("document")

    def chroma_where(i):
        collection.query(query_embeddings=[query_vectors[i % len(QUERIES)]], n_results=60, where={"category": CATEGORIES[4]})

    def chroma_plain(i):
        collection.query(query_embeddings=[query_vectors[i % len(QUERIES)]], n_results=60)

    print("\nChroma alone on the same collection (top 60 chunks)")
    line("query without filter", timed(chroma_plain, n))
    line('query with where={"category": ...} (Chroma\'s filter path)', timed(chroma_where, n))
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} (other processes on the machine inflate the figures)")


if __name__ == "__main__":
    main()
