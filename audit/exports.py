"""Audit trail exports: CSV streamed row by row (constant memory) and a paginated PDF report.

Both take a queryset of AuditEvent already filtered by the caller (audit.services.export_trail)
and end with the signed statement of the chain head at export time (audit.checkpoints): in the
CSV, after an empty line, a header row `checkpoint_sequence,...` and one row of values; in the
PDF, a paragraph under the title.
`signature_manifestation_flowable(signature)` renders the §11.50 manifestation block for any
reportlab PDF (document renditions, training records, CAPA reports).
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterable, Iterator
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .canonical import canonical_json, utc_iso

# (CSV header, model field)
CSV_COLUMNS = [
    ("sequence", "sequence"),
    ("id", "id"),
    ("timestamp", "timestamp"),
    ("user_id", "actor_id"),
    ("username", "actor_username"),
    ("user_full_name", "actor_full_name"),
    ("action", "action"),
    ("resource_type", "resource_type"),
    ("resource_id", "resource_id"),
    ("subject_type", "subject_type"),
    ("subject_id", "subject_id"),
    ("summary", "summary"),
    ("reason", "reason"),
    ("old_values", "old_values"),
    ("new_values", "new_values"),
    ("ip_address", "ip_address"),
    ("request_id", "request_id"),
    ("user_agent", "user_agent"),
    ("previous_hash", "previous_hash"),
    ("hash", "hash"),
    ("hash_version", "hash_version"),
    ("key_id", "key_id"),
    ("context", "context"),
]
STATEMENT_COLUMNS = ["sequence", "head_hash", "created_at", "key_id", "signature"]
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_BUFFER_BYTES = 64 * 1024


class _Echo:
    """A file-like object whose write returns the line, so csv.writer produces strings one at a time."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return utc_iso(value)
    if isinstance(value, (dict, list)):
        return canonical_json(value)
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value  # keep spreadsheets from executing cell content as a formula
    return value


def csv_stream(queryset, *, chunk_size: int = 2000, statement: dict | None = None) -> Iterator[str]:
    """Yields the CSV in pieces of about 64 KB; rows are read with a server-side iterator. The signed
    `statement` of the chain head closes the file (after an empty line, its own header and row)."""
    writer = csv.writer(_Echo())
    buffer = [writer.writerow([header for header, _ in CSV_COLUMNS])]
    size = len(buffer[0])
    fields = [field for _, field in CSV_COLUMNS]
    for row in queryset.values_list(*fields).iterator(chunk_size=chunk_size):
        line = writer.writerow([_csv_cell(v) for v in row])
        buffer.append(line)
        size += len(line)
        if size >= CSV_BUFFER_BYTES:
            yield "".join(buffer)
            buffer, size = [], 0
    if statement:
        buffer += [
            "\r\n",
            writer.writerow([f"checkpoint_{name}" for name in STATEMENT_COLUMNS]),
            writer.writerow([statement.get(name, "") for name in STATEMENT_COLUMNS]),
        ]
    if buffer:
        yield "".join(buffer)


# --- PDF ------------------------------------------------------------------------------------------

PDF_COLUMNS = [
    ("Seq", 14 * mm),
    ("Time (UTC)", 33 * mm),
    ("User", 34 * mm),
    ("Action", 24 * mm),
    ("Record", 27 * mm),
    ("Summary", 62 * mm),
    ("Changes (old -> new)", 52 * mm),
    ("Reason", 26 * mm),
]
PDF_ROWS_PER_TABLE = 100


class _NumberedCanvas(pdf_canvas.Canvas):
    """Draws "Page N of M" and a footer line once the total page count is known."""

    footer_text = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved_pages: list[dict] = []

    def showPage(self):  # noqa: N802 (reportlab API)
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._saved_pages)
        for state in self._saved_pages:
            self.__dict__.update(state)
            self.setFont("Helvetica", 7.5)
            self.setFillColor(colors.grey)
            width, _ = self._pagesize
            self.drawString(12 * mm, 8 * mm, self.footer_text)
            self.drawRightString(width - 12 * mm, 8 * mm, f"Page {self._pageNumber} of {total}")
            super().showPage()
        super().save()


def signature_manifestation_flowable(signature) -> Table:
    """The manifestation block of one signature for a reportlab story: printed name, date and time
    with time zone, meaning (and reason when given)."""
    styles = getSampleStyleSheet()
    style = ParagraphStyle("manifestation", parent=styles["BodyText"], fontSize=9, leading=12)
    when = utc_iso(signature.signed_at)[:19].replace("T", " ") + " UTC"
    lines = [
        f"<b>{escape(signature.printed_name)}</b> ({escape(signature.signer_username)})",
        f"Signed {when}",
        f"Meaning: <b>{escape(signature.meaning)}</b> - {escape(signature.intent)}",
    ]
    if signature.reason:
        lines.append(f"Reason: {escape(signature.reason)}")
    return Table(
        [[Paragraph("<br/>".join(lines), style)]],
        colWidths=[120 * mm],
        style=TableStyle(
            [
                ("LINEBEFORE", (0, 0), (0, -1), 3, colors.HexColor("#1f5fa8")),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#f3f7fc")),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ]
        ),
        hAlign="LEFT",
    )


def _p(text, style) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _changes_text(old: dict | None, new: dict | None) -> str:
    old, new = old or {}, new or {}
    lines = []
    for key in list(old) + [k for k in new if k not in old]:
        before = canonical_json(old.get(key)) if key in old else ""
        after = canonical_json(new.get(key)) if key in new else ""
        if key in old and key in new:
            lines.append(f"{key}: {before} -> {after}")
        elif key in new:
            lines.append(f"{key}: {after}")
        else:
            lines.append(f"{key}: {before} (removed)")
    text = "\n".join(lines)
    return text if len(text) <= 1500 else text[:1500] + " ..."


def pdf_report(
    events: Iterable,
    *,
    total: int,
    filters: dict,
    exporter: str,
    generated_at: datetime.datetime,
    title: str = "Audit trail export",
    signatures: Iterable = (),
    statement: dict | None = None,
) -> bytes:
    """A landscape A4 report: title, filters applied, generation time, exporter, events, page numbers.

    `signatures` (a single record's export) are printed first as §11.50 manifestation blocks."""
    styles = getSampleStyleSheet()
    cell = ParagraphStyle("cell", parent=styles["BodyText"], fontSize=7, leading=8.5)
    head = ParagraphStyle("head", parent=cell, fontName="Helvetica-Bold", textColor=colors.white)
    meta = ParagraphStyle("meta", parent=styles["BodyText"], fontSize=9, leading=12)
    generated = utc_iso(generated_at).replace("+00:00", " UTC").replace("T", " ")
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=15 * mm,
        title=title,
        author=exporter,
        subject="QMS audit trail",
    )
    filter_text = ", ".join(f"{k} = {v}" for k, v in filters.items()) or "none (all events)"
    story = [
        Paragraph(escape(title), styles["Title"]),
        _p(f"Generated: {generated}", meta),
        _p(f"Exported by: {exporter}", meta),
        _p(f"Filters applied: {filter_text}", meta),
        _p(f"Events: {total}", meta),
    ]
    if statement:
        story.append(
            _p(
                f"Chain checkpoint: sequence {statement['sequence']}, head hash {statement['head_hash']}, "
                f"signed {statement['created_at']} with audit key {statement['key_id']}: {statement['signature']}",
                meta,
            )
        )
    story.append(Spacer(1, 4 * mm))
    signatures = list(signatures)
    if signatures:
        story.append(Paragraph("Electronic signatures", styles["Heading2"]))
        for signature in signatures:
            story += [signature_manifestation_flowable(signature), Spacer(1, 2 * mm)]
        story.append(Paragraph("Audit trail", styles["Heading2"]))
    header = [_p(name, head) for name, _ in PDF_COLUMNS]
    widths = [width for _, width in PDF_COLUMNS]
    table_style = TableStyle(
        [
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#14263f")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c5cad3")),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f3f5f8")]),
            ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ]
    )
    rows: list[list] = []

    def flush():
        if rows:
            story.append(Table([header, *rows], colWidths=widths, repeatRows=1, style=table_style))
            rows.clear()

    for event in events:
        record = event.resource_type + (f" {event.resource_id}" if event.resource_id is not None else "")
        if (event.subject_type, event.subject_id) not in (("", None), (event.resource_type, event.resource_id)):
            record += f" (of {event.subject_type} {event.subject_id})"
        rows.append(
            [
                _p(event.sequence, cell),
                _p(utc_iso(event.timestamp)[:19].replace("T", " "), cell),
                _p(event.actor_display, cell),
                _p(event.action, cell),
                _p(record, cell),
                _p(event.summary, cell),
                _p(_changes_text(event.old_values, event.new_values), cell),
                _p(event.reason, cell),
            ]
        )
        if len(rows) >= PDF_ROWS_PER_TABLE:
            flush()
    flush()
    if total == 0:
        story.append(_p("No audit events match the filters.", meta))

    class Canvas(_NumberedCanvas):
        footer_text = f"QMS audit trail export - generated {generated} by {exporter}"

    doc.build(story, canvasmaker=Canvas)
    return buffer.getvalue()
