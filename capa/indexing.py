"""How CAPAs are searched: registered with the search index (qms.searchables) from CapaConfig.ready().

A CAPA is indexed as one text: number, title, problem statement, root cause and its actions
(description and completion evidence). A user's hits come only from the CAPAs
`selectors.visible_capas` shows them (capa.view: all; capa.work: their own).
"""

from __future__ import annotations

from django.db.models import Q

from qms.searchables import HitInfo, IndexableType, Piece, SearchFilters, register

from .models import Capa
from .selectors import state_label, visible_capas


def pieces(capa: Capa) -> list[Piece]:
    header = "\n".join(
        part
        for part in (
            f"{capa.number} {capa.title}",
            f"Legacy number {capa.legacy_number}" if capa.legacy_number else "",
            capa.description,
            f"Root cause: {capa.root_cause}" if capa.root_cause else "",
        )
        if part
    )
    out = [Piece(text=header)]
    actions = [
        f"Action {a.sequence}: {a.description}" + (f"\nEvidence: {a.completion_evidence}" if a.completion_evidence else "")
        for a in capa.actions.order_by("sequence")
    ]
    if actions:
        out.append(Piece(text="\n".join(actions)))
    return out


def visible_chunks(user, filters: SearchFilters, ids: list[int] | None = None) -> Q:
    capas = visible_capas(user) if user is not None else Capa.objects.all()
    if ids is not None:
        capas = capas.filter(pk__in=ids)
    if filters.status:
        capas = capas.filter(status__iexact=filters.status)
    if filters.category:
        capas = capas.filter(Q(capa_type__iexact=filters.category) | Q(source__iexact=filters.category))
    if filters.date_from:
        capas = capas.filter(created_at__date__gte=filters.date_from)
    if filters.date_to:
        capas = capas.filter(created_at__date__lte=filters.date_to)
    return Q(resource_id__in=capas.values("pk"))


def describe(user, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], HitInfo]:
    capas = Capa.objects.only("id", "number", "title", "status", "source").in_bulk([c for c, _ in pairs])
    out = {}
    for capa_id, variant in pairs:
        capa = capas.get(capa_id)
        if capa is not None:
            out[(capa_id, variant)] = HitInfo(
                number=capa.number,
                title=capa.title,
                status=state_label(capa.status),
                url=capa.get_absolute_url(),
                category=capa.source,
            )
    return out


def indexable(since=None):
    qs = Capa.objects.order_by("pk")
    return qs.filter(updated_at__gte=since) if since else qs


def summary(capa: Capa) -> str:
    return " ".join(part for part in (f"{capa.title}.", capa.description[:1000], capa.root_cause[:500]) if part).strip()


def register_capas() -> None:
    register(
        IndexableType(
            name="capa",
            label="CAPA",
            model=Capa,
            permission="capa.view",
            pieces=pieces,
            visible_chunks=visible_chunks,
            describe=describe,
            indexable=indexable,
            filters=("category", "status", "date_from", "date_to"),
            summary=summary,
        )
    )
