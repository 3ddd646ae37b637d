"""CAPAs on the dashboard: CAPAs and CAPA actions the caller owns, draft CAPAs waiting for the plan
approval and CAPAs waiting for a closure approval the caller can give (capa.selectors), overdue and
due-soon CAPAs and actions, and the CAPA KPIs (open, overdue, on-time closure, effectiveness)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone

from capa import selectors
from capa.models import EffectivenessReview, ReviewResult

from . import Context, Item, Rows, rows

APP = "capa"
KEY = "capa"
ACTION = "capa_action"
LABEL = "CAPA"


def _capa(ctx: Context, reason: str, *, gate: bool = False):
    def to_item(c) -> Item:
        return Item(
            type=KEY,
            id=c.pk,
            number=c.number,
            title=c.title,
            status=c.status,
            status_label=selectors.state_label(c.status),
            link=c.get_absolute_url(),
            due_date=c.due_date,
            reason=reason,
            owner=c.owner.display_name,
            priority=c.get_priority_display(),
            overdue=selectors.is_overdue(c, ctx.today),
            gate=(None, c.workflow_instance, c.status) if gate else None,
        )

    return to_item


def _action(ctx: Context, reason: str):
    def to_item(a) -> Item:
        return Item(
            type=ACTION,
            id=a.pk,
            number=f"{a.capa.number}/{a.sequence}",
            title=a.description if len(a.description) <= 120 else f"{a.description[:119]}…",
            status=a.status,
            status_label=a.get_status_display(),
            link=f"{a.capa.get_absolute_url()}#action-{a.pk}",
            due_date=a.due_date,
            reason=reason,
            owner=a.owner.display_name,
            overdue=a.due_date < ctx.today,
        )

    return to_item


def assigned(ctx: Context, limit: int) -> list[Rows]:
    return [
        rows(KEY, selectors.assigned_to(ctx.user), limit, _capa(ctx, "Owner")),
        rows(ACTION, selectors.actions_assigned_to(ctx.user), limit, _action(ctx, "Action owner")),
    ]


def pending_approvals(ctx: Context, limit: int) -> list[Rows]:
    pending = selectors.pending_approval(ctx.user)
    return [
        rows(KEY, pending.drafts, limit, _capa(ctx, "Draft to approve")),
        rows(KEY, pending.approvals.select_related("workflow_instance__template"), limit, _capa(ctx, "Approval", gate=True)),
    ]


def overdue(ctx: Context, limit: int) -> list[Rows]:
    late = selectors.overdue(ctx.user, mine=ctx.mine, today=ctx.today)
    return [
        rows(KEY, late.capas, limit, _capa(ctx, "Overdue")),
        rows(ACTION, late.actions, limit, _action(ctx, "Action overdue")),
    ]


def due_soon(ctx: Context, limit: int) -> list[Rows]:
    soon = selectors.due_soon(ctx.user, hours=ctx.hours, mine=ctx.mine, now=ctx.now)
    return [
        rows(KEY, soon.capas, limit, _capa(ctx, "Due soon")),
        rows(ACTION, soon.actions, limit, _action(ctx, "Action due soon")),
    ]


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def stats(ctx: Context) -> dict:
    """Open and overdue CAPAs (now); of the CAPAs closed within the period, those closed by their due
    date (on-time closure rate); of the effectiveness reviews concluded within the period, those
    judged effective (effectiveness rate). Three queries."""
    period = ctx.period
    visible = selectors.visible_capas(ctx.user).order_by()
    if period.group_id is not None:
        visible = visible.filter(owner__groups__id=period.group_id)
    start, end = period.bounds()
    running = visible.exclude(status__in=selectors.DONE_STATUSES).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=ctx.today))
    )
    closures = list(visible.filter(status="closed", closed_at__gte=start, closed_at__lt=end).values_list("closed_at", "due_date"))
    on_time = sum(1 for closed_at, due_date in closures if timezone.localtime(closed_at).date() <= due_date)
    reviews = (
        EffectivenessReview.objects.filter(capa__in=visible.values("pk"), reviewed_at__gte=start, reviewed_at__lt=end)
        .exclude(result=ReviewResult.PENDING)
        .aggregate(concluded=Count("pk"), effective=Count("pk", filter=Q(result=ReviewResult.EFFECTIVE)))
    )
    return {
        "open": running["open"],
        "overdue": running["overdue"],
        "closed": len(closures),
        "closed_on_time": on_time,
        "on_time_closure_rate": _rate(on_time, len(closures)),
        "effectiveness_reviews": reviews["concluded"],
        "effective": reviews["effective"],
        "effectiveness_rate": _rate(reviews["effective"], reviews["concluded"]),
    }
