"""Display helpers for workflow states: `{% load workflow_tags %}` then `{{ status|state_label }}`
(in_review → In review) and `class="badge {{ status|state_badge }}"`."""

from django import template

register = template.Library()

_BADGES = {
    "effective": "badge-on",
    "closed": "badge-on",
    "obsolete": "badge-off",
    "superseded": "badge-off",
    "cancelled": "badge-off",
    "in_review": "badge-warn",
    "rejected": "badge-warn",
}


@register.filter
def state_label(name: str) -> str:
    """in_review → In review."""
    return (name or "—").replace("_", " ").capitalize()


@register.filter
def state_badge(name: str) -> str:
    return _BADGES.get(name or "", "")
