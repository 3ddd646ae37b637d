"""Display helpers for the training pages."""

from django import template

register = template.Library()

_ASSIGNMENT_BADGES = {"completed": "badge-on", "overdue": "badge-warn", "cancelled": "badge-off"}
_CELL_TEXT = {
    "qualified": "✓",
    "due_soon": "due soon",
    "overdue": "overdue",
    "assigned": "assigned",
    "expired": "expired",
    "not_assigned": "–",
}


@register.filter
def assignment_badge(status: str) -> str:
    return _ASSIGNMENT_BADGES.get(status or "", "")


@register.filter
def cell_text(status: str) -> str:
    return _CELL_TEXT.get(status, status)


@register.filter
def label(value: str) -> str:
    """due_soon → Due soon, PUBLISHED → Published."""
    return (value or "—").replace("_", " ").capitalize()


@register.filter
def cell_title(cell) -> str:
    """The tooltip of a matrix cell: status, due date, completion and expiry."""
    parts = [label(cell.status)]
    if cell.due_date:
        parts.append(f"due {cell.due_date:%Y-%m-%d}")
    if cell.completed_at:
        parts.append(f"completed {cell.completed_at:%Y-%m-%d}")
    if cell.expires_at:
        parts.append(f"expires {cell.expires_at:%Y-%m-%d}")
    return " · ".join(parts)
