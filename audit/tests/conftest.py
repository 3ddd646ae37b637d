"""Fixtures for the audit tests: fast password hashing and a headless Chromium page for browser tests."""

import os
import shutil

import pytest

# Playwright's sync API runs its own event loop; Django must allow ORM calls from the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Every signature re-checks a password; the production hasher is deliberately slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def audit_browser_page(request):
    """A Playwright page in Debian's headless Chromium; skipped when Chromium is missing (unless
    QMS_REQUIRE_BROWSER=1, then the test fails).

    Uses the project's shared session browser (root conftest `browser` fixture) when there is one:
    Playwright's sync API cannot be started twice in one thread.
    """
    try:
        shared = request.getfixturevalue("browser")
    except pytest.FixtureLookupError:
        shared = None
    if shared is not None:
        context = shared.new_context()
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        context.close()
        return

    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        message = f"Chromium not installed at {CHROMIUM} (apt-get install chromium) - browser test not run"
        if os.environ.get("QMS_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(15000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
