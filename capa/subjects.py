"""What "the audit trail of CAPA-2026-0001" includes (audit.subjects): the CAPA's own events, its
actions' (assigned, changed, extended, completed) and its effectiveness reviews' (planned, changed,
recorded with their signatures; registered with audit.signatures in records.py)."""

from audit.subjects import register_subject

from .models import CapaAction


def register() -> None:
    register_subject("capa_action", CapaAction, parent="capa")
