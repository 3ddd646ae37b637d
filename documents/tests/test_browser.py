"""The document life cycle through the pages in headless Chromium: upload → submit → two approvals
with electronic signatures (the signature dialog) → automatic transition → effective → revise →
approve → effective, the old version superseded; the history shows each step."""

import re

import pytest

from conftest import PASSWORD
from documents.models import Document

from .conftest import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def sign_in(page, username):
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=logout]")


def sign_out(page):
    page.click("[data-testid=logout]")
    page.wait_for_selector("#id_username")


def status(page) -> str:
    return page.inner_text("[data-testid=document-status]").strip()


def approve(page, username, detail_url):
    sign_in(page, username)
    page.goto(detail_url)
    page.click("button[data-signature-open=approve-dialog]")
    dialog = page.locator("#approve-dialog")
    assert dialog.locator("[data-testid=signature-printed-name]").inner_text()
    dialog.locator("[data-testid=signature-password]").fill(PASSWORD)
    dialog.locator("[data-testid=signature-reason]").fill(f"Checked by {username}")
    dialog.locator("[data-testid=signature-submit]").click()
    page.wait_for_selector("text=Approved with your electronic signature")
    sign_out(page)


@pytest.mark.requirement("QMS-DOC-WORKFLOW")
def test_document_life_cycle_in_the_browser(documents_browser_page, make_user, tmp_path):
    page = documents_browser_page
    make_user("QA", username="author", full_name="Ann Author")
    make_user("QA Manager", username="manager", full_name="Mia Manager")
    make_user("QA", username="reviewer", full_name="Rob Reviewer")
    first, second = tmp_path / "cleaning.pdf", tmp_path / "cleaning-rev2.pdf"
    first.write_bytes(make_pdf(["Cleaning of the filling line"]))
    second.write_bytes(make_pdf(["Cleaning of the filling line", "Revision 2"]))

    # Upload.
    sign_in(page, "author")
    page.click("nav >> text=Documents")
    page.click("[data-testid=upload-link]")
    page.set_input_files("input[name=file]", str(first))
    page.fill("input[name=title]", "Cleaning of the filling line")
    page.select_option("select[name=document_type]", label="SOP · Standard Operating Procedure")
    page.fill("input[name=category]", "Production")
    page.click("[data-testid=upload-submit]")
    page.wait_for_selector("[data-testid=document-number]")
    assert page.inner_text("[data-testid=document-number]") == "SOP-0001"
    assert status(page) == "Draft"
    detail_url = page.url

    # Submit for review.
    page.click("[data-testid=transition-submit] button")
    page.wait_for_selector("text=is now in review")
    assert status(page) == "In review"
    sign_out(page)

    # Two approvals with signatures; the second moves the document to approved automatically.
    approve(page, "manager", detail_url)
    approve(page, "reviewer", detail_url)

    sign_in(page, "author")
    page.goto(detail_url)
    assert status(page) == "Approved"
    assert page.locator("[data-testid=signature-manifestation]").count() == 2
    assert "Mia Manager" in page.inner_text("[data-testid=signatures]")
    page.click("[data-testid=transition-make_effective] button")
    page.wait_for_selector("text=is now effective")
    assert status(page) == "Effective"
    assert page.inner_text("[data-testid=effective-version]") == "1.0"

    # Revise: version 2.0 is a draft while 1.0 stays effective.
    page.click("[data-testid=new-version-link]")
    page.set_input_files("input[name=file]", str(second))
    page.fill("textarea[name=change_summary]", "Added revision 2 steps")
    page.click("[data-testid=version-submit]")
    page.wait_for_selector("text=Version 2.0 uploaded")
    assert status(page) == "Draft"
    assert page.inner_text("[data-testid=effective-version]") == "1.0"
    page.click("[data-testid=transition-submit] button")
    page.wait_for_selector("text=is now in review")
    sign_out(page)

    approve(page, "manager", detail_url)
    approve(page, "reviewer", detail_url)

    sign_in(page, "author")
    page.goto(detail_url)
    assert status(page) == "Approved"
    assert page.inner_text("[data-testid=effective-version]") == "1.0"
    page.click("[data-testid=transition-make_effective] button")
    page.wait_for_selector("text=is now effective")
    assert page.inner_text("[data-testid=effective-version]") == "2.0"
    assert page.inner_text("[data-testid=version-1\\.0] [data-testid=version-status]") == "Superseded"
    assert page.inner_text("[data-testid=version-2\\.0] [data-testid=version-status]") == "Effective"
    history = page.inner_text("[data-testid=history]")
    for step in ("transition: submit", "approve", "transition: approve", "transition: make_effective", "transition: supersede"):
        assert step in history
    assert page.locator("[data-testid=signature-manifestation]").count() == 4
    assert re.search(r"Signed \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", page.inner_text("[data-testid=signatures]"))

    # The download link serves the superseded version's exact bytes.
    with page.expect_download() as download_info:
        page.click("[data-testid=version-1\\.0] a")
    assert open(download_info.value.path(), "rb").read() == first.read_bytes()

    document = Document.objects.get()
    assert document.status == "effective" and document.effective_version.version == "2.0"
