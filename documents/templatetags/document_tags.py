"""Small display helpers for the document pages (state labels and badges are the workflow kit's)."""

from django import template

from workflows.templatetags.workflow_tags import state_badge, state_label

register = template.Library()
register.filter("state_label", state_label)
register.filter("state_badge", state_badge)


@register.filter
def filesize(size) -> str:
    size = int(size or 0)
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)
