"""Building searchable documents for tests through the real document services (upload → text
extraction → indexing, with the on-commit work run), in a given state."""

from __future__ import annotations

from django.core.files.base import ContentFile

from conftest import PASSWORD
from documents import services as documents
from documents.models import Document, DocumentType
from documents.tests.conftest import make_pdf


def run_on_commit(capture, func, *args, **kwargs):
    with capture(execute=True):
        return func(*args, **kwargs)


def make_document(
    capture,
    *,
    author,
    title: str,
    text: str | None = None,
    pages: list[list[str]] | None = None,
    code: str = "SOP",
    category: str = "Production",
    keywords: str = "",
    description: str = "",
) -> Document:
    """A draft document whose file is Markdown `text`, or a PDF with one list of lines per page."""
    if pages is not None:
        content = ContentFile(_pdf_pages(pages), name=f"{title[:40].lower().replace(' ', '-')}.pdf")
    else:
        content = ContentFile((text or title).encode(), name=f"{title[:40].lower().replace(' ', '-')}.md")
    return run_on_commit(
        capture,
        documents.upload_document,
        actor=author,
        file=content,
        title=title,
        document_type=DocumentType.objects.get(code=code),
        category=category,
        keywords=keywords,
        description=description,
    )


def _pdf_pages(pages: list[list[str]]) -> bytes:
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for lines in pages:
        y = 800
        for line in lines:
            pdf.drawString(72, y, line)
            y -= 18
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def make_effective(capture, document: Document, *, author, qa, manager) -> Document:
    """submit → QA and QA Manager approvals (signed) → make effective, as the demo data does."""
    run_on_commit(capture, documents.transition_document, actor=author, document=document, name="submit", comment="Ready.")
    for approver in (qa, manager):
        document = run_on_commit(
            capture, documents.approve_document, actor=approver, document=document, password=PASSWORD, comment="OK"
        )
    return run_on_commit(
        capture, documents.transition_document, actor=manager, document=document, name="make_effective", comment="Go."
    )


__all__ = ["make_document", "make_effective", "make_pdf", "run_on_commit"]
