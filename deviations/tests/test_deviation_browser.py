"""A deviation's whole story in headless Chromium: a User reports it through the report form (a
photo in the image field, the procedure found with the htmx document picker), QA takes it on and
records the investigation, and the QA Manager closes it with an electronic signature."""

import pytest

from conftest import PASSWORD
from deviations.models import Deviation
from documents.tests.conftest import make_png
from documents.tests.test_browser import sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def state(page) -> str:
    return page.inner_text("[data-testid=deviation-status]").strip()


@pytest.mark.requirement("QMS-DEVIATIONS")
def test_a_user_reports_qa_investigates_and_the_qa_manager_closes(browser_page, make_user, effective_document):
    page = browser_page
    make_user("User", username="floor.worker", full_name="Fred Floor")
    make_user("QA", username="quinn", full_name="Quinn Quality")
    make_user("QA Manager", username="max", full_name="Max Manager")

    # The User reports it.
    sign_in(page, "floor.worker")
    page.click("nav >> text=Deviations")
    page.click("[data-testid=report-link]")
    page.fill('[name="event.title"]', "Torn seal at station 4")
    page.fill('[name="event.description"]', "Six vials with torn seals found at the in-process check.")
    page.fill('[name="event.occurred_at"]', "2025-03-03")
    page.select_option('[name="event.area"]', "Production: filling line 1")
    page.fill('[data-testid="picker-search-event.procedure"]', "cleaning")
    page.click(f"[data-testid=picker-option-{effective_document.number}]")
    assert page.input_value('[name="event.procedure"]') == effective_document.number
    page.select_option('[name="classification.category"]', "Equipment")
    page.select_option('[name="classification.severity"]', "High")
    page.fill('[name="immediate_action.immediate_action"]', "Line stopped, vials quarantined.")
    page.set_input_files(
        '[name="attachments.photos"]', files=[{"name": "seal.png", "mimeType": "image/png", "buffer": make_png()}]
    )
    page.click("[data-testid=report-submit]")
    page.wait_for_selector("[data-testid=deviation-number]")
    number = page.inner_text("[data-testid=deviation-number]")
    assert number.startswith("DEV-") and state(page) == "Reported"
    assert "seal.png" in page.inner_text("[data-testid=attachments]")
    assert effective_document.number in page.inner_text("[data-testid=links]")
    detail_url = page.url
    sign_out(page)

    # QA takes it on and records the investigation.
    sign_in(page, "quinn")
    page.goto(detail_url)
    page.click("[data-testid=transition-start_investigation] button")
    page.wait_for_selector("text=is now under investigation")
    assert state(page) == "Under investigation"
    page.click("[data-testid=edit-link]")
    page.select_option("[name=owner]", label="Quinn Quality")
    page.fill("[name=impact_assessment]", "206 vials quarantined; no other batch affected.")
    page.fill("[name=root_cause]", "The seal roll was loaded upside down after the format change.")
    page.select_option("[name=root_cause_method]", "five_whys")
    page.select_option("[name=capa_required]", "no")
    page.fill("[name=capa_decision_rationale]", "Isolated handling error, covered by retraining.")
    page.fill("[name=reason]", "Investigation completed")
    page.click("[data-testid=save]")
    page.wait_for_selector("text=saved")
    assert "upside down" in page.inner_text("[data-testid=root-cause]")
    page.click("[data-testid=transition-submit_for_review] button")
    page.wait_for_selector("text=is now qa review")
    assert state(page) == "QA review"
    sign_out(page)

    # The QA Manager closes it with an electronic signature.
    sign_in(page, "max")
    page.goto(detail_url)
    page.click("button[data-signature-open=approve-dialog]")
    dialog = page.locator("#approve-dialog")
    assert dialog.locator("[data-testid=signature-printed-name]").inner_text() == "Max Manager"
    dialog.locator("[data-testid=signature-password]").fill(PASSWORD)
    dialog.locator("[data-testid=signature-reason]").fill("Root cause and CAPA decision confirmed")
    dialog.locator("[data-testid=signature-submit]").click()
    page.wait_for_selector("text=Approved with your electronic signature")
    assert state(page) == "Closed"
    assert "Max Manager" in page.inner_text("[data-testid=signatures]")

    deviation = Deviation.objects.get(number=number)
    assert deviation.status == "closed" and deviation.closed_at is not None and deviation.owner.username == "quinn"
