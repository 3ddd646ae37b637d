"""Read and understood in headless Chromium: a User signs in, sees the read-and-understood item for
the effective SOP, opens the document, completes the item with the electronic signature dialog,
and the training matrix then shows them qualified."""

import pytest

from conftest import PASSWORD
from documents.models import DocumentType
from documents.tests.test_browser import sign_in, sign_out
from training import services
from training.models import TrainingProgram

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.requirement("QMS-TRAINING")
def test_a_user_reads_understands_and_becomes_qualified(browser_page, make_user, effective_document, admin_user):
    page = browser_page
    reader = make_user("User", username="uma", full_name="Uma User")
    make_user("QA Manager", username="quinn", full_name="Quinn Manager")
    services.set_training_audience(actor=admin_user, document_type=DocumentType.objects.get(code="SOP"), roles=[reader.role])
    document = effective_document()
    services.assign_read_and_understood(version=document.effective_version)
    program = TrainingProgram.objects.get(read_and_understood_document=document)

    # The item is on My training, behind the navigation entry.
    sign_in(page, "uma")
    page.click("nav >> text=Training")
    item = page.locator("[data-testid=open-training] .group").first
    assert document.number in item.inner_text()
    assert item.locator("[data-testid=document-version]").inner_text() == "1.0"

    # Open the document, then come back and confirm with the e-signature.
    item.locator("[data-testid=open-document]").click()
    page.wait_for_selector("[data-testid=document-number]")
    assert page.inner_text("[data-testid=document-number]") == document.number
    assert page.inner_text("[data-testid=effective-version]") == "1.0"
    page.go_back()
    page.locator("[data-testid=open-training] [data-testid=signature-open]").first.click()
    dialog = page.locator("dialog[open]")
    assert dialog.locator("[data-testid=signature-printed-name]").inner_text() == "Uma User"
    assert "Training completion" in dialog.locator("[data-testid=signature-meaning]").inner_text()
    assert f"read and understood {document.number} version 1.0" in dialog.locator("[data-testid=signature-intent]").input_value()
    dialog.locator("[data-testid=signature-password]").fill(PASSWORD)
    dialog.locator("[data-testid=signature-submit]").click()
    page.wait_for_selector("text=completed with your electronic signature")
    assert page.locator("[data-testid=nothing-open]").is_visible()
    history = page.inner_text("[data-testid=training-history]")
    assert "Uma User" in history and "Training completion" in history
    sign_out(page)

    # The matrix shows her qualified.
    sign_in(page, "quinn")
    page.goto("/training/matrix/")
    cell = page.locator(f"[data-testid=cell-uma-{program.pk}]")
    assert cell.get_attribute("data-status") == "qualified"
    assert "cell-qualified" in cell.get_attribute("class")
