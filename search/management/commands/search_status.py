"""Show the state of the search index per record type: records, indexed, pending, failed, chunks,
vectors in the store, and lag (age of the oldest record waiting to be indexed)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from search import selectors, vectorstore


class Command(BaseCommand):
    help = "Search index counts and lag per record type, and where the vector store is."

    def add_arguments(self, parser):
        parser.add_argument("--type", help="One record type")

    def handle(self, *args, type=None, **options):
        mode = "server" if settings.CHROMA_URL else "embedded"
        reachable = vectorstore.heartbeat()
        self.stdout.write(
            f"Vector store: Chroma {mode} at {vectorstore.where()} ({'reachable' if reachable else 'UNREACHABLE'}); "
            f"embeddings: {settings.EMBEDDING_BACKEND}"
        )
        header = (
            f"{'type':<12} {'records':>8} {'indexed':>8} {'pending':>8} {'failed':>7} {'chunks':>8} {'vectors':>8} {'lag (s)':>9}"
        )
        self.stdout.write(header)
        for row in selectors.status(resource_type=type):
            vectors = "?" if row["vectors"] is None else row["vectors"]
            records = "-" if row["records"] is None else row["records"]
            self.stdout.write(
                f"{row['type']:<12} {records:>8} {row['indexed']:>8} {row['pending']:>8} {row['failed']:>7} "
                f"{row['chunks']:>8} {vectors:>8} {row['lag_seconds']:>9}"
            )
