"""Shared test fixtures: users per role, authenticated API clients, a clean cache per test,
and headless Chromium (Playwright) for the browser tests."""

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SECRET_KEY", "test-secret-key-for-the-test-suite-only-0123456789")
# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
# database access from that thread.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
# Search runs on an embedded Chroma in a throw-away folder with the offline model, and the AI
# assistant is off unless a test points it at the fake OpenAI-compatible server (ai/tests).
os.environ["CHROMA_PATH"] = tempfile.mkdtemp(prefix="qms-test-chroma-")
os.environ["CHROMA_URL"] = ""
os.environ["EMBEDDING_BACKEND"] = "local"
os.environ["OPENAI_API_KEY"] = ""
os.environ["OPENAI_BASE_URL"] = ""

PASSWORD = "Correct-Horse-9"

# The `requirement` marker: ids checked against validation/requirements.toml and written into the
# JUnit XML for `manage.py validation_report`.
pytest_plugins = ["validation.pytest_plugin"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
_browser_skip_reason: list[str] = []


@pytest.fixture(autouse=True)
def _clean_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True, scope="session")
def _eager_celery():
    from qms.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """A cheap hasher keeps the suite fast; production uses Django's default (PBKDF2)."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _audit_checkpoint_dir(tmp_path_factory):
    """Each test keeps the audit chain's checkpoints (files outside the database) to itself."""
    from django.conf import settings

    directory = tmp_path_factory.mktemp("audit-checkpoints")
    original = getattr(settings, "AUDIT_CHECKPOINT_DIR", "")
    settings.AUDIT_CHECKPOINT_DIR = str(directory)
    yield directory
    settings.AUDIT_CHECKPOINT_DIR = original


@pytest.fixture(autouse=True, scope="session")
def _audit_tables_flushable():
    """The audit tables reject DELETE/TRUNCATE; let the test-database flush (transactional tests) empty them."""
    from audit.immutability import allow_test_flush

    allow_test_flush()
    yield


@pytest.fixture
def make_user(db):
    from accounts.tests.factories import UserFactory

    def make(role: str | None = "User", **kwargs):
        return UserFactory(role_name=role, **kwargs)

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user("Admin", username="admin1", full_name="Ada Admin")


@pytest.fixture
def qa_manager(make_user):
    return make_user("QA Manager", username="qam1", full_name="Max Manager")


@pytest.fixture
def qa_user(make_user):
    return make_user("QA", username="qa1", full_name="Quinn QA")


@pytest.fixture
def basic_user(make_user):
    return make_user("User", username="user1", full_name="Uma User")


@pytest.fixture
def auditor(make_user):
    return make_user("Auditor", username="auditor1", full_name="Avery Auditor")


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def client_for(db):
    """An APIClient authenticated with a real JWT for the given user."""
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    def make(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        return client

    return make


# --- the AI provider --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def fake_openai_server():
    """A local OpenAI-compatible HTTP server (ai/tests/fake_openai.py), one per session."""
    from ai.tests.fake_openai import FakeOpenAI

    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def fake_openai(fake_openai_server, settings):
    """The AI assistant enabled against the fake server (the real `openai` client over HTTP), with a
    short time budget; its requests and scripted replies start empty."""
    fake_openai_server.requests.clear()
    fake_openai_server._replies.clear()
    settings.OPENAI_API_KEY = "sk-test-not-a-real-key"
    settings.OPENAI_BASE_URL = fake_openai_server.url
    settings.OPENAI_MODEL = "fake-model"
    settings.AI_TIMEOUT_SECONDS = 5.0
    settings.AI_MAX_RETRIES = 2
    return fake_openai_server


# --- browser tests ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(django_db_setup):
    """Headless Chromium from Debian's package, driven by Playwright (never a downloaded browser).

    Without /usr/bin/chromium the browser tests are skipped, unless QMS_REQUIRE_BROWSER=1 (CI),
    which makes them fail instead.
    """
    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium to run them)"
        if os.environ.get("QMS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Browser tests cannot run: {reason}, and QMS_REQUIRE_BROWSER=1 requires them.", pytrace=False)
        _browser_skip_reason[:] = [reason]
        pytest.skip(f"Browser tests skipped: {reason}")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    serialized = {alias: getattr(connections[alias], "_test_serialized_contents", None) for alias in connections}
    playwright = sync_playwright().start()
    # Playwright's sync API leaves its event loop running in this thread, so from now on Django
    # (asgiref's async-aware storage) hands out other connection objects; give them the serialized
    # test data that serialized rollback restores after each transactional test.
    for alias, contents in serialized.items():
        if contents is not None:
            connections[alias]._test_serialized_contents = contents
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def browser_page(browser, live_server, django_db_serialized_rollback):
    """A fresh browser context and page per test, against the live server.

    The live server needs a transactional database, which is emptied after each test; serialized
    rollback restores the rows the migrations seeded (roles, permission codenames).
    """
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _browser_skip_reason:
        terminalreporter.write_line(f"Browser tests were skipped: {_browser_skip_reason[0]}.")
