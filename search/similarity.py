"""Records similar to a text or to another record, and a weighted k-nearest-neighbour vote over
their labels: the machinery behind "similar deviations" and "suggest a severity from history".

    similar_records(resource_type="deviation", user=request.user, text="Batch contaminated ...", limit=10)
    knn_vote(resource_type="deviation", text=description,
             labels=lambda ids: dict(Deviation.objects.filter(pk__in=ids, status="closed").values_list("pk", "severity")),
             eligible=Q(resource_id__in=Deviation.objects.filter(status="closed").values("pk")))

Both use the semantic index of the record type (its chunks' vectors in Chroma) and the type's own
visibility (`user` None: the system's view, every record).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q

from qms import searchables as registry
from qms.searchables import HitInfo, SearchFilters

from .embedding import embed
from .models import SearchChunk
from .selectors import Visibility, nearest_records


@dataclass
class Neighbour:
    resource_id: int
    similarity: float  # cosine similarity of the best-matching chunk, -1..1
    info: HitInfo | None = None


@dataclass
class Vote:
    label: str | None
    confidence: float  # weight share of the winning label, 0..1 (0 without neighbours)
    weights: dict[str, float] = field(default_factory=dict)
    neighbours: list[tuple[Neighbour, str]] = field(default_factory=list)


def record_text(resource_type: str, resource_id: int) -> str:
    """The text that stands for a record: its type's `summary`, else its first indexed chunk."""
    itype = registry.get(resource_type)
    record = itype.model._default_manager.filter(pk=resource_id).first()
    if record is not None and itype.summary is not None:
        text = itype.summary(record)
        if text.strip():
            return text
    first = (
        SearchChunk.objects.filter(resource_type=resource_type, resource_id=resource_id)
        .order_by("variant", "position")
        .values_list("text", flat=True)
        .first()
    )
    return first or ""


def similar_records(
    *,
    resource_type: str,
    user=None,
    text: str | None = None,
    resource_id: int | None = None,
    limit: int = 10,
    filters: SearchFilters | None = None,
    eligible: Q | None = None,
    min_similarity: float = 0.0,
) -> list[Neighbour]:
    """Up to `limit` records of the type most similar to `text` (or to record `resource_id`, which
    is left out), best first, among those `user` may see (and `eligible`, a condition on chunks).
    Raises VectorStoreUnavailable / EmbeddingUnavailable when semantic search is down."""
    itype = registry.get(resource_type)
    if text is None:
        if resource_id is None:
            raise ValueError("Give a text or a resource_id.")
        text = record_text(resource_type, resource_id)
    if not (text or "").strip():
        return []
    vector = embed([text])[0]
    visibility = Visibility(user, itype, filters or SearchFilters(), extra=eligible)
    exclude = {resource_id} if resource_id is not None else set()
    found = nearest_records(itype, vector, visibility, want=limit, min_similarity=min_similarity, exclude_ids=exclude)
    ranked = sorted(found.values(), key=lambda c: -c.score)
    infos = itype.describe(user, [(c.resource_id, c.variant) for c in ranked]) if ranked else {}
    return [Neighbour(c.resource_id, round(c.score, 6), infos.get((c.resource_id, c.variant))) for c in ranked]


def knn_vote(
    *,
    resource_type: str,
    text: str,
    labels: Callable[[list[int]], dict[int, str]],
    k: int = 10,
    eligible: Q | None = None,
    power: float = 2.0,
    min_similarity: float = 0.2,
    exclude_id: int | None = None,
) -> Vote:
    """A weighted vote of the `k` most similar labelled records: each neighbour votes for its label
    with weight similarity**power (closer neighbours count more). `labels(ids)` returns the label of
    each id that has one (others do not vote). The confidence is the winning label's share of the
    total weight; how it maps to a probability is for the caller to calibrate on its data. Record
    `exclude_id` does not vote (leave-one-out calibration)."""
    neighbours = similar_records(
        resource_type=resource_type,
        text=text,
        resource_id=exclude_id,
        limit=k * 2,
        eligible=eligible,
        min_similarity=min_similarity,
    )
    labelled = labels([n.resource_id for n in neighbours]) if neighbours else {}
    voters = [(n, labelled[n.resource_id]) for n in neighbours if n.resource_id in labelled][:k]
    weights: dict[str, float] = {}
    for neighbour, label in voters:
        weights[label] = weights.get(label, 0.0) + max(neighbour.similarity, 0.0) ** power
    total = sum(weights.values())
    if not total:
        return Vote(label=None, confidence=0.0, weights=weights, neighbours=voters)
    label = max(weights, key=lambda name: (weights[name], name))
    return Vote(label=label, confidence=round(weights[label] / total, 4), weights=weights, neighbours=voters)
