"""Writes to the search index: index one record, remove one record, sweep what is pending.

Idempotent: indexing a record again replaces its chunks (same keys, unchanged chunks are not
embedded again), so a retried or duplicated task never duplicates anything. The SQL side (keyword
index, IndexedRecord) is written in one transaction; vectors go to Chroma afterwards. When Chroma
or the embedding backend is down, the record stays `pending` (keyword search already finds it)
and the error is raised so the task is retried; `index_pending` sweeps whatever is left.

The index holds derived data only (it can be rebuilt at any time with `manage.py reindex`), so
its writes are not audited; the records it describes are.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from qms import searchables as registry

from . import chunking, vectorstore
from .embedding import EmbeddingUnavailable, embed
from .models import IndexedRecord, IndexStatus, SearchChunk

logger = logging.getLogger("qms.search")


@dataclass
class IndexOutcome:
    resource_type: str
    resource_id: int
    status: str  # indexed | removed | pending
    chunks: int = 0
    embedded: int = 0


def embedding_model_name() -> str:
    if settings.EMBEDDING_BACKEND == "openai":
        return f"openai:{settings.OPENAI_EMBEDDING_MODEL}"
    return settings.EMBEDDING_MODEL_NAME


def chunks_for(itype: registry.IndexableType, record) -> list[dict]:
    """The rows a record should have in the index, keyed `<type>:<id>:<variant>:<position>`."""
    rows: list[dict] = []
    positions: dict[int, int] = {}
    for piece in itype.pieces(record):
        for text, page in chunking.split(piece.text, paged=piece.paged, first_page=piece.page):
            position = positions.get(piece.variant, 0)
            positions[piece.variant] = position + 1
            rows.append(
                {
                    "key": f"{itype.name}:{record.pk}:{piece.variant}:{position}",
                    "variant": piece.variant,
                    "position": position,
                    "text": text,
                    "page": page,
                    "content_hash": hashlib.sha256(f"{page}\x00{text}".encode()).hexdigest(),
                }
            )
    return rows


def index_record(*, resource_type: str, resource_id: int) -> IndexOutcome:
    itype = registry.get(resource_type)
    record = itype.model._default_manager.filter(pk=resource_id).first()
    if record is None or not itype.include(record):
        return remove_record(resource_type=resource_type, resource_id=resource_id)
    wanted = chunks_for(itype, record)
    model_name = embedding_model_name()
    with transaction.atomic():
        state, _ = IndexedRecord.objects.select_for_update().get_or_create(
            resource_type=resource_type, resource_id=resource_id, defaults={"requested_at": timezone.now()}
        )
        existing = {
            c.key: c for c in SearchChunk.objects.filter(resource_type=resource_type, resource_id=resource_id).defer("text")
        }
        wanted_keys = {row["key"] for row in wanted}
        stale = [key for key in existing if key not in wanted_keys]
        SearchChunk.objects.filter(key__in=stale).delete()
        changed: list[str] = []
        for row in wanted:
            current = existing.get(row["key"])
            if current is not None and current.content_hash == row["content_hash"]:
                continue
            changed.append(row["key"])
            SearchChunk.objects.update_or_create(
                key=row["key"],
                defaults={**row, "resource_type": resource_type, "resource_id": resource_id, "embedded": False},
            )
        _update_search_vectors(changed)
        fully_embedded = state.status == IndexStatus.INDEXED and state.embedding_model == model_name
        to_embed = changed if fully_embedded else [row["key"] for row in wanted]
        state.status = IndexStatus.PENDING if (to_embed or stale) else IndexStatus.INDEXED
        state.chunk_count = len(wanted)
        state.error = ""
        state.save()
    try:
        embedded = _push_vectors(resource_type, resource_id, wanted, to_embed, stale)
    except (vectorstore.VectorStoreUnavailable, EmbeddingUnavailable) as exc:
        IndexedRecord.objects.filter(pk=state.pk).update(status=IndexStatus.PENDING, error=str(exc)[:2000])
        raise
    IndexedRecord.objects.filter(pk=state.pk).update(
        status=IndexStatus.INDEXED, embedding_model=model_name, indexed_at=timezone.now(), error=""
    )
    return IndexOutcome(resource_type, resource_id, "indexed", chunks=len(wanted), embedded=embedded)


def _push_vectors(resource_type: str, resource_id: int, wanted: list[dict], to_embed: list[str], stale: list[str]) -> int:
    if stale:
        vectorstore.delete(resource_type, stale)
    if not to_embed:
        return 0
    rows = {row["key"]: row for row in wanted}
    texts = [rows[key]["text"] for key in to_embed]
    vectors = embed(texts)
    metadatas = [{"resource_id": int(resource_id), "variant": int(rows[key]["variant"])} for key in to_embed]
    vectorstore.upsert(resource_type, to_embed, vectors, metadatas)
    SearchChunk.objects.filter(key__in=to_embed).update(embedded=True)
    return len(to_embed)


def _update_search_vectors(keys: list[str]) -> None:
    """PostgreSQL keeps a tsvector per chunk (GIN-indexed); other databases search the text itself."""
    if not keys or connection.vendor != "postgresql":
        return
    from django.contrib.postgres.search import SearchVector

    SearchChunk.objects.filter(key__in=keys).update(search_vector=SearchVector("text", config="english"))


def remove_record(*, resource_type: str, resource_id: int) -> IndexOutcome:
    """Takes a record out of the index (deleted, or no longer indexable)."""
    with transaction.atomic():
        SearchChunk.objects.filter(resource_type=resource_type, resource_id=resource_id).delete()
        state = IndexedRecord.objects.select_for_update().filter(resource_type=resource_type, resource_id=resource_id).first()
        if state is not None:
            state.status, state.chunk_count = IndexStatus.PENDING, 0
            state.save(update_fields=["status", "chunk_count"])
    try:
        vectorstore.delete_record(resource_type, resource_id)
    except vectorstore.VectorStoreUnavailable as exc:
        if state is not None:
            IndexedRecord.objects.filter(pk=state.pk).update(error=str(exc)[:2000])
        raise
    IndexedRecord.objects.filter(resource_type=resource_type, resource_id=resource_id).delete()
    return IndexOutcome(resource_type, resource_id, "removed")


def index_pending(*, limit: int = 500) -> dict[str, int]:
    """Retries records left pending (Chroma was down, a task was lost); returns counts by outcome."""
    counts = {"indexed": 0, "removed": 0, "failed": 0}
    pending = IndexedRecord.objects.filter(status=IndexStatus.PENDING).order_by("requested_at")[:limit]
    for resource_type, resource_id in pending.values_list("resource_type", "resource_id"):
        try:
            outcome = index_record(resource_type=resource_type, resource_id=resource_id)
        except (vectorstore.VectorStoreUnavailable, EmbeddingUnavailable):
            counts["failed"] += 1
            break  # the store is down: the rest would fail the same way
        except LookupError:
            counts["failed"] += 1
            continue
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return counts
