"""Running an import: the plumbing every import command shares.

    table → (run opened, audited) → rows in batches: [transaction: each row in its own savepoint,
    inside audit_context(import_run, row, source)] → loader's second pass → error report → run
    closed with its counts (audited) → summary; exit status 1 when any row failed.

- A failing row rolls back its savepoint only: it never leaves half a record, and the other rows of
  its batch are kept. `--batch-size` rows share one transaction (commit cost), each row its savepoint.
- `--dry-run` runs every row through the same services inside one transaction that is rolled back
  at the end (later rows see the earlier ones, e.g. version 2.0 of a document after 1.0), writes
  the error report and records no run: nothing in the database changes, the audit trail included.
  Files written to storage during a dry run (or by a batch whose commit failed) are removed again.
- Every audit event written for a row carries `{"import_run", "row", "source"}` (audit.context).
- Events (text extraction, indexing, notifications) are queued in the outbox, never handled inline:
  without a broker they wait for the periodic sweep (`manage.py process_outbox`).
- Progress: a bar (tqdm) when stderr is a terminal, else a plain line every 10% or 10 seconds.
- The error report (row, field, message) is written as CSV next to the input
  (`<name>.errors-run<id>.csv`, `<name>.errors-dry-run.csv`) and kept in file storage for the
  import-runs page.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction

from audit.context import audit_context
from qms.celery import app as celery_app
from qms.errors import DomainError, InvalidInputs
from qms.events import dispatch_later

from . import services
from .reading import CellError, Row, Table, UnreadableFile, csv_text, describe

logger = logging.getLogger("qms.imports")

CREATED, UPDATED, SKIPPED, FAILED = "created", "updated", "skipped", "failed"
OUTCOMES = (CREATED, UPDATED, SKIPPED, FAILED)
ERROR_COLUMNS = ["row", "field", "message"]


class RowFailed(Exception):
    """Raised by a loader for a row it refuses; carries every (field, message) problem of the row."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


@dataclass
class Problem:
    row: int | str
    field: str
    message: str


class Loader:
    """What one kind of import does with a row. Subclasses set `kind`, `required_columns` (and
    `known_columns` for a warning about unknown ones) and implement `load(row)`, returning
    CREATED, UPDATED or SKIPPED; they raise CellError/RowFailed/DomainError for a bad row. Files a row
    writes to storage go to `self.written` (removed again if the row's transaction is rolled back
    with its batch). `finish()` is a second pass after every row (e.g. links by legacy number),
    reporting through `self.problem(...)`."""

    kind: str = ""
    required_columns: tuple[str, ...] = ()
    optional_columns: tuple[str, ...] = ()

    def __init__(self, *, actor, options: dict, dry_run: bool = False):
        self.actor = actor
        self.options = options
        self.dry_run = dry_run
        self.written: list[str] = []
        self.problems: list[Problem] = []

    def check_headers(self, headers: list[str]) -> list[str]:
        missing = [c for c in self.required_columns if c not in headers]
        return [f"Missing column {c!r}." for c in missing]

    def prepare(self, table: Table) -> None:
        """Before the first row (e.g. read a mapping file)."""

    def rows(self, table: Table) -> Iterable[Row]:
        """The rows in the order they are loaded (default: the file's)."""
        return table.rows()

    def load(self, row: Row) -> str:
        raise NotImplementedError

    def finish(self) -> None:
        """After the last row, inside the last transaction (rolled back with it in a dry run)."""

    def problem(self, row, field: str, message: str) -> None:
        self.problems.append(Problem(row, field, message))


def problems_of(error: Exception) -> list[tuple[str, str]]:
    """(field, message) pairs of a refused row, whatever raised it."""
    if isinstance(error, RowFailed):
        return error.problems
    if isinstance(error, CellError):
        return [(error.field, error.message)]
    if isinstance(error, InvalidInputs):
        # The last element of the location is the field (a form field's key is also its column).
        return [(str(loc[-1]) if loc else "", msg) for loc, msg, _ in error.problems]
    if isinstance(error, DomainError):
        return [(getattr(error, "field", None) or "", str(error.detail))]
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return [(name, " ".join(m for e in errors for m in e.messages)) for name, errors in error.error_dict.items()]
        return [("", " ".join(error.messages))]
    return [("", f"{type(error).__name__}: {error}")]


class Progress:
    def __init__(self, *, total: int, label: str, stream, enabled: bool = True, bar: bool | None = None):
        self.total, self.label, self.stream, self.enabled = total, label, stream, enabled
        self.done = 0
        self.bar = None
        self._last_line, self._last_percent = time.monotonic(), -1
        use_bar = bar if bar is not None else sys.stderr.isatty()
        if enabled and use_bar:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=label, unit="row", file=sys.stderr)

    def advance(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(n)
            return
        percent = self.done * 100 // self.total if self.total else 100
        now = time.monotonic()
        if percent // 10 > self._last_percent // 10 or now - self._last_line >= 10:
            self._last_percent, self._last_line = percent, now
            self.stream.write(f"{self.label}: {self.done}/{self.total} rows ({percent}%)\n")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@dataclass
class ImportResult:
    run: object | None
    total: int
    counts: Counter = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    error_report_path: Path | None = None
    dry_run: bool = False

    @property
    def failed(self) -> int:
        return self.counts[FAILED]

    @property
    def ok(self) -> bool:
        """No row failed and the second pass found nothing wrong."""
        return not self.counts[FAILED] and not self.problems

    def summary(self) -> str:
        head = "Dry run (nothing was changed)" if self.dry_run else f"Import run {self.run.pk}"
        text = (
            f"{head}: {self.total} rows, {self.counts[CREATED]} created, {self.counts[UPDATED]} updated, "
            f"{self.counts[SKIPPED]} skipped, {self.counts[FAILED]} failed"
        )
        if self.problems:
            text += f"; {len(self.problems)} problems in {self.error_report_path}"
        return text


class _Rollback(Exception):
    pass


def batches(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def run_import(
    *,
    loader: Loader,
    path,
    actor,
    command: str,
    dry_run: bool = False,
    batch_size: int = 100,
    stdout=None,
    progress: bool = True,
    progress_bar: bool | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> ImportResult:
    """Loads every row of `path` with `loader` as `actor` (see the module docstring)."""
    stdout = stdout or sys.stdout
    path = Path(path)
    table = Table(path, encoding=encoding, delimiter=delimiter, sheet=sheet)
    header_problems = loader.check_headers(table.headers)
    if header_problems:
        raise UnreadableFile(f"{path.name}: " + " ".join(header_problems), field="file")
    loader.prepare(table)
    source = describe(path)
    total = table.count()
    stdout.write(f"{path.name}: {table.describe()}, {total} rows, sha256 {source.sha256[:12]}…\n")
    run = None if dry_run else services.start_run(actor=actor, kind=loader.kind, source=source, command=command)
    result = ImportResult(run=run, total=total, dry_run=dry_run)
    meter = Progress(
        total=total, label=f"{loader.kind}{' (dry run)' if dry_run else ''}", stream=stdout, enabled=progress, bar=progress_bar
    )
    message = ""
    try:
        # Without a broker, dispatching an event after commit runs its handlers right here (text
        # extraction, indexing): a bulk load leaves them in the outbox for the sweep instead.
        deferred = dispatch_later() if celery_app.conf.task_always_eager else nullcontext()
        with deferred, audit_context(import_run=run.pk if run else None, source=path.name):
            if dry_run:
                _dry_run(loader, table, result, meter)
            else:
                for batch in batches(loader.rows(table), max(1, batch_size)):
                    _commit_batch(loader, batch, result, meter)
                with transaction.atomic():
                    loader.finish()
    except KeyboardInterrupt:
        message = "Interrupted: the rows committed before the interruption stay loaded; run again to load the rest."
        raise
    except Exception as exc:
        message = f"Aborted: {type(exc).__name__}: {exc}"
        raise
    finally:
        meter.close()
        result.problems.extend(loader.problems)
        report_name = _write_error_report(path, result)
        if run is not None:
            result.run = services.finish_run(
                actor=actor,
                run=run,
                counts=dict(result.counts),
                total=total,
                error_report_path=str(result.error_report_path or ""),
                error_report=report_name,
                message=message,
            )
    return result


def _load_row(loader: Loader, row: Row, result: ImportResult) -> str:
    """One row in its own savepoint: its outcome, or FAILED with its problems recorded."""
    with audit_context(row=row.number):
        try:
            with transaction.atomic():
                outcome = loader.load(row)
        except (CellError, RowFailed, DomainError, ValidationError, DatabaseError) as exc:
            for field_name, message in problems_of(exc):
                result.problems.append(Problem(row.number, field_name, message))
            return FAILED
    return outcome


def _commit_batch(loader: Loader, batch: list[Row], result: ImportResult, meter: Progress) -> None:
    outcomes: list[tuple[Row, str]] = []
    problems_before = len(result.problems)
    loader.written = []
    try:
        with transaction.atomic():
            for row in batch:
                outcomes.append((row, _load_row(loader, row, result)))
                meter.advance()
    except DatabaseError as exc:
        # The batch's commit failed: none of its rows is loaded; their files go again.
        _remove_written(loader)
        del result.problems[problems_before:]
        for row in batch:
            result.problems.append(Problem(row.number, "", f"Not loaded: the batch's transaction failed ({exc})."))
        result.counts[FAILED] += len(batch)
        meter.advance(len(batch) - len(outcomes))
        return
    for _row, outcome in outcomes:
        result.counts[outcome] += 1


def _dry_run(loader: Loader, table: Table, result: ImportResult, meter: Progress) -> None:
    loader.written = []
    try:
        with transaction.atomic():
            for row in loader.rows(table):
                result.counts[_load_row(loader, row, result)] += 1
                meter.advance()
            loader.finish()
            raise _Rollback
    except _Rollback:
        pass
    finally:
        _remove_written(loader)


def _remove_written(loader: Loader) -> None:
    from qms.files import delete_quietly

    for name in loader.written:
        delete_quietly(name)
    loader.written = []


def _write_error_report(path: Path, result: ImportResult) -> str:
    """Writes the problems next to the input (and a copy to file storage); returns the storage name."""
    if not result.problems:
        return ""
    label = "dry-run" if result.dry_run else f"run{result.run.pk}"
    content = csv_text([ERROR_COLUMNS] + [[p.row, p.field, p.message] for p in result.problems])
    target = path.with_name(f"{path.stem}.errors-{label}.csv")
    try:
        target.write_text(content, encoding="utf-8-sig")
        result.error_report_path = target
    except OSError as exc:
        logger.warning("error report not written next to %s: %s", path, exc)
    if result.dry_run:
        return ""
    name = default_storage.save(f"imports/errors/run-{result.run.pk}.csv", ContentFile(content.encode("utf-8-sig")))
    if result.error_report_path is None:
        result.error_report_path = Path(default_storage.path(name)) if hasattr(default_storage, "path") else None
    return name
