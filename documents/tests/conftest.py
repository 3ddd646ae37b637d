"""Fixtures for the documents tests: an isolated media root, users for the default approval rules,
file builders (real PDF and DOCX made here), helpers to drive the API, and a headless browser."""

import io
import os

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls of the browser test
# happen in that thread too (the root conftest sets this as well).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root) -> list[str]:
    if not os.path.exists(root):
        return []
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


# --- files ---------------------------------------------------------------------------------------


def make_pdf(lines: list[str], pages: int = 1) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for page in range(pages):
        y = 800
        for line in lines:
            pdf.drawString(72, y, f"{line}" if page == 0 else f"{line} (page {page + 1})")
            y -= 18
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def make_docx(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_png() -> bytes:
    return (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
        b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
    )


@pytest.fixture
def pdf_bytes():
    return make_pdf(["Cleaning of the filling line", "Step 1: remove product residues"], pages=2)


# --- users ---------------------------------------------------------------------------------------


@pytest.fixture
def author(make_user):
    return make_user("QA", username="author", full_name="Ann Author")


@pytest.fixture
def manager(make_user):
    return make_user("QA Manager", username="manager", full_name="Mia Manager")


@pytest.fixture
def reviewer(make_user):
    return make_user("QA", username="reviewer", full_name="Rob Reviewer")


# --- API helpers -----------------------------------------------------------------------------------


def upload(client, content: bytes, name: str = "cleaning.pdf", **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"title": "Cleaning of the filling line", "document_type": 1, "category": "Production", **fields}
    data["file"] = SimpleUploadedFile(name, content)
    return client.post("/api/documents/upload", data, format="multipart")


@pytest.fixture
def api(client_for, django_capture_on_commit_callbacks):
    """`api(user)` is an authenticated APIClient whose on-commit callbacks (text extraction) run."""

    class Wrapped:
        def __init__(self, user):
            self.client = client_for(user)
            self.user = user

        def __getattr__(self, name):
            method = getattr(self.client, name)

            def call(*args, **kwargs):
                with django_capture_on_commit_callbacks(execute=True):
                    return method(*args, **kwargs)

            return call

    return Wrapped


def approve(client, doc_id: int, password: str, **extra):
    return client.post(f"/api/documents/{doc_id}/approve", {"password": password, **extra}, format="json")


def transition(client, doc_id: int, name: str, **extra):
    return client.post(f"/api/documents/{doc_id}/transition", {"transition": name, **extra}, format="json")


# --- browser -----------------------------------------------------------------------------------------


@pytest.fixture
def documents_browser_page(browser_page):
    """The project's shared headless Chromium (root conftest: /usr/bin/chromium, one Playwright per
    session; skipped with a message when Chromium is missing unless QMS_REQUIRE_BROWSER=1)."""
    return browser_page
