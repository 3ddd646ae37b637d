"""PDF renditions of document versions for printed copies (documents.copies).

    body = rendition(version)                        # the file as PDF pages
    pdf = stamped_copy(body=body, stamp=..., closing_pages=...)

A PDF is used page by page as stored (pypdf); DOCX (python-docx), Markdown and plain text are
typeset with reportlab; PNG and JPEG become one page each. Every page then gets the copy's stamp
(header and footer bands; the page's content is scaled to fit between them, so nothing of it is
covered), and the signature and revision-history pages are appended and stamped too.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.generic import RectangleObject
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from qms.errors import Conflict

from . import files, rendering
from .error_codes import ErrorCode


class NoRendition(Conflict):
    error_code = ErrorCode.NO_RENDITION


def rendition(version) -> bytes:
    """The version's file as PDF bytes."""
    with files.open_stored(version.file.name) as handle:
        data = handle.read()
    mime = version.mime_type
    title = version.document.title
    if mime == "application/pdf":
        return data
    if mime == files.DOCX:
        return rendering.to_pdf(docx_to_markdown(data), title=title)
    if mime == "text/markdown":
        return rendering.to_pdf(_text(data), title=title)
    if mime == "text/plain":
        return _plain_text_pdf(_text(data), title=title)
    if mime in ("image/png", "image/jpeg"):
        return _image_pdf(data, title=title)
    raise NoRendition(
        f"A printed copy cannot be made of a {version.original_filename} file ({mime}); print copies of PDF, DOCX, "
        "text, Markdown or image versions."
    )


def _text(data: bytes) -> str:
    return data.decode("utf-8-sig", errors="replace")


def docx_to_markdown(data: bytes) -> str:
    """The paragraphs (headings and list items kept) and tables of a DOCX, in document order."""
    import docx
    from docx.table import Table as DocxTable
    from docx.text.paragraph import Paragraph as DocxParagraph

    document = docx.Document(io.BytesIO(data))
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, DocxParagraph):
            text = block.text.strip()
            if not text:
                continue
            style = (block.style.name if block.style is not None else "") or ""
            if style.startswith("Heading") and style[-1:].isdigit():
                lines.append(f"{'#' * int(style[-1])} {text}")
            elif style.startswith("Title"):
                lines.append(f"# {text}")
            elif "List" in style:
                lines.append(f"- {text}")
            else:
                lines.append(text)
        elif isinstance(block, DocxTable):
            for row in block.rows:
                lines.append(" | ".join(cell.text.strip() for cell in row.cells))
        lines.append("")
    return "\n".join(lines) or "(empty document)"


def _plain_text_pdf(text: str, *, title: str) -> bytes:
    styles = getSampleStyleSheet()
    story = []
    for line in text.splitlines() or [""]:
        story.append(Paragraph(rendering._escape(line) or "&nbsp;", styles["Code"]))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=title[:255], author="QMS").build(story)
    return out.getvalue()


def _image_pdf(data: bytes, *, title: str) -> bytes:
    from reportlab.lib.utils import ImageReader

    image = ImageReader(io.BytesIO(data))
    width, height = image.getSize()
    page_width, page_height = A4
    box_width, box_height = page_width - 40 * mm, page_height - 60 * mm
    scale = min(box_width / width, box_height / height, 1.0)
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle(title[:255])
    pdf.drawImage(image, (page_width - width * scale) / 2, (page_height - height * scale) / 2, width * scale, height * scale)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


# --- the closing pages: signatures and revision history ---------------------------------------------------


@dataclass(frozen=True)
class SignatureLine:
    printed_name: str
    username: str
    signed_at: str  # "YYYY-MM-DD HH:MM:SS UTC"
    meaning: str
    intent: str


@dataclass(frozen=True)
class RevisionLine:
    version: str
    status: str
    date: str
    author: str
    change: str


def closing_pages(*, heading: str, signatures: list[SignatureLine], revisions: list[RevisionLine]) -> bytes:
    """The electronic signatures of the version (21 CFR 11.50: printed name, date and time, meaning)
    and the document's revision history, as PDF pages."""
    styles = getSampleStyleSheet()
    cell = styles["BodyText"]
    story = [Paragraph(rendering._escape(heading), styles["Heading2"]), Paragraph("Electronic signatures", styles["Heading3"])]
    if signatures:
        rows = [["Signed by", "Date and time (UTC)", "Meaning", "Statement"]]
        rows += [
            [
                Paragraph(rendering._escape(f"{s.printed_name} ({s.username})"), cell),
                s.signed_at,
                s.meaning,
                Paragraph(rendering._escape(s.intent), cell),
            ]
            for s in signatures
        ]
        story.append(_table(rows, [45 * mm, 38 * mm, 25 * mm, 62 * mm]))
    else:
        story.append(Paragraph("This version carries no electronic signature.", cell))
    story += [Spacer(1, 8 * mm), Paragraph("Revision history", styles["Heading3"])]
    rows = [["Version", "Status", "Date (UTC)", "Author", "Change"]]
    rows += [
        [r.version, r.status, r.date, Paragraph(rendering._escape(r.author), cell), Paragraph(rendering._escape(r.change), cell)]
        for r in revisions
    ]
    story.append(_table(rows, [18 * mm, 24 * mm, 26 * mm, 38 * mm, 64 * mm]))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, topMargin=25 * mm, bottomMargin=25 * mm, title=heading[:255], author="QMS").build(story)
    return out.getvalue()


def _table(rows: list, widths: list) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
            ]
        )
    )
    return table


# --- the stamp -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stamp:
    header: str  # number, title, version, effective date
    status_line: str  # "CONTROLLED COPY — printed by … at …, valid until …" or "UNCONTROLLED COPY — …"
    copy_number: str
    controlled: bool


# Height of the header and footer bands the stamp is printed in (the page's content is scaled to fit between).
BAND = 13 * mm


def _overlay(width: float, height: float, stamp: Stamp, page_number: int, pages: int):
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(width, height))
    pdf.setStrokeColor(colors.lightgrey)
    pdf.line(10 * mm, height - BAND, width - 10 * mm, height - BAND)
    pdf.line(10 * mm, BAND, width - 10 * mm, BAND)
    pdf.setFillColor(colors.black)
    pdf.setFont("Helvetica-Bold", 8)
    pdf.drawString(10 * mm, height - 8 * mm, _fit(stamp.header, width, 8))
    pdf.setFillColor(colors.black if stamp.controlled else colors.red)
    pdf.setFont("Helvetica-Bold", 7.5)
    pdf.drawString(10 * mm, 8 * mm, _fit(stamp.status_line, width, 7.5))
    pdf.setFillColor(colors.black)
    pdf.setFont("Helvetica", 7.5)
    pdf.drawString(10 * mm, 4 * mm, f"Copy {stamp.copy_number} · Page {page_number} of {pages}")
    if not stamp.controlled:
        pdf.saveState()
        pdf.setFillColor(colors.red, alpha=0.15)
        pdf.setFont("Helvetica-Bold", 48)
        pdf.translate(width / 2, height / 2)
        pdf.rotate(45)
        pdf.drawCentredString(0, 0, "UNCONTROLLED COPY")
        pdf.restoreState()
    pdf.showPage()
    pdf.save()
    return PdfReader(io.BytesIO(out.getvalue())).pages[0]


def _fit(text: str, width: float, size: float) -> str:
    """Shortens a stamp line that would not fit the page width (Helvetica is about 0.5 em per character)."""
    room = int((width - 20 * mm) / (size * 0.5))
    return text if len(text) <= room else text[: room - 1] + "…"


def stamped_copy(*, body: bytes, closing: bytes, stamp: Stamp) -> tuple[bytes, int]:
    """The body pages followed by the closing pages, each stamped; returns (PDF bytes, page count).

    Each page's content is scaled down a little into the space between the header and footer bands,
    so the stamp never covers any of it."""
    writer = PdfWriter()
    for source in (body, closing):
        for page in PdfReader(io.BytesIO(source)).pages:
            writer.add_page(page)
    pages = len(writer.pages)
    for number, page in enumerate(writer.pages, start=1):
        page.transfer_rotation_to_content()
        box = page.mediabox
        width, height = float(box.width), float(box.height)
        scale = (height - 2 * BAND) / height
        page.add_transformation(
            Transformation().translate(-float(box.left), -float(box.bottom)).scale(scale).translate(width * (1 - scale) / 2, BAND)
        )
        page.mediabox = page.cropbox = RectangleObject([0, 0, width, height])
        page.merge_page(_overlay(width, height, stamp, number, pages))
    writer.add_metadata({"/Title": stamp.header, "/Subject": stamp.status_line, "/Producer": "QMS"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), pages
