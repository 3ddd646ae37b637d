"""Fixtures for the audit tests: fast password hashing and a headless Chromium page for browser tests."""

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Every signature re-checks a password; the production hasher is deliberately slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def audit_browser_page(browser_page):
    """The shared headless Chromium page (root conftest): one Playwright instance per session."""
    return browser_page
