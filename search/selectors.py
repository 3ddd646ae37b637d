"""Hybrid, permission-aware search over every registered record type.

For each type the caller may search, the chunks they may see are a SQL condition (the type's
`visible_chunks`, built on its own permission-aware selector, plus the request's filters):

- semantic: the query is embedded and Chroma (one collection per type, no metadata filter) returns
  the nearest chunks; they are kept only if they are among the visible ones (one indexed SQL
  lookup by key). When too few survive, the search over-fetches, and when the visible set is small
  it asks Chroma for the nearest among exactly those chunk ids. Chroma's `where` filter is never
  used: it is an order of magnitude slower at 100k chunks (bench/search.py);
- keyword: PostgreSQL full-text search on a GIN-indexed tsvector (ranked by ts_rank_cd), or on
  other databases a scan for the query words (ranked by term frequency);
- the two rankings are fused per record by reciprocal rank fusion (k = 60).

A record the caller may not view never becomes a candidate, so it is neither listed nor counted.
When Chroma (or the embedding backend) is unreachable the keyword results come back alone with
`semantic = False`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import F, Q, QuerySet

from qms import searchables as registry
from qms.permissions import has, require
from qms.searchables import SearchFilters

from . import snippets, vectorstore
from .embedding import EmbeddingUnavailable, embed
from .models import SearchChunk

logger = logging.getLogger("qms.search")

RRF_K = 60
# Records taken from each path per type before fusion (the deepest page a search can reach).
CANDIDATES = 100
SEMANTIC_CANDIDATES = 50
# Semantic hits below this cosine similarity are noise for all-MiniLM-L6-v2.
MIN_SIMILARITY = 0.2
# Ask Chroma for the nearest among explicit ids when at most this many chunks are visible.
PREFILTER_MAX = 10_000
MAX_FETCH = 5_000
SQLITE_SCAN = 3_000
KEYWORD_RANK_MAX = 500
KEYWORD_ENOUGH = 20


@dataclass
class Hit:
    resource_type: str
    id: int
    number: str
    title: str
    status: str
    version: str | None
    score: float
    snippet: str
    page: int | None
    url: str
    category: str = ""
    matched: list[str] = field(default_factory=list)  # "semantic", "keyword"


@dataclass
class SearchResult:
    query: str
    items: list[Hit]
    total: int
    page: int
    page_size: int
    semantic: bool

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.page_size) if self.total else 0


@dataclass
class _Candidate:
    resource_type: str
    resource_id: int
    variant: int
    chunk_id: int
    score: float


def searchable_types(user, types: list[str] | None, filters: SearchFilters) -> list[registry.IndexableType]:
    used = {name for name in ("category", "status", "document_type", "date_from", "date_to") if getattr(filters, name)}
    out = []
    for itype in registry.all_types():
        if types and itype.name not in types:
            continue
        if not any(has(user, codename) for codename in itype.permissions) or not used <= set(itype.filters):
            continue
        out.append(itype)
    return out


@dataclass
class Visibility:
    """The chunks of one record type that `user` may see under `filters` (optionally only of some
    records). `chunks(among=...)` narrows the type's condition to a few records first, so checking a
    handful of candidates never evaluates the condition over the whole table."""

    user: object
    itype: registry.IndexableType
    filters: SearchFilters = field(default_factory=SearchFilters)
    resource_ids: list[int] | None = None
    # A further condition on the chunks, e.g. only records that have a label (similarity helpers).
    extra: Q | None = None

    def chunks(self, among: set[int] | list[int] | None = None) -> QuerySet[SearchChunk]:
        ids = self.resource_ids
        if among is not None:
            ids = [i for i in among if ids is None or i in ids]
        qs = SearchChunk.objects.filter(resource_type=self.itype.name)
        if ids is not None:
            qs = qs.filter(resource_id__in=ids)
        if self.extra is not None:
            qs = qs.filter(self.extra)
        return qs.filter(self.itype.visible_chunks(self.user, self.filters, ids))


def visible_chunks(user, itype: registry.IndexableType, filters: SearchFilters) -> QuerySet[SearchChunk]:
    return Visibility(user, itype, filters).chunks()


def search(
    *, user, query: str, types: list[str] | None = None, filters: SearchFilters | None = None, page: int = 1, page_size: int = 20
) -> SearchResult:
    require(user, "search.use")
    filters = filters or SearchFilters()
    query = " ".join((query or "").split())
    query_terms = snippets.terms(query)
    semantic_ok = True
    semantic: list[_Candidate] = []
    keyword: list[_Candidate] = []
    kinds = searchable_types(user, types, filters)
    vector = None
    try:
        vector = embed([query])[0] if kinds else None
    except EmbeddingUnavailable as exc:
        logger.warning("Semantic search off: %s", exc)
        semantic_ok = False
    for itype in kinds:
        visibility = Visibility(user, itype, filters)
        if vector is not None and semantic_ok:
            try:
                semantic.extend(nearest_records(itype, vector, visibility, want=SEMANTIC_CANDIDATES).values())
            except vectorstore.VectorStoreUnavailable as exc:
                logger.warning("Semantic search off: %s", exc)
                semantic_ok = False
        keyword.extend(keyword_records(itype, query_terms, visibility.chunks(), want=CANDIDATES).values())
    fused = fuse(semantic, keyword)
    total = len(fused)
    start = (page - 1) * page_size
    items = build_hits(user, fused[start : start + page_size], query_terms)
    return SearchResult(query=query, items=items, total=total, page=page, page_size=page_size, semantic=semantic_ok)


# --- semantic ---------------------------------------------------------------------------------------


def nearest_records(
    itype: registry.IndexableType,
    vector,
    visibility: Visibility,
    *,
    want: int,
    min_similarity: float = MIN_SIMILARITY,
    exclude_ids: set[int] | frozenset = frozenset(),
) -> dict[int, _Candidate]:
    """The best chunk of up to `want` visible records nearest to `vector`, by record id.

    With filters (or named records), when at most PREFILTER_MAX chunks are visible Chroma ranks
    exactly those ids. Otherwise the nearest chunks of the whole collection are fetched and kept
    when visible (checked in SQL for just those records); when too few survive, the same exact
    ranking is tried, else the search fetches deeper (up to MAX_FETCH)."""
    best: dict[int, _Candidate] = {}
    seen_keys: set[str] = set()
    if visibility.filters.any or visibility.resource_ids is not None:
        # A filtered search usually sees a small part of the index: rank exactly those chunks when
        # they are few, without a first pass over the nearest chunks of the whole collection.
        keys = list(visibility.chunks().filter(embedded=True).values_list("key", flat=True)[: PREFILTER_MAX + 1])
        if len(keys) <= PREFILTER_MAX:
            pairs = vectorstore.query(itype.name, vector, want * 3, keys=keys) if keys else []
            _keep(visibility, pairs, seen_keys, best, min_similarity, exclude_ids, checked=True)
            return _best(best, want)
    n = want * 3
    while True:
        pairs = vectorstore.query(itype.name, vector, n)
        _keep(visibility, pairs, seen_keys, best, min_similarity, exclude_ids)
        exhausted = len(pairs) < n or (pairs and pairs[-1][1] < min_similarity)
        if len(best) >= want or exhausted:
            break
        keys = list(visibility.chunks().filter(embedded=True).values_list("key", flat=True)[: PREFILTER_MAX + 1])
        if len(keys) <= PREFILTER_MAX:
            pairs = vectorstore.query(itype.name, vector, want * 3, keys=keys) if keys else []
            _keep(visibility, pairs, seen_keys, best, min_similarity, exclude_ids, checked=True)
            break
        if n >= MAX_FETCH:
            break
        n = min(n * 5, MAX_FETCH)
    return _best(best, want)


def _best(best: dict[int, _Candidate], want: int) -> dict[int, _Candidate]:
    ranked = sorted(best.values(), key=lambda c: -c.score)[:want]
    return {c.resource_id: c for c in ranked}


def _keep(visibility, pairs, seen_keys, best, min_similarity, exclude_ids, checked=False) -> None:
    fresh = {key: score for key, score in pairs if key not in seen_keys and score >= min_similarity}
    seen_keys.update(key for key, _ in pairs)
    if not fresh:
        return
    rows = SearchChunk.objects.filter(key__in=list(fresh)).values_list("id", "key", "resource_id", "variant")
    rows = [r for r in rows if r[2] not in exclude_ids]
    if not checked and rows:
        visible = set(visibility.chunks(among={r[2] for r in rows}).filter(key__in=list(fresh)).values_list("id", flat=True))
        rows = [r for r in rows if r[0] in visible]
    for chunk_id, key, resource_id, variant in rows:
        score = fresh[key]
        current = best.get(resource_id)
        if current is None or score > current.score:
            best[resource_id] = _Candidate(visibility.itype.name, resource_id, variant, chunk_id, score)


# --- keyword ----------------------------------------------------------------------------------------


def keyword_records(
    itype: registry.IndexableType, query_terms: list[str], allowed: QuerySet[SearchChunk], *, want: int
) -> dict[int, _Candidate]:
    if not query_terms:
        return {}
    if connection.vendor == "postgresql":
        rows = _postgres_keyword(query_terms, allowed, want)
    else:
        rows = _scan_keyword(query_terms, allowed)
    best: dict[int, _Candidate] = {}
    for chunk_id, resource_id, variant, score in rows:
        current = best.get(resource_id)
        if current is None or score > current.score:
            best[resource_id] = _Candidate(itype.name, resource_id, variant, chunk_id, score)
    ranked = sorted(best.values(), key=lambda c: -c.score)[:want]
    return {c.resource_id: c for c in ranked}


def _postgres_keyword(query_terms: list[str], allowed: QuerySet[SearchChunk], limit: int):
    """Chunks matching all the words first, then any of them, ranked by ts_rank. Ranking is
    bounded: at most KEYWORD_RANK_MAX matching chunks are ranked per pass (common words can match
    most of the index; ranking is the expensive part), so a query costs about the same on 10k or
    10M chunks; which of a very common word's matches get ranked is then arbitrary."""
    from django.contrib.postgres.search import SearchQuery, SearchRank

    rows: list = []
    seen: set[int] = set()
    operators = ("&", "|") if len(query_terms) > 1 else ("|",)
    for operator in operators:
        # Words are letters and digits only (snippets.terms), so the raw tsquery needs no escaping.
        tsquery = SearchQuery(f" {operator} ".join(query_terms), search_type="raw", config="english")
        matching = allowed.filter(search_vector=tsquery).values("id")[:KEYWORD_RANK_MAX]
        ranked = (
            SearchChunk.objects.filter(id__in=matching)
            .annotate(rank=SearchRank(F("search_vector"), tsquery))  # F(): the stored vector, not re-parsed
            .order_by("-rank", "id")
            .values_list("id", "resource_id", "variant", "rank")[:limit]
        )
        # All-word matches rank above any-word matches.
        boost = 1.0 if operator == "&" else 0.0
        for chunk_id, resource_id, variant, rank in ranked:
            if chunk_id not in seen:
                seen.add(chunk_id)
                rows.append((chunk_id, resource_id, variant, rank + boost))
        if len(rows) >= min(limit, KEYWORD_ENOUGH):
            break  # enough chunks have every word: any-word matches would rank below them anyway
    return rows


def _scan_keyword(query_terms: list[str], allowed: QuerySet[SearchChunk]):
    condition = Q()
    for term in query_terms:
        condition |= Q(text__icontains=snippets.stem(term))
    out = []
    for chunk_id, resource_id, variant, text in allowed.filter(condition).values_list("id", "resource_id", "variant", "text")[
        :SQLITE_SCAN
    ]:
        counts = snippets.count_matches(text, query_terms)
        matched = [c for c in counts.values() if c]
        if matched:
            out.append((chunk_id, resource_id, variant, len(matched) + sum(math.log1p(c) for c in matched) / 10))
    return out


# --- fusion and hits ----------------------------------------------------------------------------------


@dataclass
class _Fused:
    resource_type: str
    resource_id: int
    score: float = 0.0
    semantic: _Candidate | None = None
    keyword: _Candidate | None = None


def fuse(semantic: list[_Candidate], keyword: list[_Candidate]) -> list[_Fused]:
    """Reciprocal rank fusion of the two rankings (each sorted by its own score), per record."""
    fused: dict[tuple[str, int], _Fused] = {}
    for path, candidates in (("semantic", semantic), ("keyword", keyword)):
        for rank, candidate in enumerate(sorted(candidates, key=lambda c: -c.score), start=1):
            key = (candidate.resource_type, candidate.resource_id)
            entry = fused.setdefault(key, _Fused(*key))
            entry.score += 1.0 / (RRF_K + rank)
            setattr(entry, path, candidate)
    return sorted(fused.values(), key=lambda f: (-f.score, f.resource_type, f.resource_id))


def build_hits(user, fused: list[_Fused], query_terms: list[str]) -> list[Hit]:
    chosen = {id(f): (f.keyword or f.semantic) for f in fused}
    chunks = SearchChunk.objects.in_bulk([c.chunk_id for c in chosen.values()])
    infos: dict[str, dict] = {}
    for name in {f.resource_type for f in fused}:
        pairs = [(chosen[id(f)].resource_id, chosen[id(f)].variant) for f in fused if f.resource_type == name]
        infos[name] = registry.get(name).describe(user, pairs)
    hits = []
    for f in fused:
        candidate = chosen[id(f)]
        info = infos[f.resource_type].get((candidate.resource_id, candidate.variant))
        chunk = chunks.get(candidate.chunk_id)
        if info is None or chunk is None:
            continue  # changed since the candidates were read; never shown half
        hits.append(
            Hit(
                resource_type=f.resource_type,
                id=f.resource_id,
                number=info.number,
                title=info.title,
                status=info.status,
                version=info.version,
                score=round(f.score, 6),
                snippet=snippets.snippet(chunk.text, query_terms),
                page=chunk.page,
                url=info.url,
                category=info.category,
                matched=[p for p in ("semantic", "keyword") if getattr(f, p) is not None],
            )
        )
    return hits


def status(*, resource_type: str | None = None) -> list[dict]:
    """Index counts and lag per record type (manage.py search_status, GET /api/search/status)."""
    from django.db.models import Count, Min
    from django.utils import timezone

    from .models import IndexedRecord, IndexStatus

    rows = []
    now = timezone.now()
    for itype in registry.all_types():
        if resource_type and itype.name != resource_type:
            continue
        states = dict(
            IndexedRecord.objects.filter(resource_type=itype.name).values_list("status").annotate(n=Count("id")).order_by()
        )
        oldest = (
            IndexedRecord.objects.filter(resource_type=itype.name)
            .exclude(status=IndexStatus.INDEXED)
            .aggregate(oldest=Min("requested_at"))["oldest"]
        )
        try:
            vectors = vectorstore.count(itype.name)
        except vectorstore.VectorStoreUnavailable:
            vectors = None
        rows.append(
            {
                "type": itype.name,
                "records": itype.indexable(None).count() if itype.indexable else None,
                "indexed": states.get(IndexStatus.INDEXED, 0),
                "pending": states.get(IndexStatus.PENDING, 0),
                "failed": states.get(IndexStatus.FAILED, 0),
                "chunks": SearchChunk.objects.filter(resource_type=itype.name).count(),
                "vectors": vectors,
                "lag_seconds": round((now - oldest).total_seconds(), 1) if oldest else 0.0,
                "embedding_model": settings.EMBEDDING_MODEL_NAME
                if settings.EMBEDDING_BACKEND == "local"
                else settings.OPENAI_EMBEDDING_MODEL,
            }
        )
    return rows


# --- passages for retrieval-augmented answers ---------------------------------------------------------


@dataclass
class Passage:
    resource_type: str
    resource_id: int
    number: str
    title: str
    version: str | None
    page: int | None
    text: str
    url: str


def passages(
    *, user, query: str, resource_type: str = "document", resource_ids: list[int] | None = None, limit: int = 6
) -> list[Passage]:
    """The chunks most relevant to `query` that `user` may read (of the given records only, when
    named), best first: semantic and keyword chunk rankings fused like `search`. Without any match,
    the first chunks of the named records."""
    if resource_ids is None:
        require(user, "search.use")
    itype = registry.get(resource_type)
    allowed = Visibility(user, itype, SearchFilters(), resource_ids).chunks()
    query_terms = snippets.terms(query)
    ranked: dict[int, float] = {}
    try:
        vector = embed([query])[0]
        if resource_ids is not None:
            keys = list(allowed.filter(embedded=True).values_list("key", flat=True)[:PREFILTER_MAX])
            pairs = vectorstore.query(itype.name, vector, limit * 3, keys=keys) if keys else []
        else:
            pairs = vectorstore.query(itype.name, vector, limit * 3)
        by_key = dict(allowed.filter(key__in=[k for k, s in pairs if s >= MIN_SIMILARITY]).values_list("key", "id"))
        for rank, (key, _) in enumerate([p for p in pairs if p[0] in by_key], start=1):
            ranked[by_key[key]] = ranked.get(by_key[key], 0.0) + 1.0 / (RRF_K + rank)
    except (vectorstore.VectorStoreUnavailable, EmbeddingUnavailable) as exc:
        logger.warning("Passages without semantic ranking: %s", exc)
    if query_terms:
        rows = (
            _postgres_keyword(query_terms, allowed, limit * 3)
            if connection.vendor == "postgresql"
            else _scan_keyword(query_terms, allowed)
        )
        for rank, row in enumerate(sorted(rows, key=lambda r: -r[3]), start=1):
            ranked[row[0]] = ranked.get(row[0], 0.0) + 1.0 / (RRF_K + rank)
    chunk_ids = [cid for cid, _ in sorted(ranked.items(), key=lambda item: -item[1])[:limit]]
    if not chunk_ids and resource_ids:
        chunk_ids = list(allowed.order_by("resource_id", "variant", "position").values_list("id", flat=True)[:limit])
    chunks = SearchChunk.objects.in_bulk(chunk_ids)
    infos = itype.describe(user, [(chunks[c].resource_id, chunks[c].variant) for c in chunk_ids if c in chunks])
    out = []
    for chunk_id in chunk_ids:
        chunk = chunks.get(chunk_id)
        info = infos.get((chunk.resource_id, chunk.variant)) if chunk else None
        if info is None:
            continue
        out.append(
            Passage(
                resource_type=itype.name,
                resource_id=chunk.resource_id,
                number=info.number,
                title=info.title,
                version=info.version,
                page=chunk.page,
                text=chunk.text,
                url=info.url,
            )
        )
    return out
