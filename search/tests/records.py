"""Deviations and training programs for search tests, made through their own services with the
on-commit work (events → indexing) run, so what the index holds is what production indexes."""

from __future__ import annotations

from conftest import PASSWORD
from deviations import services as deviation_services
from deviations.models import Deviation
from deviations.tests.factories import INVESTIGATION, report_answers
from training import services as training_services
from workflows import records_services

from .helpers import run_on_commit


def report_deviation(capture, *, reporter, title: str, description: str, severity: str = "High", category: str = "Process"):
    answers = report_answers(title=title, description=description, severity=severity, category=category)
    return run_on_commit(capture, deviation_services.report_deviation, actor=reporter, form_data=answers)


def close_deviation(capture, deviation: Deviation, *, qa, manager) -> Deviation:
    """Investigated by `qa`, closed by `manager` with an electronic signature."""
    run_on_commit(capture, records_services.transition_record, actor=qa, record=deviation, name="start_investigation")
    deviation = Deviation.objects.get(pk=deviation.pk)
    run_on_commit(
        capture,
        deviation_services.update_deviation,
        actor=qa,
        deviation=deviation,
        changes=dict(INVESTIGATION),
        reason="Investigation completed",
        row_version=deviation.row_version,
    )
    run_on_commit(capture, records_services.transition_record, actor=qa, record=deviation, name="submit_for_review")
    run_on_commit(capture, records_services.approve_record, actor=manager, record=deviation, password=PASSWORD)
    return Deviation.objects.get(pk=deviation.pk)


def create_program(capture, *, manager, title: str, description: str, status: str = "PUBLISHED", category: str = "GMP"):
    data = {"title": title, "description": description, "category": category, "status": status}
    return run_on_commit(capture, training_services.create_program, actor=manager, data=data)
