"""The assistant page in headless Chromium: ask about a selected document, read the answer labelled
as a suggestion with a citation linking to the document; hidden when the assistant is off."""

import pytest

from conftest import PASSWORD
from search.tests.helpers import make_document, make_effective

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def sign_in(page, username):
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=logout]")


@pytest.fixture
def people(make_user):
    return {
        "author": make_user("Admin", username="author"),
        "qa": make_user("QA", username="qa"),
        "manager": make_user("QA Manager", username="manager"),
        "reader": make_user("User", username="reader"),
    }


def test_ask_about_a_document_and_follow_the_citation(
    browser_page, fake_openai, people, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    sop = make_document(
        django_capture_on_commit_callbacks,
        author=people["author"],
        title="Cleaning of the filling line",
        pages=[["Purpose: no residue remains."], ["Rinse with purified water until the conductivity is below 5 uS/cm."]],
    )
    make_effective(django_capture_on_commit_callbacks, sop, author=people["author"], qa=people["qa"], manager=people["manager"])

    page = browser_page
    sign_in(page, people["reader"].username)
    page.click("nav >> text=Assistant")
    page.fill("#id_message", "What is the rinse conductivity limit?")
    page.select_option("#id_context_documents", str(sop.pk))
    page.click("[data-testid=chat-form] button[type=submit]")
    page.wait_for_selector("[data-testid=chat-assistant]")

    assert fake_openai.default_text in page.inner_text("[data-testid=chat-assistant]")
    assert "suggestion" in page.inner_text("[data-testid=ai-suggestion]").lower()
    citation = page.locator("[data-testid=citation-link]").first
    assert sop.number in citation.inner_text() and "page 2" in citation.inner_text()
    assert page.locator("[data-testid=conversation-list] li").count() == 1
    citation.click()
    page.wait_for_url(f"**/documents/{sop.pk}/")


def test_the_assistant_is_hidden_when_it_is_not_configured(browser_page, people):
    page = browser_page
    sign_in(page, people["reader"].username)
    assert page.locator("nav >> text=Assistant").count() == 0
    page.goto("/assistant/")
    assert page.locator("[data-testid=ai-disabled]").is_visible()
