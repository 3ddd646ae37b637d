"""Display helpers for the deviation pages: `{% load deviation_tags %}` then
`{{ deviation.status|deviation_state }}` (qa_review → QA review, the default workflow's labels) and
`class="badge {{ deviation.status|deviation_badge }}"`."""

from django import template

from workflows.templatetags.workflow_tags import state_badge, state_label

from ..defaults import STATE_KINDS, STATE_LABELS

register = template.Library()


@register.filter
def deviation_state(name: str) -> str:
    return STATE_LABELS.get(name) or state_label(name)


@register.filter
def deviation_badge(name: str) -> str:
    """The badge of the state's kind (QA review like any review, closed like any closed record)."""
    return state_badge(STATE_KINDS.get(name, name))
