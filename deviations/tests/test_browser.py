"""A QA Manager changes the deviation report form in headless Chromium: adds a field to the active
form (which makes draft v2), previews it as a reporter sees it (server-side messages next to the
fields, the htmx document picker), and publishes it."""

import re

import pytest

from deviations.models import FormStatus, FormTemplate
from documents.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_qa_manager_adds_a_field_previews_and_publishes(browser_page, make_user, effective_document):
    page = browser_page
    make_user("QA Manager", username="forms.manager", full_name="Fran Forms")
    sign_in(page, "forms.manager")

    page.click("nav >> text=Deviation forms")
    page.click("text=Standard deviation report")
    assert page.inner_text("[data-testid=form-title]") == "Standard deviation report v1"
    assert "Your first change makes draft v2" in page.inner_text("[data-testid=new-version-notice]")

    # Add a required field to the "Product & batch" section.
    form = page.locator("[data-testid=add-field-form]")
    form.locator("[data-testid=add-field-section]").select_option(label="Product & batch")
    form.locator("input[name=new-field-key]").fill("equipment_id")
    form.locator("input[name=new-field-label]").fill("Equipment ID")
    form.locator("select[name=new-field-type]").select_option("text")
    form.locator("input[name=new-field-regex]").fill(r"EQ-\d{3}")
    form.locator("input[name=new-field-regex_message]").fill("Equipment IDs look like EQ-123.")
    form.locator("input[name=new-field-required]").check()
    form.locator("[data-testid=add-field-submit]").click()
    page.wait_for_selector("text=Saved as draft v2")
    assert page.inner_text("[data-testid=form-title]") == "Standard deviation report v2"
    assert page.locator("[data-testid=field-equipment_id]").is_visible()

    # Preview: the new field is there; checking empty answers shows messages next to the fields.
    page.click("[data-testid=preview-link]")
    equipment = page.locator('[data-field="product.equipment_id"]')
    assert "Equipment ID" in equipment.inner_text()
    page.fill('[name="product.equipment_id"]', "line 4")
    page.click("[data-testid=check-answers]")
    page.wait_for_selector('[data-testid="error-event.title"]')
    assert page.inner_text('[data-testid="error-event.title"]') == "This field is required."
    assert page.inner_text('[data-testid="error-product.equipment_id"]') == "Equipment IDs look like EQ-123."

    # The document picker searches by title and fills in the number.
    page.fill('[data-testid="picker-search-event.procedure"]', "filling")
    page.click("[data-testid=picker-option-SOP-0001]")
    assert page.input_value('[name="event.procedure"]') == "SOP-0001"

    page.fill('[name="event.title"]', "Torn seal on line 4")
    page.fill('[name="event.description"]', "The seal tore at station 4.")
    page.fill('[name="event.occurred_at"]', "2025-03-01")
    page.select_option('[name="event.area"]', "Packaging")
    page.select_option('[name="classification.category"]', "Equipment")
    page.select_option('[name="classification.severity"]', "High")
    page.fill('[name="product.equipment_id"]', "EQ-104")
    page.fill('[name="immediate_action.immediate_action"]', "Line stopped, product quarantined.")
    page.click("[data-testid=check-answers]")
    page.wait_for_selector("[data-testid=answers-valid]")

    # Publish v2: it becomes the reporting form, v1 is retired.
    page.click("[data-testid=back-to-editor]")
    page.fill(
        "[data-testid=publish-form] textarea[name=reason], [data-testid=publish-form] input[name=reason]", "Equipment ID needed"
    )
    page.click("[data-testid=publish-submit]")
    page.wait_for_selector("text=is now the deviation report form")
    assert page.inner_text("[data-testid=form-status]") == "Active"
    assert re.search(r"v1\s+\(retired\)", page.inner_text("[data-testid=versions]"))

    standard = FormTemplate.objects.filter(name="Standard deviation report")
    assert dict(standard.values_list("version", "status")) == {1: FormStatus.RETIRED, 2: FormStatus.ACTIVE}
