"""Deviations under concurrency (PostgreSQL row locks): reports made at the same moment get
consecutive numbers without gaps, also when some of them roll back after taking their number; two
updates based on the same row_version: exactly one wins, the other gets 409 VERSION_CONFLICT."""

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from deviations import services
from deviations.models import Deviation
from qms.errors import VersionConflict

from .factories import DeviationFactory, report_answers

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite has no concurrent row locks"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def run_together(work, arguments) -> list:
    """Runs work(*args) for each args in threads started at the same moment; returns results or exceptions."""
    barrier = threading.Barrier(len(arguments))
    results: list = [None] * len(arguments)

    def run(index, args):
        try:
            barrier.wait()
            results[index] = work(*args)
        except BaseException as exc:  # noqa: BLE001 - the caller asserts on it
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, args)) for i, args in enumerate(arguments)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_reports_get_gap_free_numbers(monkeypatch):
    reporters = [UserFactory(role_name="User", username=f"floor{n}") for n in range(6)]
    real = services._links_from_answers

    def failing_after_the_number(deviation, actor):
        if deviation.title.startswith("Rollback"):
            raise LookupError("failed inside the report's transaction")
        return real(deviation, actor)

    monkeypatch.setattr(services, "_links_from_answers", failing_after_the_number)

    def report(reporter, n):
        made = []
        for i in range(4):
            title = f"{'Rollback' if (n + i) % 3 == 0 else 'Report'} {n}-{i}"
            try:
                made.append(services.report_deviation(actor=reporter, form_data=report_answers(title=title)).number)
            except LookupError:
                pass
        return made

    results = run_together(report, [(reporter, n) for n, reporter in enumerate(reporters)])
    assert not [r for r in results if isinstance(r, BaseException)], results
    numbers = sorted(number for made in results for number in made)
    year = timezone.localdate().year
    assert numbers == [f"DEV-{year}-{k:04d}" for k in range(1, len(numbers) + 1)], "consecutive, no gaps, no duplicates"
    assert Deviation.objects.count() == len(numbers) == 16 and not Deviation.objects.filter(title__startswith="Rollback").exists()


def test_two_updates_from_the_same_row_version_exactly_one_wins():
    deviation = DeviationFactory(state="under_investigation")
    investigators = [UserFactory(role_name="QA", username=f"inv{n}") for n in range(2)]
    read = deviation.row_version

    def update(actor, title):
        return services.update_deviation(
            actor=actor, deviation=deviation, changes={"title": title}, reason="Clearer title", row_version=read
        )

    results = run_together(update, [(investigators[0], "Title A"), (investigators[1], "Title B")])
    winners = [r for r in results if isinstance(r, Deviation)]
    losers = [r for r in results if isinstance(r, VersionConflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    stored = Deviation.objects.get(pk=deviation.pk)
    assert stored.title == winners[0].title and stored.row_version == read + 1
    assert losers[0].extra["current_row_version"] == read + 1
    assert AuditEvent.objects.filter(resource_type="deviation", resource_id=deviation.pk, action="update").count() == 1
