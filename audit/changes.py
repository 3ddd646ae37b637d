"""Old and new values for the audit trail: snapshot the audited fields, change the record, diff.

    before = snapshot(document, ["title", "status", "owner"])
    ... change and save the document ...
    audit.services.record_change(obj=document, before=before, fields=[...], actor=user, reason=reason)

Models may declare `audit_fields = [...]` (AuditedFieldsMixin) so callers need not repeat them.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid

from django.db import models
from django.db.models.fields.files import FieldFile

from .canonical import json_safe

_MISSING = object()


def _value(obj, path: str):
    value = obj
    for part in path.split("."):
        if value is None:
            return None
        value = getattr(value, part, _MISSING)
        if value is _MISSING:
            raise AttributeError(f"{type(obj).__name__} has no attribute {path!r} to audit.")
    return value


def to_json_value(value):
    """A JSON-safe rendering of a field value: related records by their printed name, managers as sorted lists."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, models.Manager):
        return sorted(str(item) for item in value.all())
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((to_json_value(v) for v in value), key=str)
    return str(value)


def snapshot(obj, fields: list[str]) -> dict:
    """{field: JSON-safe value} for the named fields (dotted paths such as "role.name" allowed)."""
    return json_safe({field: to_json_value(_value(obj, field)) for field in fields})


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    """(old, new) holding only the keys whose values differ; a key missing on one side counts as None."""
    old, new = {}, {}
    for key in list(before) + [k for k in after if k not in before]:
        a, b = before.get(key), after.get(key)
        if a != b:
            old[key], new[key] = a, b
    return old, new


def changed_fields(obj, before: dict, fields: list[str] | None = None) -> list[str]:
    """The names of the audited fields of `obj` whose value differs from the snapshot `before`
    (sorted), for services that decide something on them before audit.services.record_change
    records the change."""
    fields = fields if fields is not None else (list(getattr(obj, "audit_fields", [])) or list(before))
    return sorted(diff(before, snapshot(obj, fields))[1])


class AuditedFieldsMixin:
    """Declares which fields of a model the audit trail tracks: `audit_fields = ["title", ...]`."""

    audit_fields: list[str] = []
    audit_resource_type: str | None = None

    def audit_snapshot(self) -> dict:
        return snapshot(self, list(self.audit_fields))


def resource_type_of(obj) -> str:
    return getattr(obj, "audit_resource_type", None) or obj._meta.model_name
