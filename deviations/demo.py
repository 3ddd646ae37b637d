"""Demo deviations for `manage.py seed_demo` (idempotent: each is made once, by title), made through
the services as the demo users would make them, so numbers, workflow history, signatures and the
audit trail are real:

- a deviation under investigation: reported by the User with a photo-free report naming SOP-0001,
  taken on by QA (owner) with the impact assessed and the root cause still open;
- a closed one: investigated by QA (5 Whys, no CAPA, with the rationale) and closed by the QA
  Manager with an electronic signature;
- a newly reported one waiting for QA.
"""

from __future__ import annotations

from accounts.demo import DEMO_PASSWORD as PASSWORD  # the demo users sign with it
from accounts.models import User
from workflows import records_services

from . import services
from .models import Deviation

REPORTER, QA, MANAGER = "user@example.com", "qa@example.com", "qa.manager@example.com"

UNDER_INVESTIGATION = "Torn seal on filling line 1"
CLOSED = "Pallet without batch label in the warehouse"
REPORTED = "Temperature excursion in cold room 2"


def _answers(title, description, *, area, category, severity, immediate_action, product="", batch="", procedure=None):
    return {
        "event": {
            "title": title,
            "description": description,
            "occurred_at": "2025-03-03",
            "area": area,
            **({"procedure": procedure} if procedure else {}),
        },
        "classification": {"category": category, "severity": severity},
        "product": {"product": product, "batch": batch},
        "immediate_action": {"immediate_action": immediate_action, "product_quarantined": bool(product)},
    }


def seed(stdout) -> None:
    """Makes the demo deviations that do not exist yet and writes one line per demo deviation."""
    users = {u.username: u for u in User.objects.filter(username__in=[REPORTER, QA, MANAGER], is_active=True)}
    reporter, qa, manager = users.get(REPORTER), users.get(QA), users.get(MANAGER)
    if not (reporter and qa and manager):
        return
    existing = set(Deviation.objects.filter(title__in=[UNDER_INVESTIGATION, CLOSED, REPORTED]).values_list("title", flat=True))

    if UNDER_INVESTIGATION not in existing:
        from documents.models import Document

        sop = Document.objects.filter(number="SOP-0001", effective_version__isnull=False).first()
        deviation = services.report_deviation(
            actor=reporter,
            form_data=_answers(
                UNDER_INVESTIGATION,
                "During the filling of batch B24-0117 the seal of 6 vials at station 4 was torn. Noticed at the "
                "in-process check at 10:40.",
                area="Production: filling line 1",
                category="Equipment",
                severity="High",
                product="Amoxicillin 500 mg vials",
                batch="B24-0117",
                immediate_action="Line stopped, the 6 vials and the last 200 filled vials quarantined.",
                procedure=[sop.number] if sop else None,
            ),
        )
        records_services.transition_record(actor=qa, record=deviation, name="start_investigation", comment="Taken on by QA.")
        deviation.refresh_from_db()
        services.update_deviation(
            actor=qa,
            deviation=deviation,
            changes={
                "owner": qa,
                "impact_assessment": "206 vials quarantined; no other batch filled since the last format change.",
            },
            reason="Investigation started",
            row_version=deviation.row_version,
        )

    if CLOSED not in existing:
        deviation = services.report_deviation(
            actor=reporter,
            form_data=_answers(
                CLOSED,
                "Pallet 12 of the goods receipt of 3 March had no batch label.",
                area="Warehouse",
                category="Materials",
                severity="Low",
                immediate_action="Pallet put on hold until identified.",
            ),
        )
        records_services.transition_record(actor=qa, record=deviation, name="start_investigation")
        deviation.refresh_from_db()
        services.update_deviation(
            actor=qa,
            deviation=deviation,
            changes={
                "owner": qa,
                "impact_assessment": "Pallet identified from the delivery note; no material was used.",
                "root_cause": "The supplier's labeller failed on one pallet; the receiving check caught it as intended.",
                "root_cause_method": "five_whys",
                "capa_required": False,
                "capa_decision_rationale": "Single supplier slip caught by our own control; reported to the supplier.",
            },
            reason="Investigation completed",
            row_version=deviation.row_version,
        )
        records_services.transition_record(actor=qa, record=deviation, name="submit_for_review")
        records_services.approve_record(
            actor=manager, record=deviation, password=PASSWORD, comment="Root cause and decision confirmed."
        )

    if REPORTED not in existing:
        services.report_deviation(
            actor=reporter,
            form_data=_answers(
                REPORTED,
                "The cold room 2 temperature log shows 9.1 °C for 25 minutes overnight (limit 8 °C).",
                area="Warehouse",
                category="Facilities and environment",
                severity="Medium",
                immediate_action="Goods kept in the room; QA informed.",
            ),
        )

    stdout.write("  Demo deviations")
    for deviation in Deviation.objects.filter(title__in=[UNDER_INVESTIGATION, CLOSED, REPORTED]).order_by("number"):
        stdout.write(f"  {deviation.number:<14} {deviation.status:<20} {deviation.severity:<8} {deviation.title}")
    stdout.write("")
