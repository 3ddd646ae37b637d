"""Shared test fixtures: users per role, authenticated API clients, a clean cache per test."""

import os

import pytest

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SECRET_KEY", "test-secret-key")

PASSWORD = "Correct-Horse-9"


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
