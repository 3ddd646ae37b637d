"""Rebuild the search index: every record of every searchable type, or some of them.

    manage.py reindex                      # everything
    manage.py reindex --type document      # one type
    manage.py reindex --since 2025-01-01   # records changed since a date (or ISO date-time)
    manage.py reindex --pending            # only records waiting for the vector store
    manage.py reindex --rebuild            # drop the vector collections first (after changing the model)

Idempotent: records already indexed with unchanged text are not embedded again.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from tqdm import tqdm

from qms import searchables as registry
from search import services, vectorstore
from search.embedding import EmbeddingUnavailable
from search.models import IndexedRecord, IndexStatus, SearchChunk


class Command(BaseCommand):
    help = "(Re)index searchable records into the keyword index and the vector store, with a progress bar and a summary."

    def add_arguments(self, parser):
        parser.add_argument(
            "--type", action="append", dest="types", help=f"Record type ({', '.join(registry.names())}); repeatable"
        )
        parser.add_argument("--since", help="Only records changed since this date or date-time (ISO 8601, UTC)")
        parser.add_argument("--pending", action="store_true", help="Only records waiting for the vector store")
        parser.add_argument("--rebuild", action="store_true", help="Drop the vector collections and index everything again")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (logs, cron)")

    def handle(self, *args, types=None, since=None, pending=False, rebuild=False, no_progress=False, **options):
        try:
            kinds = [registry.get(name) for name in types] if types else list(registry.all_types())
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        since_at = self._since(since) if since else None
        if rebuild and (since_at or pending):
            raise CommandError("--rebuild indexes everything; it cannot be combined with --since or --pending.")
        summary = []
        for itype in kinds:
            if rebuild:
                try:
                    vectorstore.drop(itype.name)
                except vectorstore.VectorStoreUnavailable as exc:
                    raise CommandError(f"The vector store is unreachable ({vectorstore.where()}): {exc}") from exc
                SearchChunk.objects.filter(resource_type=itype.name).delete()
                IndexedRecord.objects.filter(resource_type=itype.name).delete()
            if pending:
                ids = list(
                    IndexedRecord.objects.filter(resource_type=itype.name, status=IndexStatus.PENDING).values_list(
                        "resource_id", flat=True
                    )
                )
            else:
                if itype.indexable is None:
                    continue
                ids = list(itype.indexable(since_at).values_list("pk", flat=True))
            counts = {"indexed": 0, "removed": 0, "pending": 0, "chunks": 0, "embedded": 0}
            for resource_id in tqdm(ids, desc=itype.name, unit="record", disable=no_progress, file=self.stderr):
                try:
                    outcome = services.index_record(resource_type=itype.name, resource_id=resource_id)
                except (vectorstore.VectorStoreUnavailable, EmbeddingUnavailable) as exc:
                    counts["pending"] += 1
                    self.stderr.write(f"{itype.name} {resource_id}: left pending ({exc})")
                    continue
                counts[outcome.status] += 1
                counts["chunks"] += outcome.chunks
                counts["embedded"] += outcome.embedded
            summary.append((itype.name, len(ids), counts))
        for name, total, counts in summary:
            self.stdout.write(
                f"{name}: {total} records: {counts['indexed']} indexed, {counts['removed']} removed, "
                f"{counts['pending']} left pending; {counts['chunks']} chunks, {counts['embedded']} embedded"
            )
        if any(counts["pending"] for _, _, counts in summary):
            raise CommandError("Some records could not reach the vector store; run reindex --pending once it is back.")

    @staticmethod
    def _since(raw: str) -> datetime.datetime:
        value = parse_datetime(raw)
        if value is None:
            day = parse_date(raw)
            if day is None:
                raise CommandError(f"--since {raw!r} is not a date (YYYY-MM-DD) or ISO date-time.")
            value = datetime.datetime.combine(day, datetime.time.min)
        return value if timezone.is_aware(value) else timezone.make_aware(value, datetime.UTC)
