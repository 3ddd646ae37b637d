"""Gap-free numbers for controlled records: yearly (DEV-2026-0001) and running (SOP-0001) sequences,
no number burnt by a rolled-back transaction, none handed out twice under concurrency."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from workflows.models import NumberSequence
from workflows.numbering import last_number, next_number

pytestmark = pytest.mark.django_db


def number(prefix, **kwargs):
    with transaction.atomic():
        return next_number(prefix, **kwargs)


def test_yearly_numbers_restart_each_year_and_running_numbers_do_not():
    year = timezone.localdate().year
    assert [number("DEV"), number("DEV")] == [f"DEV-{year}-0001", f"DEV-{year}-0002"]
    assert number("DEV", year=2031) == "DEV-2031-0001"
    assert number("DEV") == f"DEV-{year}-0003", "each year has its own sequence"
    assert number("CAPA") == f"CAPA-{year}-0001", "each prefix has its own sequence"
    assert [number("WI", yearly=False), number("WI", yearly=False)] == ["WI-0001", "WI-0002"]
    assert number("WI", yearly=False, width=6) == "WI-000003"
    assert last_number("DEV") == 3 and last_number("WI", yearly=False) == 3 and last_number("NONE") == 0


@pytest.mark.requirement("QMS-DOC-NUMBERING")
def test_a_rolled_back_transaction_gives_its_number_back():
    year = timezone.localdate().year
    assert number("DEV") == f"DEV-{year}-0001"
    with pytest.raises(RuntimeError, match="record not saved"), transaction.atomic():
        assert next_number("DEV") == f"DEV-{year}-0002"
        raise RuntimeError("record not saved")
    assert number("DEV") == f"DEV-{year}-0002", "the failed record's number is handed out again: no gap"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_numbers_are_taken_inside_the_creating_transaction():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        next_number("DEV")
    assert not NumberSequence.objects.filter(prefix="DEV").exists()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite has no concurrent row locks")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.requirement("QMS-DOC-NUMBERING")
def test_concurrent_callers_get_consecutive_numbers_without_gaps_or_duplicates():
    """Eight threads, each taking numbers in its own transactions (one in five rolled back) while the
    sequence row does not exist yet: every committed number is distinct and together they are
    1..N with no gap."""
    threads_count, per_thread = 8, 12
    committed: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(threads_count)
    lock = threading.Lock()

    def take(n: int):
        try:
            start.wait()
            for i in range(per_thread):
                try:
                    with transaction.atomic():
                        value = next_number("RACE", year=2030)
                        if (n + i) % 5 == 0:
                            raise LookupError("rolled back")
                    with lock:
                        committed.append(value)
                except LookupError:
                    pass
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors
    assert len(committed) == len(set(committed)), "no number was handed out twice"
    assert sorted(committed) == [f"RACE-2030-{k:04d}" for k in range(1, len(committed) + 1)], "no gaps"
    assert NumberSequence.objects.get(prefix="RACE", year=2030).last == len(committed)
