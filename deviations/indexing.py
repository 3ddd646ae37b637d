"""How deviations are searched: registered with the search index from DeviationsConfig.ready().

A deviation is one searchable record: a header chunk (number, title, classification, product and
batch) and its words (description, immediate action, impact assessment, root cause), chunked. It is
indexed when reported and after every update; its status comes from the record when a hit is
shown, so a workflow step needs no re-indexing. Visibility is `selectors.visible_deviations`:
holders of deviations.view see every deviation, reporters the ones they reported.
"""

from __future__ import annotations

from django.db.models import Q

from qms.searchables import HitInfo, IndexableType, Piece, SearchFilters, register

from . import selectors
from .defaults import STATE_LABELS
from .events import DeviationEvent
from .models import Deviation


def pieces(deviation: Deviation) -> list[Piece]:
    header = "\n".join(
        part
        for part in (
            f"{deviation.number} {deviation.title}",
            # The classification's names only: labels such as "Area:" in every header would match any
            # query with that word.
            f"{deviation.category.name}; {deviation.area.name}; {deviation.severity}",
            deviation.product,
            deviation.batch,
        )
        if part
    )
    body = "\n\n".join(
        part
        for part in (
            deviation.description,
            deviation.immediate_action,
            deviation.impact_assessment,
            deviation.root_cause,
        )
        if part
    )
    return [Piece(text=header), *([Piece(text=body)] if body else [])]


def visible_chunks(user, filters: SearchFilters, ids: list[int] | None = None) -> Q:
    """Chunks of the deviations `user` may see (the system, user None: all), filtered; only of
    the deviations `ids` when given."""
    deviations = selectors.visible_deviations(user) if user is not None else Deviation.objects.all()
    if ids is not None:
        deviations = deviations.filter(pk__in=ids)
    deviations = filters.apply(deviations, category="category__name")
    return Q(resource_id__in=deviations.order_by().values("pk"))


def describe(user, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], HitInfo]:
    found = Deviation.objects.select_related("category").only("id", "number", "title", "status", "severity", "category__name")
    deviations = found.in_bulk([d for d, _ in pairs])
    out = {}
    for deviation_id, variant in pairs:
        deviation = deviations.get(deviation_id)
        if deviation is None:
            continue
        out[(deviation_id, variant)] = HitInfo(
            number=deviation.number,
            title=deviation.title,
            status=deviation.status,
            category=deviation.category.name,
            url=deviation.get_absolute_url(),
            extra={"severity": deviation.severity},
        )
    return out


def indexable(since=None):
    qs = Deviation.objects.select_related("category", "area").order_by("pk")
    return qs.filter(updated_at__gte=since) if since else qs


def summary(deviation: Deviation) -> str:
    """What "similar deviations" and the severity suggestion compare: title and description."""
    return f"{deviation.title}. {deviation.description}".strip()


def register_deviations() -> None:
    register(
        IndexableType(
            name="deviation",
            label="Deviation",
            model=Deviation,
            permission=(selectors.VIEW, selectors.CREATE),
            pieces=pieces,
            visible_chunks=visible_chunks,
            describe=describe,
            indexable=indexable,
            summary=summary,
            # The words change when reported and on updates; the status is read when a hit is shown.
            index_on=(DeviationEvent.REPORTED, DeviationEvent.UPDATED),
            statuses=tuple(STATE_LABELS.items()),
        )
    )
