"""A CAPA's whole story in headless Chromium: QA raises it from a deviation's page, the QA Manager
approves the draft plan with an electronic signature, the action's owner completes it on the CAPA's
page, QA records an effective review with an electronic signature, and the QA Manager closes it
with an electronic signature; the deviation's page shows the CAPA and its status."""

import pytest

from capa.models import Capa
from conftest import PASSWORD
from deviations.tests.factories import DeviationFactory
from documents.tests.test_browser import sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def state(page) -> str:
    return page.inner_text("[data-testid=capa-status]").strip()


def sign(page, dialog_selector: str, reason: str = "") -> None:
    dialog = page.locator(dialog_selector)
    dialog.locator("[name=password]").fill(PASSWORD)
    if reason:
        dialog.locator("[name=reason]").fill(reason)
    dialog.locator("button[type=submit]").click()


@pytest.mark.requirement("QMS-CAPA-DRAFT", "QMS-CAPA-ACTIONS", "QMS-CAPA-EFFECTIVENESS", "QMS-CAPA-LINKS")
def test_raise_from_a_deviation_complete_the_actions_record_an_effective_review_and_close(browser_page, make_user):
    page = browser_page
    make_user("User", username="fred", full_name="Fred Floor")
    quinn = make_user("QA", username="quinn", full_name="Quinn Quality")
    make_user("QA Manager", username="max", full_name="Max Manager")
    deviation = DeviationFactory(state="under_investigation", investigator=quinn, title="Torn seal at station 4")

    # QA raises the CAPA from the deviation's page: pre-filled and linked.
    sign_in(page, "quinn")
    page.goto(f"/deviations/{deviation.pk}/")
    page.click("[data-testid=raise-capa]")
    page.wait_for_selector("[data-testid=from-deviation]")
    assert deviation.number in page.input_value("[name=title]")
    page.click("[data-testid=capa-submit]")
    page.wait_for_selector("[data-testid=capa-number]")
    number = page.inner_text("[data-testid=capa-number]")
    assert number.startswith("CAPA-") and state(page) == "Draft"
    assert deviation.number in page.inner_text("[data-testid=linked-deviations]")
    detail_url = page.url
    sign_out(page)

    # The QA Manager approves the plan with an electronic signature: the CAPA is open at once.
    sign_in(page, "max")
    page.goto(detail_url)
    page.click("button[data-signature-open=approve-draft-dialog]")
    dialog = page.locator("#approve-draft-dialog")
    assert dialog.locator("[data-testid=signature-printed-name]").inner_text() == "Max Manager"
    assert "CAPA plan approval" in dialog.locator("[data-testid=signature-intent]").input_value()
    sign(page, "#approve-draft-dialog", "Plan is sound")
    page.wait_for_selector("text=is approved with your electronic signature")
    assert state(page) == "Open"
    sign_out(page)

    # QA starts the work and assigns an action to Fred.
    sign_in(page, "quinn")
    page.goto(detail_url)
    page.click("[data-testid=transition-start_work] button")
    page.wait_for_selector("text=is now in progress")
    assert state(page) == "In progress"
    form = page.locator("[data-testid=action-form]")
    form.locator("[name=description]").fill("Fit a guide to the seal roll holder")
    form.locator("[name=owner]").select_option(label="Fred Floor")
    form.locator("[name=due_date]").fill("2099-12-31")
    page.click("[data-testid=action-add]")
    page.wait_for_selector("text=Action 1 added")
    sign_out(page)

    # Fred completes his own action with its evidence.
    sign_in(page, "fred")
    page.goto(detail_url)
    page.fill("[data-testid=evidence-1]", "Guide fitted on 3 March, checked by maintenance.")
    page.click("[data-testid=complete-button-1]")
    page.wait_for_selector("text=Action 1 is done")
    assert page.inner_text("[data-testid=action-1] [data-testid=action-status]") == "Done"
    sign_out(page)

    # QA submits it for the effectiveness check and records an effective review with a signature.
    sign_in(page, "quinn")
    page.goto(detail_url)
    page.click("[data-testid=transition-submit_for_effectiveness] button")
    page.wait_for_selector("text=is now pending effectiveness")
    review = page.locator("[data-testid=review-form]")
    review.locator("[name=planned_date]").fill("2025-06-01")
    review.locator("[name=method]").fill("No torn seal at the in-process checks for three months")
    page.click("[data-testid=review-add]")
    page.wait_for_selector("text=Effectiveness review 1 planned")
    page.click("[data-testid=record-open-1]")
    dialog = page.locator("[data-testid=record-dialog-1]")
    dialog.locator("[name=result]").select_option("effective")
    dialog.locator("[name=evidence]").fill("In-process checks of March to May: no torn seal.")
    sign(page, "[data-testid=record-dialog-1]")
    page.wait_for_selector("text=recorded with your electronic signature")
    assert page.inner_text("[data-testid=review-1] [data-testid=review-result]") == "Effective"
    sign_out(page)

    # The QA Manager closes it with an electronic signature.
    sign_in(page, "max")
    page.goto(detail_url)
    page.click("button[data-signature-open=approve-dialog]")
    sign(page, "#approve-dialog", "Actions done and effective")
    page.wait_for_selector("text=Approved with your electronic signature")
    assert state(page) == "Closed"
    signatures = page.inner_text("[data-testid=signatures]")
    assert "Max Manager" in signatures and "Quinn Quality" in signatures

    # The deviation's page shows the CAPA with its status.
    page.goto(f"/deviations/{deviation.pk}/")
    linked = page.inner_text(f"[data-testid=linked-from-{number}]")
    assert "Closed" in linked

    capa = Capa.objects.get(number=number)
    assert capa.status == "closed" and capa.closed_at is not None
    assert capa.deviation_links.get().deviation == deviation
