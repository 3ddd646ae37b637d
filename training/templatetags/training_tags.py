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
