"""How training programs are searched: registered with the search index from TrainingConfig.ready().

A program is one searchable record (type `training`): its title, category, level, instructor, the
documents it covers and its description. It is indexed when created and after every change,
retirement or deletion (a deleted program leaves the index). Visibility is `selectors.program_list`:
drafts only for those who manage or assign training.
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse

from qms.searchables import HitInfo, IndexableType, Piece, SearchFilters, register

from . import selectors
from .events import TrainingEvent
from .models import ProgramStatus, TrainingProgram


def pieces(program: TrainingProgram) -> list[Piece]:
    documents = ", ".join(f"{d.number} {d.title}" for d in program.linked_documents.order_by("number"))
    header = "\n".join(
        part
        for part in (
            program.title,
            f"{program.get_category_display()} training, {program.get_level_display().lower()} level.",
            f"Instructor: {program.instructor.full_name or program.instructor.username}" if program.instructor else "",
            f"Documents: {documents}" if documents else "",
        )
        if part
    )
    return [Piece(text=header), *([Piece(text=program.description)] if program.description.strip() else [])]


def visible_chunks(user, filters: SearchFilters, ids: list[int] | None = None) -> Q:
    """Chunks of the programs `user` may see (the system, user None: all), filtered; only of the
    programs `ids` when given."""
    programs = selectors.program_list(user) if user is not None else TrainingProgram.objects.all()
    if ids is not None:
        programs = programs.filter(pk__in=ids)
    programs = filters.apply(programs, category="category")
    return Q(resource_id__in=programs.order_by().values("pk"))


def describe(user, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], HitInfo]:
    programs = TrainingProgram.objects.only("id", "title", "status", "category").in_bulk([p for p, _ in pairs])
    out = {}
    for program_id, variant in pairs:
        program = programs.get(program_id)
        if program is None:
            continue
        out[(program_id, variant)] = HitInfo(
            number=f"{program.get_category_display()} training",
            title=program.title,
            status=program.status,
            category=program.category,
            url=reverse("training:program-detail", args=[program.pk]),
        )
    return out


def indexable(since=None):
    qs = TrainingProgram.objects.select_related("instructor").order_by("pk")
    return qs.filter(updated_at__gte=since) if since else qs


def summary(program: TrainingProgram) -> str:
    return f"{program.title}. {program.description}".strip()


def register_programs() -> None:
    register(
        IndexableType(
            name="training",
            label="Training program",
            model=TrainingProgram,
            permission="training.view",
            pieces=pieces,
            visible_chunks=visible_chunks,
            describe=describe,
            indexable=indexable,
            summary=summary,
            index_on=(
                TrainingEvent.PROGRAM_CREATED,
                TrainingEvent.PROGRAM_UPDATED,
                TrainingEvent.PROGRAM_RETIRED,
                TrainingEvent.PROGRAM_DELETED,
            ),
            resource_type=TrainingProgram.audit_resource_type,
            statuses=tuple((value.lower(), label) for value, label in ProgramStatus.choices),
        )
    )
