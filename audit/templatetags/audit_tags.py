"""Template helpers for the signature dialog and manifestation includes."""

from django import template

from ..models import SignatureType

register = template.Library()


@register.filter
def signature_choices(meanings):
    """[(value, label)] for the dialog's meaning select: all types, or the given values / pairs."""
    if not meanings:
        return SignatureType.choices
    if isinstance(meanings, str):
        meanings = [m.strip() for m in meanings.split(",") if m.strip()]
    labels = dict(SignatureType.choices)
    return [tuple(m) if isinstance(m, (list, tuple)) else (m, labels.get(m, m)) for m in meanings]


@register.filter
def change_pairs(event):
    """[(field, old, new)] for an audit event's changed values."""
    old, new = event.old_values or {}, event.new_values or {}
    keys = list(old) + [k for k in new if k not in old]
    return [(k, old.get(k), new.get(k)) for k in keys]
