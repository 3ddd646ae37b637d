"""Documents on the dashboard: documents waiting for the caller's approval (with the training gate),
periodic reviews overdue or coming up (the owner's, or all for those who see them), and the
document KPIs."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth

from documents import selectors

from . import Context, Item, Rows, humanize, per_month, rows

APP = "documents"
KEY = "document"
LABEL = "Documents"
REVIEW = "document_review"


def _item(ctx: Context, reason: str, kind: str = KEY):
    def to_item(d) -> Item:
        approval = kind == KEY
        return Item(
            type=kind,
            id=d.pk,
            number=d.number,
            title=d.title,
            status=d.status,
            status_label=humanize(d.status),
            link=d.get_absolute_url(),
            due_date=None if approval else d.next_review_date,
            reason=reason,
            owner=d.owner.display_name,
            overdue=not approval and d.next_review_date is not None and d.next_review_date < ctx.today,
            gate=(d, d.workflow_instance, d.status) if approval else None,
        )

    return to_item


def _reviews(ctx: Context, qs):
    return qs.filter(owner=ctx.user) if ctx.mine else qs


def pending_approvals(ctx: Context, limit: int) -> Rows:
    return rows(KEY, selectors.pending_approval(ctx.user), limit, _item(ctx, "Approval"))


def overdue(ctx: Context, limit: int) -> Rows:
    qs = selectors.periodic_review_due(ctx.user, until=ctx.today - datetime.timedelta(days=1))
    return rows(REVIEW, _reviews(ctx, qs), limit, _item(ctx, "Periodic review overdue", REVIEW))


def due_soon(ctx: Context, limit: int) -> Rows:
    end = (ctx.now + datetime.timedelta(hours=ctx.hours)).date()
    qs = selectors.periodic_review_window(ctx.user, start=ctx.today, end=end)
    return rows(REVIEW, _reviews(ctx, qs), limit, _item(ctx, "Periodic review due", REVIEW))


def stats(ctx: Context) -> dict:
    """Documents by status (now), versions made effective per month (within the period), and
    effective documents whose periodic review is overdue or due within DASHBOARD_REVIEW_DAYS.
    Three queries."""
    period = ctx.period
    visible = selectors.documents_visible_to(ctx.user).order_by()
    made_effective = selectors.versions_made_effective(ctx.user, owner_group_id=period.group_id).order_by()
    if period.group_id is not None:
        visible = visible.filter(owner__groups__id=period.group_id)
    by_status = visible.values_list("status").annotate(n=Count("pk")).order_by("status")
    start, end = period.bounds()
    effective = dict(
        made_effective.filter(created_at__gte=start, created_at__lt=end)
        .annotate(month=TruncMonth("created_at"))
        .values_list("month")
        .annotate(n=Count("pk"))
    )
    horizon = ctx.today + datetime.timedelta(days=settings.DASHBOARD_REVIEW_DAYS)
    reviews = visible.filter(effective_version__isnull=False).aggregate(
        overdue=Count("pk", filter=Q(next_review_date__lt=ctx.today)),
        due=Count("pk", filter=Q(next_review_date__gte=ctx.today, next_review_date__lte=horizon)),
    )
    return {
        "by_status": [{"status": s, "label": humanize(s), "count": n} for s, n in by_status],
        "effective_per_month": per_month(period, effective),
        "review_overdue": reviews["overdue"],
        "review_due": reviews["due"],
        "review_window_days": settings.DASHBOARD_REVIEW_DAYS,
    }
