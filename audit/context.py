"""Context that every audit event recorded inside it carries, without passing it through services.

A management command that loads legacy data wraps each row in `audit_context(import_run=..., row=...,
source=...)`; every event the services record for that row (the record's creation, its workflow
start, its links) then carries `{"import_run": 12, "row": 37, "source": "deviations.csv"}` in
`AuditEvent.context`, sealed into the event's hash. So a record can always be traced back to the
file and row it came from, and an import run's events found (`?import_run=12` on the audit API).

Nested contexts merge (inner values win); values must be JSON-serialisable.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[Mapping | None] = ContextVar("qms_audit_context", default=None)


@contextmanager
def audit_context(**values) -> Iterator[dict]:
    merged = {**(_current.get() or {}), **values}
    token = _current.set(merged)
    try:
        yield merged
    finally:
        _current.reset(token)


def current() -> dict | None:
    """The context of events recorded now (None outside any audit_context)."""
    value = _current.get()
    return dict(value) if value else None
