"""CAPAs made through the services (numbers, workflow, audit trail and signatures are real), driven
to a state: draft, open (plan approved by a QA Manager), in_progress (work started, one action),
pending_effectiveness (the action done by its owner), closed (an effective review signed and the
QA Manager's closing signature)."""

import datetime

from django.utils import timezone

from accounts.tests.factories import UserFactory
from capa import services
from capa.models import Capa
from conftest import PASSWORD
from workflows import records_services

STATES = ("draft", "open", "in_progress", "pending_effectiveness", "closed")


def due(days: int = 30) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def make_capa(
    *,
    state: str = "draft",
    author=None,
    manager=None,
    owner=None,
    title: str = "Torn seals on the filling line",
    deviation_ids=(),
    document_version_ids=(),
    **fields,
) -> Capa:
    if state not in STATES:
        raise ValueError(f"make_capa makes CAPAs in one of {STATES}, not {state!r}.")
    author = author or UserFactory(role_name="QA")
    owner = owner or author
    capa = services.create_capa(
        actor=author,
        title=title,
        description=fields.pop("description", "Seals tear at station 4 after format changes."),
        source=fields.pop("source", "deviation"),
        owner=owner,
        due_date=fields.pop("due_date", due()),
        deviation_ids=list(deviation_ids),
        document_version_ids=list(document_version_ids),
        **fields,
    )
    steps = STATES.index(state)
    manager = manager or (UserFactory(role_name="QA Manager") if steps else None)
    if steps >= 1 and capa.status == "draft":
        services.approve_draft(actor=manager, capa=capa, password=PASSWORD)
    if steps >= 2:
        records_services.transition_record(actor=author, record=Capa.objects.get(pk=capa.pk), name="start_work")
        action = services.add_action(
            actor=author, capa=capa, description="Retrain the line operators on seal loading", owner=owner, due_date=due(10)
        )
    if steps >= 3:
        services.complete_action(actor=owner, action=action, evidence="Training records TR-17 attached")
        records_services.transition_record(actor=author, record=Capa.objects.get(pk=capa.pk), name="submit_for_effectiveness")
    if steps >= 4:
        review = services.create_review(
            actor=author, capa=capa, planned_date=timezone.localdate(), method="No torn seal in 3 months"
        )
        services.record_effectiveness(actor=author, review=review, result="effective", evidence="0 torn seals", password=PASSWORD)
        records_services.approve_record(actor=manager, record=Capa.objects.get(pk=capa.pk), password=PASSWORD)
    return Capa.objects.get(pk=capa.pk)
