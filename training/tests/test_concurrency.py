"""Races that row locks settle (PostgreSQL): two registrations for the last seat, the same
read-and-understood rollout delivered twice at once, one person completing twice at once."""

import threading

import pytest
from django.db import connection, connections

from conftest import PASSWORD
from documents.models import DocumentType
from qms.errors import DomainError
from training import services
from training.models import Assignment, Completion, Registration

from .factories import AssignmentFactory, ProgramFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite has no concurrent row locks"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def race(calls) -> list:
    """Runs the calls in threads released together; returns each result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_people_racing_for_the_last_seat_one_gets_it(make_user):
    program = ProgramFactory(requires_signature=False, max_participants=1)
    a, b = make_user("User", username="a"), make_user("User", username="b")

    results = race(
        [
            lambda: services.register_for_training(actor=a, program=program),
            lambda: services.register_for_training(actor=b, program=program),
        ]
    )

    assert sum(isinstance(r, Registration) for r in results) == 1, results
    loser = next(r for r in results if not isinstance(r, Registration))
    assert isinstance(loser, DomainError) and loser.error_code == "SESSION_FULL"
    assert Registration.objects.count() == 1


def test_the_same_rollout_delivered_twice_at_once_assigns_once(effective_document, admin_user, make_user):
    readers = [make_user("User", username=f"reader{i}") for i in range(5)]
    version = effective_document().effective_version  # its own rollout found no audience yet
    services.set_training_audience(actor=admin_user, document_type=DocumentType.objects.get(code="SOP"), roles=[readers[0].role])

    results = race([lambda: services.assign_read_and_understood(version=version)] * 2)

    assert not any(isinstance(r, BaseException) for r in results), results
    assert sorted(len(r.created) for r in results) == [0, 5]
    assert Assignment.objects.filter(document_version=version).count() == 5


def test_completing_twice_at_once_records_one_completion(basic_user):
    program = ProgramFactory()
    AssignmentFactory(user=basic_user, program=program)

    results = race([lambda: services.complete_training(actor=basic_user, program=program, password=PASSWORD)] * 2)

    assert sum(isinstance(r, Assignment) for r in results) == 1, results
    assert any(isinstance(r, DomainError) and r.error_code == "ALREADY_COMPLETED" for r in results)
    assert Completion.objects.count() == 1
