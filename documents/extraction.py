"""Text extraction from stored files: PDF (pypdf), DOCX (python-docx), plain text and Markdown.

Other accepted types (spreadsheets, images) have no text to extract and complete with none.
Errors are raised as ExtractionFailed with a message fit for the version's processing_error.
"""

from __future__ import annotations

from dataclasses import dataclass

from .files import DOCX, TEXT_TYPES


class ExtractionFailed(Exception):
    pass


@dataclass
class Extracted:
    text: str
    page_count: int | None


def extract(fileobj, mime_type: str) -> Extracted:
    try:
        if mime_type == "application/pdf":
            return _pdf(fileobj)
        if mime_type == DOCX:
            return _docx(fileobj)
        if mime_type in TEXT_TYPES:
            return Extracted(text=fileobj.read().decode("utf-8-sig"), page_count=None)
    except ExtractionFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser error means "could not extract"
        raise ExtractionFailed(f"{type(exc).__name__}: {exc}") from exc
    if mime_type.startswith("image/"):
        return Extracted(text="", page_count=1)
    return Extracted(text="", page_count=None)


def _pdf(fileobj) -> Extracted:
    from pypdf import PdfReader

    reader = PdfReader(fileobj)
    if reader.is_encrypted:
        raise ExtractionFailed("The PDF is encrypted; its text cannot be extracted.")
    pages = [page.extract_text() or "" for page in reader.pages]
    # Pages are separated by a form feed (as pdftotext does), so search can tell the page of a passage.
    return Extracted(text="\f".join(p.strip() for p in pages), page_count=len(pages))


def _docx(fileobj) -> Extracted:
    import docx

    document = docx.Document(fileobj)
    parts = [p.text for p in document.paragraphs if p.text.strip()]
    for table in document.tables:
        for row in table.rows:
            cells = [cell.text.strip() for cell in row.cells if cell.text.strip()]
            if cells:
                parts.append(" | ".join(cells))
    return Extracted(text="\n".join(parts).strip(), page_count=None)
