"""Fixtures for the workflow engine tests."""

import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users are created by the dozen here; the production hasher's cost is not under test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
