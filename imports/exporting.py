"""export_records: records out of the system for backups and migrations, streamed in constant memory.

    documents   one row per document version + the files (files/<number>/<version>/<name>); the
                manifest (manifest.csv / .xlsx; with jsonl also manifest.csv) has the columns
                import_documents reads, with each file's SHA-256, versions in ascending order,
                so exporting and importing gives identical files (checksums verified on import)
    deviations  one row per deviation (number, legacy_number, the fields, state, dates, people)
    training    one row per completion (the columns import_training_records reads, + method, revocation)
    audit       one row per audit event (the audit trail's export columns)
    capa        one row per CAPA (number, legacy_number, the fields, state, the deviations it
                addresses by legacy number: the columns import_capas reads)

Rows are read with server-side iterators in chunks and written as they are read (CSV, JSON lines,
or XLSX through openpyxl's write-only workbook); files are copied in chunks. `--since` keeps the
records changed (documents: versions created, audit: events) since that date. Each type needs its
view permission (audit: audit.export); the export itself is audited.
"""

from __future__ import annotations

import csv
import datetime
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.core.files.storage import default_storage

from audit.canonical import json_safe
from qms.errors import InvalidInput
from qms.permissions import require

from . import services

FORMATS = ("csv", "jsonl", "xlsx")
CHUNK = 500


@dataclass
class ExportType:
    name: str
    permission: str
    columns: list[str]
    rows: Callable[[object, datetime.datetime | None], Iterator[dict]]
    stem: str = ""


# --- documents --------------------------------------------------------------------------------------

DOCUMENT_COLUMNS = [
    "number",
    "title",
    "type",
    "version",
    "state",
    "effective_date",
    "category",
    "keywords",
    "description",
    "owner",
    "change_summary",
    "file",
    "sha256",
    "file_size",
    "mime_type",
    "created_at",
    "created_by",
]


def document_rows(actor, since, *, out: Path | None = None, copied: list | None = None) -> Iterator[dict]:
    from documents.models import DocumentVersion
    from documents.selectors import documents_visible_to

    versions = (
        DocumentVersion.objects.filter(document__in=documents_visible_to(actor))
        .select_related("document", "document__document_type", "document__owner", "created_by")
        .defer("extracted_text", "source_text", "document__description")
        .order_by("document__number", "major", "minor")
    )
    if since:
        versions = versions.filter(created_at__gte=since)
    for version in versions.iterator(chunk_size=CHUNK):
        document = version.document
        relative = f"files/{document.number}/{version.version}/{version.original_filename}"
        if out is not None:
            target = out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with default_storage.open(version.file.name, "rb") as source, open(target, "wb") as sink:
                shutil.copyfileobj(source, sink, 1024 * 1024)
            if copied is not None:
                copied.append(1)
        yield {
            "number": document.number,
            "title": document.title,
            "type": document.document_type.code,
            "version": version.version,
            "state": version.status,
            "effective_date": document.effective_date if document.effective_version_id == version.pk else None,
            "category": document.category,
            "keywords": document.keywords,
            "description": "",
            "owner": document.owner.username,
            "change_summary": version.change_summary,
            "file": relative,
            "sha256": version.sha256,
            "file_size": version.file_size,
            "mime_type": version.mime_type,
            "created_at": version.created_at,
            "created_by": version.created_by.username,
        }


# --- deviations ---------------------------------------------------------------------------------------

DEVIATION_COLUMNS = [
    "number",
    "legacy_number",
    "title",
    "description",
    "occurred_at",
    "discovered_at",
    "area",
    "category",
    "severity",
    "severity_rationale",
    "product",
    "batch",
    "immediate_action",
    "impact_assessment",
    "root_cause",
    "root_cause_method",
    "capa_required",
    "capa_decision_rationale",
    "state",
    "reported_by",
    "reported_on",
    "owner",
    "due_date",
    "closed_on",
]


def deviation_rows(actor, since) -> Iterator[dict]:
    from deviations.selectors import visible_deviations

    deviations = visible_deviations(actor).defer("form_answers", "severity_suggestion").order_by("pk")
    if since:
        deviations = deviations.filter(updated_at__gte=since)
    for d in deviations.iterator(chunk_size=CHUNK):
        yield {
            "number": d.number,
            "legacy_number": d.legacy_number,
            "title": d.title,
            "description": d.description,
            "occurred_at": d.occurred_at,
            "discovered_at": d.discovered_at,
            "area": d.area.name,
            "category": d.category.name,
            "severity": d.severity,
            "severity_rationale": d.severity_rationale,
            "product": d.product,
            "batch": d.batch,
            "immediate_action": d.immediate_action,
            "impact_assessment": d.impact_assessment,
            "root_cause": d.root_cause,
            "root_cause_method": d.root_cause_method,
            "capa_required": d.capa_required,
            "capa_decision_rationale": d.capa_decision_rationale,
            "state": d.status,
            "reported_by": d.reported_by.username,
            "reported_on": d.created_at.date(),
            "owner": d.owner.username if d.owner_id else "",
            "due_date": d.due_date,
            "closed_on": d.closed_at.date() if d.closed_at else None,
        }


# --- training -----------------------------------------------------------------------------------------

TRAINING_COLUMNS = [
    "username",
    "full_name",
    "program",
    "category",
    "completed_on",
    "document_number",
    "document_version",
    "method",
    "recorded_by",
    "expires_at",
    "revoked_at",
    "revocation_reason",
    "comment",
]


def training_rows(actor, since) -> Iterator[dict]:
    from training.models import Completion

    completions = Completion.objects.select_related("user", "program", "recorded_by", "revocation").order_by("completed_at", "pk")
    if since:
        completions = completions.filter(completed_at__gte=since)
    for c in completions.iterator(chunk_size=CHUNK):
        revocation = getattr(c, "revocation", None)
        yield {
            "username": c.user.username,
            "full_name": c.user.full_name,
            "program": c.program_title,
            "category": c.program.category,
            "completed_on": c.completed_at.date(),
            "document_number": c.document_number,
            "document_version": c.document_version_label,
            "method": c.method,
            "recorded_by": c.recorded_by.username,
            "expires_at": c.expires_at,
            "revoked_at": revocation.revoked_at if revocation else None,
            "revocation_reason": revocation.reason if revocation else "",
            "comment": c.comment,
        }


# --- audit trail ----------------------------------------------------------------------------------------


def _audit_columns() -> list[str]:
    from audit.exports import CSV_COLUMNS

    return [header for header, _ in CSV_COLUMNS]


def audit_rows(actor, since) -> Iterator[dict]:
    from audit.exports import CSV_COLUMNS
    from audit.models import AuditEvent

    events = AuditEvent.objects.order_by("sequence")
    if since:
        events = events.filter(timestamp__gte=since)
    fields = [field for _, field in CSV_COLUMNS]
    headers = [header for header, _ in CSV_COLUMNS]
    for values in events.values_list(*fields).iterator(chunk_size=2000):
        yield dict(zip(headers, values, strict=True))


# --- CAPA ---------------------------------------------------------------------------------------------------

CAPA_COLUMNS = [
    "number",
    "legacy_number",
    "title",
    "description",
    "capa_type",
    "source",
    "source_reference",
    "priority",
    "root_cause",
    "owner",
    "due_date",
    "state",
    "deviations",
    "created_on",
    "closed_on",
]


def capa_rows(actor, since) -> Iterator[dict]:
    from capa.models import CapaDeviation
    from capa.selectors import visible_capas

    capas = visible_capas(actor).select_related("owner").order_by("pk")
    if since:
        capas = capas.filter(updated_at__gte=since)
    for chunk in _chunks(capas.iterator(chunk_size=CHUNK), CHUNK):
        links: dict[int, list[str]] = {}
        linked = CapaDeviation.objects.filter(capa__in=[c.pk for c in chunk], removed_at__isnull=True)
        for capa_id, number, legacy in linked.values_list("capa_id", "deviation__number", "deviation__legacy_number"):
            links.setdefault(capa_id, []).append(legacy or number)
        for c in chunk:
            yield {
                "number": c.number,
                "legacy_number": c.legacy_number,
                "title": c.title,
                "description": c.description,
                "capa_type": c.capa_type,
                "source": c.source,
                "source_reference": c.source_reference,
                "priority": c.priority,
                "root_cause": c.root_cause,
                "owner": c.owner.username,
                "due_date": c.due_date,
                "state": c.status,
                "deviations": "; ".join(sorted(links.get(c.pk, []))),
                "created_on": c.created_at.date(),
                "closed_on": c.closed_at.date() if c.closed_at else None,
            }


def _chunks(iterator, size: int):
    chunk = []
    for item in iterator:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- the registry and the writers --------------------------------------------------------------------------

TYPES: dict[str, ExportType] = {
    "documents": ExportType("documents", "documents.view", DOCUMENT_COLUMNS, document_rows, stem="manifest"),
    "deviations": ExportType("deviations", "deviations.view", DEVIATION_COLUMNS, deviation_rows),
    "training": ExportType("training", "training.view", TRAINING_COLUMNS, training_rows),
    "capa": ExportType("capa", "capa.view", CAPA_COLUMNS, capa_rows),
    "audit": ExportType("audit", "audit.export", [], audit_rows),
}


def register_export_type(export_type: ExportType) -> None:
    """Another record module's export (e.g. CAPA)."""
    TYPES[export_type.name] = export_type


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return json.dumps(json_safe(value), ensure_ascii=False, sort_keys=True)
    return value


class _CsvWriter:
    def __init__(self, path: Path, columns: list[str]):
        self.handle = open(path, "w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.handle)
        self.writer.writerow(columns)
        self.columns = columns

    def write(self, row: dict) -> None:
        values = [_cell(row.get(c)) for c in self.columns]
        # keep spreadsheets from executing a cell as a formula
        self.writer.writerow(["'" + v if isinstance(v, str) and v[:1] in ("=", "+", "@") else v for v in values])

    def close(self) -> None:
        self.handle.close()


class _JsonlWriter:
    def __init__(self, path: Path, columns: list[str]):
        self.handle = open(path, "w", encoding="utf-8")
        self.columns = columns

    def write(self, row: dict) -> None:
        self.handle.write(json.dumps({c: json_safe(row.get(c)) for c in self.columns}, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self.handle.close()


class _XlsxWriter:
    """openpyxl's write-only workbook streams rows to a temporary file (constant memory)."""

    def __init__(self, path: Path, columns: list[str]):
        from openpyxl import Workbook

        self.path, self.columns = path, columns
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet("records")
        self.sheet.append(columns)

    def write(self, row: dict) -> None:
        values = []
        for c in self.columns:
            value = _cell(row.get(c))
            if isinstance(value, str) and value[:1] in ("=", "+", "@"):
                value = "'" + value
            values.append(value)
        self.sheet.append(values)

    def close(self) -> None:
        self.workbook.save(self.path)


WRITERS = {"csv": _CsvWriter, "jsonl": _JsonlWriter, "xlsx": _XlsxWriter}


@dataclass
class ExportResult:
    record_type: str
    rows: int
    files: int
    paths: list[Path]


def export_records(
    *, actor, record_type: str, export_format: str, out: Path, since: datetime.datetime | None = None, progress=None
) -> ExportResult:
    """Writes the records of `record_type` to `out` (see the module docstring)."""
    require(actor, "imports.run")
    if record_type not in TYPES:
        raise InvalidInput(f"--type must be one of {', '.join(sorted(TYPES))}.", field="type")
    if export_format not in FORMATS:
        raise InvalidInput(f"--format must be one of {', '.join(FORMATS)}.", field="format")
    spec = TYPES[record_type]
    require(actor, spec.permission)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    columns = spec.columns or _audit_columns()
    stem = spec.stem or record_type
    paths = [out / f"{stem}.{export_format}"]
    writers = [WRITERS[export_format](paths[0], columns)]
    if record_type == "documents" and export_format == "jsonl":
        paths.append(out / "manifest.csv")  # what import_documents reads back
        writers.append(_CsvWriter(paths[1], columns))
    copied: list = []
    rows = document_rows(actor, since, out=out, copied=copied) if record_type == "documents" else spec.rows(actor, since)
    count = 0
    try:
        for row in rows:
            for writer in writers:
                writer.write(row)
            count += 1
            if progress is not None:
                progress(count)
    finally:
        for writer in writers:
            writer.close()
    services.record_export(
        actor=actor,
        record_type=record_type,
        export_format=export_format,
        out=str(out),
        rows=count,
        since=since,
        files=len(copied),
    )
    return ExportResult(record_type=record_type, rows=count, files=len(copied), paths=paths)
