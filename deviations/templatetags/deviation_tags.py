"""Display helpers for the deviation pages: `{% load deviation_tags %}` then
`{{ deviation.status|deviation_state }}` (qa_review → QA review, the default workflow's labels)."""

from django import template

from workflows.templatetags.workflow_tags import state_badge, state_label

from ..defaults import DEVIATION_HANDLING

register = template.Library()

_LABELS = {state["name"]: state["label"] for state in DEVIATION_HANDLING["states"]}


@register.filter
def deviation_state(name: str) -> str:
    return _LABELS.get(name) or state_label(name)


_KINDS = {state["name"]: state["kind"] for state in DEVIATION_HANDLING["states"]}


@register.filter
def deviation_badge(name: str) -> str:
    """The badge of the state's kind (QA review like any review, closed like any closed record)."""
    return state_badge(_KINDS.get(name, name))
