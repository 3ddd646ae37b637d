"""The dashboard's sources: one module per domain module (documents, training, deviations, CAPA …),
each turning that module's selectors into dashboard rows and KPI figures.

A source module declares `APP` (the Django app it reads; the source is used only when that app is
installed), `KEY` and `LABEL`, and any of these functions, each in a fixed number of queries:

    assigned(ctx, limit) -> Rows         what the caller owns or must do
    pending_approvals(ctx, limit) -> Rows  records waiting for an approval the caller can give now
    overdue(ctx, limit) -> Rows          open items past their due date
    due_soon(ctx, limit) -> Rows         open items due within ctx.hours
    stats(ctx) -> dict                   the module's KPIs (see dashboard.selectors.stats)

A new module plugs in by adding its source module to SOURCE_MODULES; nothing else changes.
"""

from __future__ import annotations

import datetime
import importlib
from dataclasses import dataclass, field
from types import ModuleType

from django.apps import apps
from django.utils import timezone

SOURCE_MODULES = (
    "dashboard.sources.documents",
    "dashboard.sources.training",
    "dashboard.sources.deviations",
    "dashboard.sources.capa",
)


@dataclass
class Period:
    """The KPI window: whole days from `date_from` to `date_to` (inclusive), and the months it covers."""

    date_from: datetime.date
    date_to: datetime.date
    group_id: int | None = None

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The period as [start, end) instants in the current time zone (a plain range on a
        timestamp column: its index serves it, no per-row date conversion)."""
        tz = timezone.get_current_timezone()
        start = datetime.datetime.combine(self.date_from, datetime.time.min, tzinfo=tz)
        end = datetime.datetime.combine(self.date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
        return start, end

    @property
    def months(self) -> list[datetime.date]:
        """First days of the months from date_from's to date_to's."""
        month, last, out = self.date_from.replace(day=1), self.date_to.replace(day=1), []
        while month <= last:
            out.append(month)
            month = (month + datetime.timedelta(days=32)).replace(day=1)
        return out


@dataclass
class Context:
    """Who asks and when; `mine`: only the caller's own items (else everything they may see)."""

    user: object
    now: datetime.datetime
    hours: int = 24
    mine: bool = False
    period: Period | None = None

    @property
    def today(self) -> datetime.date:
        return self.now.date()


@dataclass
class Item:
    """One row of a dashboard list."""

    type: str
    id: int
    number: str
    title: str
    status: str
    status_label: str
    link: str
    due_date: datetime.date | None = None
    reason: str = ""
    owner: str = ""
    priority: str = ""
    overdue: bool = False
    # Pending approvals only: what the training gate says (None: not asked).
    can_approve: bool | None = None
    missing_training: list[dict] = field(default_factory=list)
    # (document or None, workflow instance, state name) for the training gate; not serialized.
    gate: tuple | None = None

    @property
    def sort_key(self) -> tuple:
        return (self.due_date is None, self.due_date or datetime.date.max, self.type, self.id)


@dataclass
class Rows:
    """The first `limit` rows of one type of item and how many there are in all."""

    type: str
    items: list[Item]
    total: int


def rows(type_: str, queryset, limit: int, to_item) -> Rows:
    """Rows from a queryset in two queries (the page and the count; one when the page is not full)."""
    page = list(queryset[:limit])
    total = len(page) if len(page) < limit else queryset.count()
    return Rows(type_, [to_item(record) for record in page], total)


def active_sources() -> list[ModuleType]:
    """The source modules of the installed apps, in SOURCE_MODULES order."""
    modules = []
    for name in SOURCE_MODULES:
        app = name.rsplit(".", 1)[1]
        if apps.is_installed(app):
            modules.append(importlib.import_module(name))
    return modules


def humanize(status: str) -> str:
    return status.replace("_", " ").capitalize() if status else ""


def per_month(period: Period, counts: dict) -> list[dict]:
    """[{"month": "2026-03", "count": n}, …] for every month of the period, from {month start: n}
    (as TruncMonth gives them: dates or date-times), months without a count as 0."""
    by_month = {(m.year, m.month): n for m, n in counts.items() if m is not None}
    return [{"month": m.strftime("%Y-%m"), "count": by_month.get((m.year, m.month), 0)} for m in period.months]
