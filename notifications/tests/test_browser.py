"""A QA Manager signs in, sees the bell count of the document waiting for them, opens the
notification, lands on the document and approves it with the signature dialog; the bell empties."""

import pytest

from conftest import PASSWORD
from deviations.tests.conftest import upload_document
from documents import services as document_services

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.requirement("QMS-NOTIFICATIONS"),
]


def test_the_qa_manager_follows_the_bell_to_the_approval(browser_page, author, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document = upload_document(author, "Cleaning of the filling line")
        document_services.transition_document(actor=author, document=document, name="submit")
    page = browser_page
    page.goto("/login/")
    page.fill("#id_username", manager.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=logout]")

    assert page.inner_text("[data-testid=bell-count]") == "1"
    page.click("[data-testid=notification-bell]")
    row = page.locator("[data-testid=notification-list] li").first
    assert f"{document.number} waits for your approval" in row.inner_text()
    row.locator("[data-testid=open-link]").click()
    page.wait_for_url(f"**/documents/{document.pk}/")
    assert page.inner_text("[data-testid=bell-count]") == "0"  # opening it marked it read

    page.click("button[data-signature-open=approve-dialog]")
    dialog = page.locator("#approve-dialog")
    dialog.locator("[data-testid=signature-password]").fill(PASSWORD)
    dialog.locator("[data-testid=signature-reason]").fill("Checked")
    dialog.locator("[data-testid=signature-submit]").click()
    page.wait_for_selector("text=Approved with your electronic signature")
