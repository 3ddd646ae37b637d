"""Small display helpers for the document pages."""

from django import template

register = template.Library()

_BADGES = {
    "effective": "badge-on",
    "obsolete": "badge-off",
    "superseded": "badge-off",
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


@register.filter
def filesize(size) -> str:
    size = int(size or 0)
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)
