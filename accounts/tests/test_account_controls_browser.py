"""The account controls in headless Chromium: the idle-timeout warning and the forced password change."""

import pytest

from accounts.tests.test_browser import sign_in
from conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.requirement("21CFR11.10(d)", "ANNEX11.12")
def test_the_idle_warning_counts_down_can_be_dismissed_and_then_ends_the_session(browser_page, make_user, settings):
    settings.SESSION_IDLE_MINUTES = 0.1  # six seconds
    settings.SESSION_IDLE_WARNING_SECONDS = 4
    page = browser_page
    make_user("QA", username="sleepy", full_name="Sam Sleepy")
    sign_in(page, "sleepy", PASSWORD)
    warning = page.get_by_test_id("idle-warning")
    assert warning.is_hidden()

    warning.wait_for(state="visible", timeout=6_000)
    assert "because of inactivity" in warning.inner_text()
    page.get_by_role("button", name="Stay signed in").click()
    warning.wait_for(state="hidden", timeout=3_000)

    page.wait_for_url("**/login/**", timeout=15_000)
    assert page.get_by_text("You were signed out after 0.1 minutes without activity").is_visible()
    page.goto("/documents/")
    assert "/login/" in page.url


@pytest.mark.requirement("21CFR11.300(b)", "ANNEX11.12")
def test_a_password_set_by_someone_else_is_changed_at_first_sign_in(browser_page, make_user):
    page = browser_page
    make_user("QA", username="newcomer", full_name="Nora Newcomer", password_change_required=True)

    sign_in(page, "newcomer", PASSWORD)
    page.wait_for_url("**/password/change/**")
    assert "set by someone else" in page.get_by_test_id("password-change-reason").inner_text()
    page.goto("/documents/")
    page.wait_for_url("**/password/change/**")
    form = page.get_by_test_id("change-password-form")
    form.locator("input[name=current_password]").fill(PASSWORD)
    form.locator("input[name=new_password]").fill("Own-Choice-Pass-8")
    form.locator("input[name=confirm_password]").fill("Own-Choice-Pass-8")
    form.get_by_role("button", name="Change password").click()

    page.wait_for_url("**/documents/")
    assert page.get_by_text("Password changed.").is_visible()
