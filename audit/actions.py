"""One vocabulary of audit actions: an enum per app, collected into one catalogue.

An app declares its actions in `<app>/audit_actions.py` by subclassing `AuditAction` (a StrEnum,
so a member is the string stored in the trail):

    from audit.actions import AuditAction

    class DocumentAction(AuditAction):
        UPLOAD = "upload"
        DOWNLOAD = "download"
        MAKE_EFFECTIVE = "make_effective", "Made effective"   # an explicit label

and records with them: `audit.services.record(action=DocumentAction.UPLOAD, ...)`. Labels default
to the value in words ("make_effective" -> "Make effective"). `catalogue()` lists every action of
every app (the audit page's action filter and the API's `action` parameter offer exactly these).
Several apps may use the same value (e.g. the generic RecordAction verbs); it is listed once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.module_loading import autodiscover_modules


class AuditAction(StrEnum):
    """Base of every app's audit actions. Members are `VALUE = "value"` or `VALUE = "value", "Label"`."""

    def __new__(cls, value: str, label: str | None = None):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value.replace("_", " ").capitalize()
        return member


class RecordAction(AuditAction):
    """Generic verbs for records of any app."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class AuditTrailAction(AuditAction):
    """What the audit app itself records."""

    SIGN = "sign", "Electronic signature"
    EXPORT = "export", "Audit trail export"
    CHECKPOINT = "checkpoint", "Chain checkpoint"


@dataclass(frozen=True)
class ActionInfo:
    value: str
    label: str
    enum: str


_discovered = False


def _enums(base: type = AuditAction):
    for enum in base.__subclasses__():
        yield enum
        yield from _enums(enum)


def catalogue() -> list[ActionInfo]:
    """Every action of every app, sorted by value (each value once)."""
    global _discovered
    if not _discovered:
        autodiscover_modules("audit_actions")
        _discovered = True
    seen: dict[str, ActionInfo] = {}
    for enum in _enums():
        for member in enum:
            seen.setdefault(member.value, ActionInfo(member.value, member.label, f"{enum.__module__}.{enum.__qualname__}"))
    return sorted(seen.values(), key=lambda a: a.value)


def choices() -> list[tuple[str, str]]:
    return [(a.value, a.label) for a in catalogue()]


def values() -> list[str]:
    return [a.value for a in catalogue()]
