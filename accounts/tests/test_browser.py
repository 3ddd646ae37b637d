"""The pages in headless Chromium: sign in, navigation, change password, sign out, errors, lockout,
and the API docs working offline."""

from urllib.parse import urlparse

import pytest

from conftest import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, username, password):
    page.goto("/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_sign_in_navigate_change_password_and_sign_out(browser_page, make_user):
    page = browser_page
    make_user("QA", username="quinn", full_name="Quinn Quality")

    sign_in(page, "quinn", PASSWORD)

    assert page.get_by_role("heading", name="Welcome, Quinn Quality").is_visible()
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Dashboard").is_visible()
    nav.get_by_role("link", name="Users & groups").click()
    page.wait_for_url("**/admin-users/")
    assert page.get_by_role("heading", name="Users & groups").is_visible()

    page.get_by_test_id("profile-link").click()
    page.wait_for_url("**/profile/")
    form = page.get_by_test_id("change-password-form")
    form.locator("input[name=current_password]").fill(PASSWORD)
    form.locator("input[name=new_password]").fill("Brand-New-Pass-7")
    form.locator("input[name=confirm_password]").fill("Brand-New-Pass-7")
    form.get_by_role("button", name="Change password").click()
    page.wait_for_load_state()
    assert page.get_by_text("Password changed.").is_visible()

    page.get_by_test_id("logout").click()
    page.wait_for_url("**/login/")
    assert page.get_by_text("You have been signed out.").is_visible()

    sign_in(page, "quinn", PASSWORD)  # the old password no longer works
    assert "Incorrect username or password" in page.get_by_test_id("login-error").inner_text()
    sign_in(page, "quinn", "Brand-New-Pass-7")
    assert page.get_by_role("heading", name="Welcome, Quinn Quality").is_visible()


def test_a_wrong_password_shows_an_error(browser_page, make_user):
    page = browser_page
    make_user("User", username="uma")

    sign_in(page, "uma", "Not-The-Password-1")

    assert page.get_by_test_id("login-error").inner_text() == "Incorrect username or password"
    assert page.url.endswith("/login/")
    assert page.get_by_role("navigation", name="Main").count() == 0


def test_a_locked_account_shows_the_lockout_message(browser_page, make_user):
    page = browser_page
    make_user("User", username="uma")

    for _ in range(5):
        sign_in(page, "uma", "Not-The-Password-1")
    sign_in(page, "uma", PASSWORD)

    message = page.get_by_test_id("login-error").inner_text()
    assert "Account locked after too many failed attempts" in message
    assert "UTC" in message


def test_pages_for_a_restricted_role_hide_admin_links(browser_page, make_user):
    page = browser_page
    make_user("User", username="uma", full_name="Uma User")

    sign_in(page, "uma", PASSWORD)

    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Dashboard").is_visible()
    assert nav.get_by_role("link", name="Users & groups").count() == 0
    page.goto("/admin-users/")
    assert page.get_by_role("heading", name="Access denied").is_visible()


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_render_without_reaching_outside_this_server(browser_page, live_server, path):
    page = browser_page
    server = urlparse(live_server.url).netloc
    answered, blocked = [], []
    page.on("response", lambda response: answered.append(response.url))
    page.on("requestfailed", lambda request: blocked.append(request.url))

    page.goto(path)
    # ReDoc lays out the whole schema in the browser before showing anything; the schema grows with
    # every module, so the page gets more than the default 15 s on a busy machine.
    page.get_by_text("/api/auth/token").first.wait_for(timeout=90_000)

    assert any(url.endswith("/openapi.json") for url in answered)
    # Nothing outside this server ever answered: the page's Content-Security-Policy stops the one
    # CDN image ReDoc's bundle hard-codes before it leaves the browser.
    outside = [url for url in answered if urlparse(url).scheme in ("http", "https") and urlparse(url).netloc != server]
    assert outside == []
    assert all(urlparse(url).netloc == server for url in blocked if "redoc.ly" not in url)
