"""Fixtures of the notification tests: the documents tests' users and media root, and a helper that
runs what happens after commit (event dispatch, emails) inside the test transaction."""

import pytest

from deviations.tests import conftest as deviation_fixtures
from documents.tests import conftest as documents_fixtures

media_root = documents_fixtures.media_root
author, manager, reviewer = documents_fixtures.author, documents_fixtures.manager, documents_fixtures.reviewer
effective_document = deviation_fixtures.effective_document


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """`with after_commit(): ...` runs the block's on-commit work (event handlers, emails) at its end."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
