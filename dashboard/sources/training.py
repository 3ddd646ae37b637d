"""Training on the dashboard: the caller's open assignments, overdue and due-soon assignments
(training.selectors), and training compliance (overall, per group, per program)."""

from __future__ import annotations

import datetime

from django.urls import reverse

from training import selectors

from . import Context, Item, Rows, rows

APP = "training"
KEY = "training_assignment"
LABEL = "Training"


def _item(ctx: Context, reason: str):
    my_training = reverse("training:my")

    def to_item(a) -> Item:
        own = a.user_id == ctx.user.pk
        return Item(
            type=KEY,
            id=a.pk,
            number=f"TRN-{a.program_id}",
            title=a.program.title if own else f"{a.program.title} ({a.user.display_name})",
            status=a.status,
            status_label=a.get_status_display(),
            link=f"{my_training}#assignment-{a.pk}" if own else reverse("training:program-detail", args=[a.program_id]),
            due_date=a.due_date,
            reason=reason,
            owner=a.user.display_name,
            overdue=a.due_date is not None and a.due_date < ctx.today,
        )

    return to_item


def _whose(ctx: Context):
    """Everyone's assignments for those who see everyone's (unless `mine`), otherwise the caller's."""
    return None if not ctx.mine and selectors.sees_everyone(ctx.user) else ctx.user


def assigned(ctx: Context, limit: int) -> Rows:
    return rows(KEY, selectors.assigned_to(ctx.user), limit, _item(ctx, "Training to complete"))


def overdue(ctx: Context, limit: int) -> Rows:
    return rows(KEY, selectors.overdue(_whose(ctx), on=ctx.today), limit, _item(ctx, "Overdue"))


def due_soon(ctx: Context, limit: int) -> Rows:
    """Open assignments due from today to the day `hours` from now reaches."""
    days = ((ctx.now + datetime.timedelta(hours=ctx.hours)).date() - ctx.today).days
    return rows(KEY, selectors.due_soon(_whose(ctx), on=ctx.today, days=days), limit, _item(ctx, "Due soon"))


def _figure(f) -> dict:
    return {"id": f.id, "name": f.name, "required": f.required, "qualified": f.qualified, "percent": f.percent}


def stats(ctx: Context) -> dict:
    """Compliance now (see training.selectors.compliance) and the open assignments past due."""
    c = selectors.compliance(ctx.user, group_id=ctx.period.group_id, now=ctx.now)
    return {
        "compliance": _figure(c.overall),
        "per_group": [_figure(f) for f in c.per_group],
        "per_program": [_figure(f) for f in c.per_program],
        "overdue_assignments": c.overdue_assignments,
    }
