"""Fixtures for the CAPA tests: documents in a known state (made through the document services),
the documents tests' isolated media root, and users per role."""

import datetime

import pytest
from django.utils import timezone

from deviations.tests import conftest as deviation_fixtures
from documents.tests import conftest as documents_fixtures

media_root = documents_fixtures.media_root
author, manager, reviewer = documents_fixtures.author, documents_fixtures.manager, documents_fixtures.reviewer
effective_document = deviation_fixtures.effective_document
upload_document = deviation_fixtures.upload_document


@pytest.fixture
def later():
    """A due date a month from today."""
    return timezone.localdate() + datetime.timedelta(days=30)
