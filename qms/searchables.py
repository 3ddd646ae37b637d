"""Which record types are searchable, and how: the one place an app plugs into search.

It lives in the project package so that record apps (documents, deviations, CAPA, training)
register without importing the search app, and the search app reads it without importing them.
An app registers its record type from its AppConfig.ready():

    from qms.searchables import IndexableType, Piece, register

    register(IndexableType(
        name="deviation", label="Deviation", model=Deviation, permission="deviations.view",
        pieces=deviation_pieces,            # record -> list[Piece]: the text to index
        visible_chunks=visible_deviations,  # (user, SearchFilters, ids) -> Q over SearchChunk: what the user may see
        describe=describe_deviations,       # (user, [(id, variant)]) -> {(id, variant): HitInfo}
    ))

Visibility is a SQL condition on the index rows (`resource_id`, `variant`), typically a subquery
of the app's own permission-aware selector, so a hit the user may not view is never counted. When
`ids` is given the condition only needs to hold for those records (narrow the subquery to them: it
is how a few semantic candidates are checked quickly). `user` None is the system (similarity
helpers, classification): every record.

The search app never imports the apps that register: everything it needs to know about a record
type comes through these callables. It indexes a registered type on that type's domain events
(`<name>.*`, see search.handlers), so registering is all a new record type does.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Model, Q, QuerySet


@dataclass
class Piece:
    """A span of a record's text to index. Long texts are split into overlapping chunks, each
    keeping `page` (where known). `variant` tells apart parts that different readers may see (a
    document's versions): `visible_variants` decides which ones a user's hits may come from."""

    text: str
    page: int | None = None
    variant: int = 0
    # Pages of a long text, split at form feeds: page numbers start at `page` (or 1).
    paged: bool = False


@dataclass
class SearchFilters:
    """The filters of GET /api/search/ that a record type applies to its own records."""

    category: str = ""
    status: str = ""
    document_type: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None

    @property
    def any(self) -> bool:
        return bool(self.category or self.status or self.document_type or self.date_from or self.date_to)

    def apply(self, records: QuerySet, *, category: str, status: str = "status", created: str = "created_at") -> QuerySet:
        """`records` narrowed by the category, status and creation-date filters, matched
        case-insensitively on the given fields (e.g. category="category__name")."""
        if self.category:
            records = records.filter(**{f"{category}__iexact": self.category})
        if self.status:
            records = records.filter(**{f"{status}__iexact": self.status})
        if self.date_from:
            records = records.filter(**{f"{created}__date__gte": self.date_from})
        if self.date_to:
            records = records.filter(**{f"{created}__date__lte": self.date_to})
        return records


@dataclass
class HitInfo:
    """What a hit shows about its record besides the matching passage."""

    number: str
    title: str
    status: str
    url: str
    version: str | None = None
    category: str = ""
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class IndexableType:
    name: str
    label: str
    model: type[Model]
    # Codename a user needs to see hits of this type at all (a tuple: any one of them, e.g. reporters
    # who see only their own deviations and holders of deviations.view who see all).
    permission: str | tuple[str, ...]
    pieces: Callable[[Model], list[Piece]]
    # (user or None for the system, filters, resource ids or None) -> Q over SearchChunk.
    visible_chunks: Callable[[object, SearchFilters, list[int] | None], Q]
    describe: Callable[[object, list[tuple[int, int]]], dict[tuple[int, int], HitInfo]]
    # Records to (re)index, optionally only those changed since a time (manage.py reindex --since).
    indexable: Callable[[datetime.datetime | None], QuerySet] | None = None
    # Whether a record should be in the index at all (e.g. not while it has no text yet).
    include: Callable[[Model], bool] = lambda record: True
    # Filters this type understands (a search using another one gets no hits of this type).
    filters: tuple[str, ...] = ("category", "status", "date_from", "date_to")
    # Short text of a record for similarity and classification helpers (similar records, kNN votes).
    summary: Callable[[Model], str] | None = None
    # Domain events after which a record is re-indexed (default: every `<name>.*` event).
    index_on: tuple[str, ...] = ()
    # The records' type as their events and audit records name it, when other than `name`
    # (training programs: "training_program"); events about other records are not this type's.
    resource_type: str = ""
    # Statuses the search page offers as a filter for this type: (value, label) pairs.
    statuses: tuple[tuple[str, str], ...] = ()

    @property
    def index_events(self) -> tuple[str, ...]:
        return self.index_on or (f"{self.name}.*",)

    @property
    def event_resource_type(self) -> str:
        return self.resource_type or self.name

    @property
    def permissions(self) -> tuple[str, ...]:
        return (self.permission,) if isinstance(self.permission, str) else tuple(self.permission)


_TYPES: dict[str, IndexableType] = {}


_LISTENERS: list[Callable[[IndexableType], None]] = []


def register(indexable: IndexableType) -> None:
    """Makes the type searchable (and tells the listeners: the search app subscribes its indexing)."""
    _TYPES[indexable.name] = indexable
    for listener in _LISTENERS:
        listener(indexable)


def on_register(listener: Callable[[IndexableType], None]) -> None:
    """Calls `listener` for every type registered so far and every one registered later."""
    _LISTENERS.append(listener)
    for indexable in list(_TYPES.values()):
        listener(indexable)


def unregister(name: str) -> None:
    _TYPES.pop(name, None)


def get(name: str) -> IndexableType:
    try:
        return _TYPES[name]
    except KeyError:
        raise LookupError(f"No searchable record type {name!r}; known: {', '.join(sorted(_TYPES)) or 'none'}.") from None


def for_resource_type(resource_type: str) -> IndexableType | None:
    """The searchable type whose records' events name them `resource_type`, if any."""
    return next((t for t in _TYPES.values() if t.event_resource_type == resource_type), None)


def names() -> list[str]:
    return sorted(_TYPES)


def all_types() -> Iterable[IndexableType]:
    return [_TYPES[name] for name in names()]
