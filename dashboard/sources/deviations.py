"""Deviations on the dashboard: those the caller owns, waiting for their approval, overdue and due
soon (deviations.selectors), and the deviation KPIs."""

from __future__ import annotations

import math

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from deviations import selectors
from deviations.defaults import STATE_LABELS

from . import Context, Item, Rows, per_month, rows

APP = "deviations"
KEY = "deviation"
LABEL = "Deviations"
SEVERITIES = ("Critical", "High", "Medium", "Low")


def _item(ctx: Context, reason: str):
    def to_item(d) -> Item:
        return Item(
            type=KEY,
            id=d.pk,
            number=d.number,
            title=d.title,
            status=d.status,
            status_label=STATE_LABELS.get(d.status, d.status),
            link=d.get_absolute_url(),
            due_date=d.due_date,
            reason=reason,
            owner=d.owner.display_name if d.owner_id else "",
            priority=d.severity,
            overdue=selectors.is_overdue(d, ctx.today),
            gate=(None, d.workflow_instance, d.status) if reason == "Approval" else None,
        )

    return to_item


def assigned(ctx: Context, limit: int) -> Rows:
    return rows(KEY, selectors.assigned_to(ctx.user), limit, _item(ctx, "Owner (investigation)"))


def pending_approvals(ctx: Context, limit: int) -> Rows:
    qs = selectors.pending_approval(ctx.user).select_related("workflow_instance__template")
    return rows(KEY, qs, limit, _item(ctx, "Approval"))


def overdue(ctx: Context, limit: int) -> Rows:
    return rows(KEY, selectors.overdue(ctx.user, mine=ctx.mine, today=ctx.today), limit, _item(ctx, "Overdue"))


def due_soon(ctx: Context, limit: int) -> Rows:
    return rows(KEY, selectors.due_soon(ctx.user, hours=ctx.hours, mine=ctx.mine, now=ctx.now), limit, _item(ctx, "Due soon"))


def _percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least `fraction` of the values at or below it."""
    if not sorted_values:
        return None
    return sorted_values[max(math.ceil(fraction * len(sorted_values)) - 1, 0)]


def stats(ctx: Context) -> dict:
    """Opened and closed per month (reported / closed within the period), open deviations by
    severity and how many of them are overdue (now), and the days from report to closure of the
    deviations closed within the period (mean and 90th percentile, nearest rank). Three queries."""
    period = ctx.period
    visible = selectors.visible_deviations(ctx.user).order_by()
    if period.group_id is not None:
        visible = visible.filter(owner__groups__id=period.group_id)
    start, end = period.bounds()
    opened = dict(
        visible.filter(created_at__gte=start, created_at__lt=end)
        .annotate(month=TruncMonth("created_at"))
        .values_list("month")
        .annotate(n=Count("pk"))
    )
    closures = list(
        visible.filter(status="closed", closed_at__gte=start, closed_at__lt=end).values_list("created_at", "closed_at")
    )
    closed: dict = {}
    for _, closed_at in closures:
        month = timezone.localtime(closed_at).date().replace(day=1)
        closed[month] = closed.get(month, 0) + 1
    days = sorted((closed_at - created_at).total_seconds() / 86400 for created_at, closed_at in closures)
    open_rows = (
        visible.exclude(status__in=selectors.DONE_STATUSES)
        .values("severity")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(due_date__lt=ctx.today)))
    )
    by_severity = {r["severity"]: r for r in open_rows}
    return {
        "opened_per_month": per_month(period, opened),
        "closed_per_month": per_month(period, closed),
        "open_by_severity": [{"severity": s, "count": by_severity.get(s, {}).get("n", 0)} for s in SEVERITIES],
        "open": sum(r["n"] for r in by_severity.values()),
        "overdue": sum(r["late"] for r in by_severity.values()),
        "closed": len(days),
        "mean_days_to_close": round(sum(days) / len(days), 1) if days else None,
        "p90_days_to_close": round(_percentile(days, 0.9), 1) if days else None,
    }
