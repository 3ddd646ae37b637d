"""The search page in headless Chromium: the navigation search box, hits with highlighted
passages and pages, links to the records; a reader never sees a draft."""

import pytest

from conftest import PASSWORD

from .helpers import make_document, make_effective

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def sign_in(page, username):
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=logout]")


def test_a_reader_searches_from_the_navigation_box(browser_page, django_capture_on_commit_callbacks, author, qa, manager, reader):
    capture = django_capture_on_commit_callbacks
    sop = make_document(
        capture,
        author=author,
        title="Cleaning of the filling line",
        pages=[["Purpose: no residue remains."], ["Rinse with purified water until the conductivity is below 5 uS/cm."]],
    )
    make_effective(capture, sop, author=author, qa=qa, manager=manager)
    make_document(capture, author=author, title="Rinse water recall draft", text="Draft: rinse water recall of batch 42.")

    page = browser_page
    sign_in(page, reader.username)
    page.fill("[data-testid=nav-search] input[name=q]", "rinse conductivity")
    page.press("[data-testid=nav-search] input[name=q]", "Enter")
    page.wait_for_selector("[data-testid=search-results]")

    hits = page.locator("[data-testid=search-hit]")
    assert hits.count() == 1  # the draft is not there
    assert sop.number in hits.first.inner_text() and "page 2" in hits.first.inner_text()
    assert page.locator("[data-testid=hit-snippet] mark").first.inner_text().lower() in ("rinse", "conductivity")
    assert "1 result" in page.inner_text("[data-testid=search-summary]")
    hits.first.locator("[data-testid=hit-link]").click()
    page.wait_for_url(f"**/documents/{sop.pk}/")
