"""Demo CAPAs for `manage.py seed_demo` (idempotent: each is made once, by title), made through the
services as the demo users would, so numbers, workflow history, signatures and the audit trail are
real:

- a draft CAPA waiting for the QA Manager's plan approval (sign in as qa.manager@ and approve it);
- an open CAPA raised from the demo deviation under investigation, its plan approved, with one
  action done by the User and one overdue (its due date is put in the past, as if time had passed);
- a closed CAPA: actions done, an effectiveness review recorded as effective with QA's electronic
  signature, closed with the QA Manager's electronic signature.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD as PASSWORD  # the demo users sign with it
from accounts.models import User
from workflows import records_services

from . import services
from .models import Capa, CapaAction

EMPLOYEE, QA, MANAGER = "user@example.com", "qa@example.com", "qa.manager@example.com"

DRAFT = "Label reconciliation at the packaging station"
OPEN = "Seal roll handling on filling line 1"
CLOSED = "Cold room 2 door alarm"
DEVIATION_TITLE = "Torn seal on filling line 1"


def _days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def seed(stdout) -> None:
    """Makes the demo CAPAs that do not exist yet and writes one line per demo CAPA."""
    users = {u.username: u for u in User.objects.filter(username__in=[EMPLOYEE, QA, MANAGER], is_active=True)}
    employee, qa, manager = users.get(EMPLOYEE), users.get(QA), users.get(MANAGER)
    if not (employee and qa and manager):
        return
    existing = set(Capa.objects.filter(title__in=[DRAFT, OPEN, CLOSED]).values_list("title", flat=True))

    if DRAFT not in existing:
        services.create_capa(
            actor=qa,
            title=DRAFT,
            description="Two label reconciliations in May did not balance (2 and 5 labels missing).",
            capa_type="both",
            source="audit_finding",
            source_reference="Internal audit IA-2025-04, finding 3",
            priority="medium",
            owner=qa,
            due_date=_days(60),
        )

    if OPEN not in existing:
        from deviations.models import Deviation

        deviation = Deviation.objects.filter(title=DEVIATION_TITLE).first()
        fields = {"title": OPEN, "owner": qa, "due_date": _days(40)}
        if deviation is not None:
            capa = services.raise_from_deviation(actor=qa, deviation=deviation, **fields)
        else:
            capa = services.create_capa(actor=qa, description="Torn seals after format changes.", source="deviation", **fields)
        services.approve_draft(actor=manager, capa=capa, password=PASSWORD, comment="Plan approved.")
        records_services.transition_record(actor=qa, record=Capa.objects.get(pk=capa.pk), name="start_work")
        done = services.add_action(
            actor=qa, capa=capa, description="Retrain the operators on loading the seal roll", owner=employee, due_date=_days(7)
        )
        services.complete_action(actor=employee, action=done, evidence="Training given to both shifts on the line (TR-0117).")
        late = services.add_action(
            actor=qa, capa=capa, description="Fit a guide to the seal roll holder", owner=employee, due_date=_days(1)
        )
        with transaction.atomic():  # as if the date had passed: the action is overdue
            CapaAction.objects.filter(pk=late.pk).update(due_date=_days(-3), original_due_date=_days(-3))

    if CLOSED not in existing:
        capa = services.create_capa(
            actor=qa,
            title=CLOSED,
            description="The door alarm of cold room 2 did not sound during a 25-minute excursion.",
            source="trend",
            priority="high",
            root_cause="The alarm relay had failed; it was not in the preventive maintenance plan.",
            owner=qa,
            due_date=_days(30),
        )
        services.approve_draft(actor=manager, capa=capa, password=PASSWORD)
        records_services.transition_record(actor=qa, record=Capa.objects.get(pk=capa.pk), name="start_work")
        action = services.add_action(
            actor=qa, capa=capa, description="Add the alarm relay to the maintenance plan", owner=qa, due_date=_days(5)
        )
        services.complete_action(actor=qa, action=action, evidence="Maintenance plan MP-12 revision 4 includes the relay.")
        records_services.transition_record(actor=qa, record=Capa.objects.get(pk=capa.pk), name="submit_for_effectiveness")
        review = services.create_review(
            actor=qa, capa=capa, planned_date=timezone.localdate(), method="Monthly alarm test passes three months in a row."
        )
        services.record_effectiveness(
            actor=qa, review=review, result="effective", evidence="Alarm tests of March, April and May passed.", password=PASSWORD
        )
        records_services.approve_record(actor=manager, record=Capa.objects.get(pk=capa.pk), password=PASSWORD)

    stdout.write("  Demo CAPAs")
    for capa in Capa.objects.filter(title__in=[DRAFT, OPEN, CLOSED]).order_by("number"):
        stdout.write(f"  {capa.number:<15} {capa.status:<22} {capa.title}")
    stdout.write("")
