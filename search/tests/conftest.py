"""Search tests run on the real embedded Chroma (a throw-away folder, emptied before each test)
and the real offline embedding model (loaded once per session)."""

import pytest

from qms import searchables as registry
from search import vectorstore


@pytest.fixture(autouse=True)
def empty_vector_store(settings):
    vectorstore.reset_client()
    for name in registry.names():
        vectorstore.drop(name)
    yield
    vectorstore.reset_client()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def author(make_user):
    return make_user("Admin", username="author", full_name="Ann Author")


@pytest.fixture
def qa(make_user):
    return make_user("QA", username="qa", full_name="Quinn QA")


@pytest.fixture
def manager(make_user):
    return make_user("QA Manager", username="manager", full_name="Mia Manager")


@pytest.fixture
def reader(make_user):
    return make_user("User", username="reader", full_name="Rita Reader")
