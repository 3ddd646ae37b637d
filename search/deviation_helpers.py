"""The deviation helpers that need the search index: earlier deviations similar to a text or to a
deviation (GET /api/deviations/similar), and the severity that similar closed deviations were given
(the offline path of POST /api/deviations/suggest-severity).

The deviations app registers deviations as a searchable type (deviations/indexing.py); these helpers
build on that index and on the app's own visibility, without the deviations app knowing about them.

The severity vote: the k = 10 closed deviations nearest to the description (their best chunk's cosine
similarity s, at least 0.2) vote for their severity with weight s², and the confidence is the
winning severity's share of the weight after adding PRIOR_WEIGHT of evidence spread evenly over the
four severities:

    confidence = (W_winner + PRIOR_WEIGHT / 4) / (W_total + PRIOR_WEIGHT)

so a vote of a few distant neighbours is not reported as certain, while many close neighbours that
agree approach their share. PRIOR_WEIGHT was chosen on the demo history (ai/severity_history.py,
leave-one-out, bench/severity_calibration.py) as the value whose stated confidences come closest to
the observed accuracy (lowest expected calibration error); the figures are in the README.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from deviations import selectors as deviation_selectors
from deviations.models import SEVERITY_RANK, Deviation
from qms.errors import NotFound
from qms.permissions import require_any

from .similarity import Neighbour, knn_vote, similar_records

K = 10
POWER = 2.0
MIN_SIMILARITY = 0.2
PRIOR_WEIGHT = 0.25
CLOSED = "closed"


def calibrated_confidence(weights: dict[str, float], winner: str, *, prior_weight: float = PRIOR_WEIGHT) -> float:
    """The winner's share of the vote weight, shrunk towards 1/4 by `prior_weight` (module docstring)."""
    total = sum(weights.values())
    labels = len(SEVERITY_RANK)
    return round((weights.get(winner, 0.0) + prior_weight / labels) / (total + prior_weight), 2)


@dataclass
class SimilarDeviation:
    deviation: Deviation
    similarity: float


def similar_deviations(*, actor, description: str | None = None, deviation_id: int | None = None, limit: int = 5):
    """Earlier deviations `actor` may see most similar to `description`, or to deviation
    `deviation_id` (which must be visible to them: NotFound otherwise; it is left out), best first.
    Raises VectorStoreUnavailable / EmbeddingUnavailable when semantic search is down."""
    require_any(actor, deviation_selectors.VIEW, deviation_selectors.CREATE)
    if deviation_id is not None:
        if not deviation_selectors.visible_deviations(actor).filter(pk=deviation_id).exists():
            raise NotFound(f"Deviation {deviation_id} not found.")
        found = similar_records(resource_type="deviation", user=actor, resource_id=deviation_id, limit=limit)
    else:
        found = similar_records(resource_type="deviation", user=actor, text=description, limit=limit)
    return _with_records(found)


def _with_records(found: list[Neighbour]) -> list[SimilarDeviation]:
    records = Deviation.objects.select_related("category", "area").in_bulk([n.resource_id for n in found])
    return [SimilarDeviation(records[n.resource_id], n.similarity) for n in found if n.resource_id in records]


@dataclass
class HistoryVote:
    severity: str | None
    confidence: float
    neighbours: list[SimilarDeviation]
    weights: dict[str, float]

    def rationale(self, actor) -> str:
        """Why, in words; cites the numbers of the agreeing deviations `actor` may see (only them)."""
        if self.severity is None:
            return "No closed deviation is similar enough to suggest a severity from."
        agreeing = [n for n in self.neighbours if n.deviation.severity == self.severity]
        visible = set(
            deviation_selectors.visible_deviations(actor)
            .filter(pk__in=[n.deviation.pk for n in agreeing])
            .values_list("pk", flat=True)
        )
        cited = ", ".join([f"{n.deviation.number} ({n.similarity:.2f})" for n in agreeing if n.deviation.pk in visible][:3])
        return (
            f"{len(agreeing)} of the {len(self.neighbours)} most similar closed deviations were classified "
            f"{self.severity}{f', e.g. {cited}' if cited else ''}."
        )


def _closed_severities(ids: list[int]) -> dict[int, str]:
    return dict(Deviation.objects.filter(pk__in=ids, status=CLOSED).values_list("pk", "severity"))


def severity_from_history(description: str, *, exclude_id: int | None = None) -> HistoryVote:
    """The weighted k-nearest-neighbour vote of closed deviations (the system's view: every closed
    deviation counts, whoever asks; only the numbers the caller may see are cited), without deviation
    `exclude_id` (leave-one-out calibration). Raises VectorStoreUnavailable / EmbeddingUnavailable
    when semantic search is down."""
    eligible = Q(resource_id__in=Deviation.objects.filter(status=CLOSED).values("pk"))
    vote = knn_vote(
        resource_type="deviation",
        text=description,
        labels=_closed_severities,
        k=K,
        eligible=eligible,
        power=POWER,
        min_similarity=MIN_SIMILARITY,
        exclude_id=exclude_id,
    )
    neighbours = _with_records([n for n, _ in vote.neighbours])
    if vote.label is None:
        return HistoryVote(None, 0.0, neighbours, vote.weights)
    return HistoryVote(vote.label, calibrated_confidence(vote.weights, vote.label), neighbours, vote.weights)
