"""Gap-free numbers for controlled records: `DEV-2026-0001` (yearly) or `SOP-0001` (running).

    with transaction.atomic():
        number = next_number("DEV")                   # DEV-2026-0001, DEV-2026-0002, ...
        number = next_number("SOP", yearly=False)     # SOP-0001, ...

The counter row is locked (SELECT ... FOR UPDATE) and advanced inside the caller's transaction,
the one that creates the numbered record: concurrent callers wait for each other, and a
transaction that rolls back gives its number back, so numbers are never skipped nor reused.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .models import NumberSequence


def next_number(prefix: str, *, yearly: bool = True, year: int | None = None, width: int = 4) -> str:
    """The next number of `prefix` (this year's sequence unless `year` is given). Must run inside
    the transaction that stores the number."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must run inside the transaction that creates the numbered record.")
    if not prefix:
        raise ValueError("A number needs a prefix.")
    key = (year or timezone.localdate().year) if yearly else 0
    # The row may not exist yet: create it without failing when a concurrent caller just did.
    NumberSequence.objects.bulk_create([NumberSequence(prefix=prefix, year=key)], ignore_conflicts=True)
    sequence = NumberSequence.objects.select_for_update().get(prefix=prefix, year=key)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    digits = f"{sequence.last:0{width}d}"
    return f"{prefix}-{key}-{digits}" if yearly else f"{prefix}-{digits}"


def last_number(prefix: str, *, yearly: bool = True, year: int | None = None) -> int:
    """How many numbers the sequence has handed out (0 when none yet); for display only."""
    key = (year or timezone.localdate().year) if yearly else 0
    return NumberSequence.objects.filter(prefix=prefix, year=key).values_list("last", flat=True).first() or 0


def advance_past(prefix: str, number: str, *, yearly: bool = True) -> None:
    """Makes sure `next_number(prefix)` never hands out `number`, a number given to a record from
    outside (a document imported with its legacy number SOP-0042 moves the running SOP sequence to
    at least 42). Numbers of another shape are left alone. Inside the transaction that stores it."""
    import re

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("advance_past must run inside the transaction that creates the numbered record.")
    pattern = rf"{re.escape(prefix)}-(\d{{4}})-(\d+)" if yearly else rf"{re.escape(prefix)}-(\d+)"
    match = re.fullmatch(pattern, number)
    if match is None:
        return
    key, value = (int(match.group(1)), int(match.group(2))) if yearly else (0, int(match.group(1)))
    NumberSequence.objects.bulk_create([NumberSequence(prefix=prefix, year=key)], ignore_conflicts=True)
    sequence = NumberSequence.objects.select_for_update().get(prefix=prefix, year=key)
    if sequence.last < value:
        sequence.last = value
        sequence.save(update_fields=["last"])
