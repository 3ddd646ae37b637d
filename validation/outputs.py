"""The validation report as a file: HTML (a self-contained page), PDF (reportlab) or JSON (what the
Validation page reads)."""

from __future__ import annotations

import json
from io import BytesIO
from xml.sax.saxutils import escape

from django.template.loader import render_to_string

from .report import FAIL, GAP, NOT_RUN, PASS, ValidationReport

STATUS_COLOURS = {PASS: "#1b7f3b", FAIL: "#b3261e", NOT_RUN: "#8a6d00", GAP: "#5f6368"}


def context(report: ValidationReport | dict) -> dict:
    data = report.as_dict() if isinstance(report, ValidationReport) else report
    return {"report": data, "colours": STATUS_COLOURS}


def to_html(report: ValidationReport) -> bytes:
    return render_to_string("validation/report_document.html", context(report)).encode()


def to_json(report: ValidationReport) -> bytes:
    return json.dumps(report.as_dict(), indent=1).encode()


def to_pdf(report: ValidationReport) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    data = report.as_dict()
    styles = getSampleStyleSheet()
    cell = ParagraphStyle("cell", parent=styles["BodyText"], fontSize=7, leading=8.5)
    meta = ParagraphStyle("meta", parent=styles["BodyText"], fontSize=9, leading=12)

    def p(text: str, style=cell) -> Paragraph:
        return Paragraph(escape(str(text)), style)

    summary = data["summary"]
    totals = data["totals"]
    story = [
        Paragraph("QMS validation report: requirements traceability matrix", styles["Title"]),
        p(f"Product version {data['product_version']}, commit {data['commit']}", meta),
        p(f"Generated {data['generated_at']} (UTC) from {data['junit_file']} (SHA-256 {data['junit_sha256']})", meta),
        p(
            f"Tests: {totals['tests']} ({totals['passed']} passed, {totals['failed']} failed, {totals['error']} errors, "
            f"{totals['skipped']} skipped; {totals['traced']} traced to requirements). Requirements: {summary[PASS]} pass, "
            f"{summary[FAIL]} fail, {summary[NOT_RUN]} not run, {summary[GAP]} gaps.",
            meta,
        ),
        Spacer(1, 4 * mm),
    ]
    rows = [[p("Requirement"), p("Title and text"), p("Tests and results"), p("Status")]]
    style = [
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eaed")),
    ]
    # One table row per test (a requirement with many tests would not fit one page); the requirement
    # and its status are named on its first row.
    for row in data["rows"]:
        requirement = row["requirement"]
        tests = [f"{t['outcome'].upper()}: {t['name']}" for t in row["tests"]] or ["no test: gap"]
        first = len(rows)
        for offset, test in enumerate(tests):
            rows.append(
                [
                    p(f"{requirement['id']} ({requirement['source']})") if offset == 0 else "",
                    p(f"{requirement['title']}: {requirement['text']}") if offset == 0 else "",
                    p(test),
                    p(row["status"]) if offset == 0 else "",
                ]
            )
        style.append(("TEXTCOLOR", (3, first), (3, first), colors.HexColor(STATUS_COLOURS[row["status"]])))
    table = Table(rows, colWidths=[32 * mm, 90 * mm, 130 * mm, 18 * mm], repeatRows=1)
    table.setStyle(TableStyle(style))
    story.append(table)
    if data["unknown"]:
        story += [Spacer(1, 4 * mm), p("Tests naming requirements that are not in the catalogue:", meta)]
        story += [p(f"{test}: {requirement}") for test, requirement in data["unknown"]]

    def page_number(canvas, document):
        canvas.setFont("Helvetica", 7)
        canvas.drawRightString(285 * mm, 8 * mm, f"Page {document.page}")

    out = BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=14 * mm,
        title="QMS validation report",
        author="QMS",
    ).build(story, onFirstPage=page_number, onLaterPages=page_number)
    return out.getvalue()


WRITERS = {".html": to_html, ".htm": to_html, ".pdf": to_pdf, ".json": to_json}
