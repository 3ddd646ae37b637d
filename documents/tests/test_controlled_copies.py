"""Printed copies: GET /api/documents/{id}/controlled-copy and /copies, and the page button. The PDFs
are read back by text extraction and rendered to PNG (pypdfium2) to catch blank pages."""

import io

import pypdfium2
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pypdf import PdfReader

from audit.models import AuditEvent
from conftest import PASSWORD
from documents import services
from documents.models import ControlledCopy, Document, DocumentType
from documents.tests.conftest import make_docx, make_pdf

pytestmark = pytest.mark.django_db


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def assert_no_blank_page(pdf: bytes) -> None:
    """Each page rendered at 50 dpi has a visible share of non-white pixels."""
    document = pypdfium2.PdfDocument(pdf)
    for index in range(len(document)):
        image = document[index].render(scale=50 / 72).to_pil().convert("L")
        dark = sum(image.histogram()[:200])
        assert dark / (image.width * image.height) > 0.002, f"page {index + 1} is blank"


def effective_document(author, manager, approver, *, name: str, content: bytes, title: str) -> Document:
    document = services.upload_document(
        actor=author, file=SimpleUploadedFile(name, content), title=title, document_type=DocumentType.objects.get(code="SOP")
    )
    services.transition_document(actor=author, document=document, name="submit")
    services.approve_document(actor=manager, document=document, password=PASSWORD, intent="I approve this SOP for use.")
    services.approve_document(actor=approver, document=document, password=PASSWORD)
    services.transition_document(actor=author, document=document, name="make_effective")
    return Document.objects.get(pk=document.pk)


@pytest.fixture
def approver(make_user):
    return make_user("QA", username="approver", full_name="Alex Approver")


@pytest.fixture
def sop(author, manager, approver, pdf_bytes):
    return effective_document(author, manager, approver, name="cleaning.pdf", content=pdf_bytes, title="Cleaning of the line")


@pytest.mark.requirement("ANNEX11.8", "21CFR11.50", "QMS-DOC-COPY")
def test_a_controlled_copy_is_stamped_on_every_page_and_ends_with_signatures_and_history(client_for, sop, basic_user):
    response = client_for(basic_user).get(f"/api/documents/{sop.pk}/controlled-copy")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    number = f"CC-{sop.number}-0001"
    assert response["X-Copy-Number"] == number
    pdf = response.content
    texts = pages_text(pdf)
    assert len(texts) == 3  # the two pages of the file and the signature page
    for index, text in enumerate(texts, start=1):
        assert f"{sop.number} · Cleaning of the line · Version 1.0 · Effective {sop.effective_date.isoformat()}" in text
        assert f"CONTROLLED COPY — printed by {basic_user.full_name} at " in text
        assert "valid until" in text and f"Copy {number} · Page {index} of 3" in text
    assert "Cleaning of the filling line" in texts[0] and "(page 2)" in texts[1]
    closing = texts[2]
    assert "Electronic signatures" in closing and "Revision history" in closing
    assert "Mia Manager (manager)" in closing and "Alex Approver (approver)" in closing
    assert "Approval" in closing and "I approve this SOP for use." in closing and " UTC" in closing
    assert "Initial version" in closing and "Effective" in closing
    assert_no_blank_page(pdf)

    copy = ControlledCopy.objects.get(number=number)
    assert copy.kind == "controlled" and copy.issued_to == basic_user and copy.page_count == 3
    assert (copy.valid_until - copy.issued_at).total_seconds() == 24 * 3600
    event = AuditEvent.objects.get(action="print_copy", resource_id=sop.pk)
    assert event.actor_username == basic_user.username
    assert event.new_values["copy_number"] == number and event.new_values["version"] == "1.0"
    assert event.new_values["sha256"] == response["X-Content-SHA256"] == copy.sha256


@pytest.mark.requirement("ANNEX11.8", "QMS-DOC-COPY")
def test_copies_are_numbered_in_sequence_and_listed_in_the_register(client_for, sop, basic_user, qa_manager):
    reader, manager = client_for(basic_user), client_for(qa_manager)
    reader.get(f"/api/documents/{sop.pk}/controlled-copy")
    manager.get(f"/api/documents/{sop.pk}/controlled-copy")

    register = manager.get(f"/api/documents/{sop.pk}/copies").json()
    assert [c["number"] for c in register["items"]] == [f"CC-{sop.number}-0002", f"CC-{sop.number}-0001"]
    assert register["items"][1]["issued_to"]["username"] == basic_user.username
    assert register["items"][1]["version"] == "1.0" and register["items"][1]["kind"] == "controlled"
    own = reader.get(f"/api/documents/{sop.pk}/copies").json()
    assert [c["number"] for c in own["items"]] == [f"CC-{sop.number}-0001"]  # readers see their own copies


def test_the_copy_is_valid_until_the_next_review_when_that_comes_first(client_for, sop, basic_user, settings):
    settings.CONTROLLED_COPY_VALID_HOURS = 0
    response = client_for(basic_user).get(f"/api/documents/{sop.pk}/controlled-copy")

    copy = ControlledCopy.objects.get(number=response["X-Copy-Number"])
    assert copy.valid_until.date() == sop.next_review_date
    assert f"valid until {sop.next_review_date.isoformat()} 00:00 UTC" in pages_text(response.content)[0]


@pytest.mark.requirement("ANNEX11.8", "QMS-DOC-COPY")
def test_other_versions_print_as_uncontrolled_copies_for_those_who_may_see_them(client_for, author, basic_user, sop, qa_user):
    services.add_version(
        actor=author,
        document=sop,
        file=SimpleUploadedFile("cleaning-v2.pdf", make_pdf(["Revised cleaning steps"])),
        change_summary="New detergent",
    )

    response = client_for(qa_user).get(f"/api/documents/{sop.pk}/controlled-copy?version=2.0")
    assert response.status_code == 200
    texts = pages_text(response.content)
    assert all("UNCONTROLLED COPY — printed by Quinn QA" in text and "Effective not effective" in text for text in texts)
    assert "Revised cleaning steps" in texts[0]
    assert "New detergent" in texts[-1] and "Initial version" in texts[-1]
    assert ControlledCopy.objects.get(number=response["X-Copy-Number"]).valid_until is None
    assert_no_blank_page(response.content)

    hidden = client_for(basic_user).get(f"/api/documents/{sop.pk}/controlled-copy?version=2.0")
    assert hidden.status_code == 404  # readers see the effective version only


def test_a_docx_version_is_rendered_with_its_paragraphs(client_for, author, manager, approver, basic_user):
    docx_sop = effective_document(
        author,
        manager,
        approver,
        name="gowning.docx",
        content=make_docx(["Gowning procedure", "Put on the coverall before entering grade B."]),
        title="Gowning",
    )

    response = client_for(basic_user).get(f"/api/documents/{docx_sop.pk}/controlled-copy")

    assert response.status_code == 200
    texts = pages_text(response.content)
    assert "Put on the coverall before entering grade B." in texts[0]
    assert all("CONTROLLED COPY" in text for text in texts)
    assert_no_blank_page(response.content)


def test_a_markdown_version_is_rendered_too(client_for, author, manager, approver, basic_user):
    md_sop = effective_document(
        author, manager, approver, name="line.md", content=b"# Line clearance\n\n- Remove old labels\n", title="Line clearance"
    )

    texts = pages_text(client_for(basic_user).get(f"/api/documents/{md_sop.pk}/controlled-copy").content)

    assert "Line clearance" in texts[0] and "Remove old labels" in texts[0]


def test_without_an_effective_version_or_the_permission_there_is_no_copy(client_for, author, make_user, pdf_bytes):
    draft = services.upload_document(
        actor=author,
        file=SimpleUploadedFile("d.pdf", pdf_bytes),
        title="Draft",
        document_type=DocumentType.objects.get(code="SOP"),
    )
    no_download = make_user("Auditor", username="aud")
    from accounts import services as account_services

    account_services.set_permission_override(
        actor=None, user=no_download, codename="documents.download", effect="revoke", reason="Test: reading only, no copies"
    )

    assert client_for(author).get(f"/api/documents/{draft.pk}/controlled-copy").json()["error_code"] == "NOT_FOUND"
    assert client_for(author).get(f"/api/documents/{draft.pk}/controlled-copy?version=1.0").status_code == 200
    assert client_for(no_download).get(f"/api/documents/{draft.pk}/controlled-copy?version=1.0").status_code == 403
    assert client_for(author).get(f"/api/documents/{draft.pk}/copies").json()["total"] == 1


def test_the_detail_page_prints_a_controlled_copy(sop, basic_user):
    client = Client()
    client.force_login(basic_user)

    page = client.get(f"/documents/{sop.pk}/").content.decode()
    assert 'data-testid="controlled-copy"' in page
    response = client.get(f"/documents/{sop.pk}/controlled-copy/")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("inline;")
    assert "CONTROLLED COPY" in pages_text(response.content)[0]


def test_the_stamp_never_covers_the_page_s_content():
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from documents import renditions

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.drawString(72, A4[1] - 12, "TOP EDGE LINE")
    pdf.drawString(72, 6, "BOTTOM EDGE LINE")
    pdf.showPage()
    pdf.save()
    stamp = renditions.Stamp(
        header="SOP-0009 · Edge · Version 1.0", status_line="CONTROLLED COPY", copy_number="CC-1", controlled=True
    )

    stamped, pages = renditions.stamped_copy(body=out.getvalue(), closing=make_pdf(["closing"]), stamp=stamp)

    positions = {}

    def visitor(text, cm, tm, font, size):
        if "EDGE LINE" in text:
            positions[text.strip()] = tm[5] * cm[3] + cm[5]  # the baseline's height on the page

    PdfReader(io.BytesIO(stamped)).pages[0].extract_text(visitor_text=visitor)
    assert pages == 2
    assert renditions.BAND < positions["BOTTOM EDGE LINE"] < positions["TOP EDGE LINE"] < A4[1] - renditions.BAND
