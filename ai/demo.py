"""Demo data of the AI helpers for `manage.py seed_demo`: the history of closed deviations that the
offline severity suggestion votes with (ai/severity_history.py), made through the deviation
services as the demo users would (reported by the User, investigated by QA, closed by the QA Manager
with an electronic signature), so numbers, workflow history and the audit trail are real. Idempotent:
each is made once, by title.
"""

from __future__ import annotations

from accounts.demo import DEMO_PASSWORD as PASSWORD  # the demo users sign with it
from accounts.models import User
from deviations import services
from deviations.models import Deviation
from workflows import records_services

from .severity_history import HISTORY

REPORTER, QA, MANAGER = "user@example.com", "qa@example.com", "qa.manager@example.com"


def _answers(title: str, description: str, *, area: str, category: str, severity: str) -> dict:
    return {
        "event": {"title": title, "description": description, "occurred_at": "2024-06-03", "area": area},
        "classification": {"category": category, "severity": severity},
        "product": {"product": "", "batch": ""},
        "immediate_action": {"immediate_action": "QA informed; affected material on hold.", "product_quarantined": False},
    }


def close_historical_deviation(*, reporter, qa, manager, entry: tuple) -> Deviation:
    """One deviation of the history, reported, investigated and closed."""
    title, description, category, area, severity = entry
    deviation = services.report_deviation(
        actor=reporter, form_data=_answers(title, description, area=area, category=category, severity=severity)
    )
    records_services.transition_record(actor=qa, record=deviation, name="start_investigation", comment="Taken on by QA.")
    deviation = Deviation.objects.get(pk=deviation.pk)
    services.update_deviation(
        actor=qa,
        deviation=deviation,
        changes={
            "owner": qa,
            "impact_assessment": "Assessed by QA; see the description.",
            "root_cause": "Investigated and documented in the investigation report.",
            "root_cause_method": "five_whys",
            "capa_required": False,
            "capa_decision_rationale": "Historical record: corrective actions tracked outside this system.",
        },
        reason="Investigation completed",
        row_version=deviation.row_version,
    )
    records_services.transition_record(actor=qa, record=deviation, name="submit_for_review")
    records_services.approve_record(actor=manager, record=deviation, password=PASSWORD, comment="Classification confirmed.")
    return Deviation.objects.get(pk=deviation.pk)


def seed(stdout) -> None:
    users = {u.username: u for u in User.objects.filter(username__in=[REPORTER, QA, MANAGER], is_active=True)}
    reporter, qa, manager = users.get(REPORTER), users.get(QA), users.get(MANAGER)
    if not (reporter and qa and manager):
        return
    existing = set(Deviation.objects.filter(title__in=[entry[0] for entry in HISTORY]).values_list("title", flat=True))
    made = 0
    for entry in HISTORY:
        if entry[0] not in existing:
            close_historical_deviation(reporter=reporter, qa=qa, manager=manager, entry=entry)
            made += 1
    stdout.write(f"  Deviation history for the severity suggestion: {len(HISTORY)} closed deviations ({made} made now)")
