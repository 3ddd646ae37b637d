"""The dashboard's reads: the caller's work lists and the KPIs, merged from the sources
(dashboard/sources/, one per module), each in a fixed number of queries whatever the data volume.

Every list holds only what the caller may see under each module's own visibility rules; the KPIs
count only that too.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from training.selectors import missing_training_for_records

from .sources import Context, Item, Period, active_sources

LISTS = ("assigned", "pending_approvals", "overdue", "due_soon")
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# The lists are for the day's work: the first MAX_ROWS rows (each module's own list has the rest).
MAX_ROWS = 1000


@dataclass
class WorkList:
    """One page of a list (soonest due first; undated last), the total and the totals per type."""

    items: list[Item]
    total: int
    counts: dict[str, int]
    page: int
    page_size: int


def work_list(
    name: str, user, *, page: int = 1, page_size: int = PAGE_SIZE, hours: int = 24, mine: bool = False, now=None
) -> WorkList:
    """One of LISTS: each source's rows up to the end of the page, merged by due date, then the page
    cut out (two queries per source and type, three for the training gate of pending approvals)."""
    if name not in LISTS:
        raise ValueError(f"Unknown dashboard list {name!r}")
    ctx = Context(user=user, now=timezone.localtime(now or timezone.now()), hours=hours, mine=mine)
    items: list[Item] = []
    counts: dict[str, int] = {}
    for source in active_sources():
        read = getattr(source, name, None)
        if read is None:
            continue
        # A source may list more than one type (e.g. CAPAs and their actions): one Rows per type.
        result = read(ctx, page * page_size)
        for rows in result if isinstance(result, list) else [result]:
            items.extend(rows.items)
            counts[rows.type] = counts.get(rows.type, 0) + rows.total
    items.sort(key=lambda i: i.sort_key)
    items = items[(page - 1) * page_size : page * page_size]
    if name == "pending_approvals":
        _apply_training_gate(user, items)
    return WorkList(items=items, total=sum(counts.values()), counts=counts, page=page, page_size=page_size)


def _apply_training_gate(user, items: list[Item]) -> None:
    """Whether the caller may approve each record now as far as training goes (three queries for all)."""
    gated = {(item.type, item.id): item.gate for item in items if item.gate is not None}
    missing = missing_training_for_records(user, [(key, *gate) for key, gate in gated.items()])
    for item in items:
        lacking = missing.get((item.type, item.id), [])
        item.missing_training = [m.as_dict() for m in lacking]
        item.can_approve = not lacking


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The twelve months up to today: from the first day of the month eleven months back."""
    month = today.replace(day=1)
    for _ in range(11):
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return month, today


def stats(user, *, date_from=None, date_to=None, group_id=None, now=None) -> dict:
    """Every source's KPIs (a key per module; None for a module that is not installed)."""
    now = timezone.localtime(now or timezone.now())
    start, end = default_period(now.date())
    period = Period(date_from=date_from or start, date_to=date_to or end, group_id=group_id)
    ctx = Context(user=user, now=now, period=period)
    out = {
        "date_from": period.date_from,
        "date_to": period.date_to,
        "group_id": group_id,
        "generated_at": now,
        "documents": None,
        "deviations": None,
        "capa": None,
        "training": None,
    }
    for source in active_sources():
        read = getattr(source, "stats", None)
        if read is not None:
            out[source.APP] = read(ctx)
    return out
