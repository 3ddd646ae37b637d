"""The fake OpenAI-compatible server (one per session) and settings that point the assistant at it."""

import pytest

from .fake_openai import FakeOpenAI


@pytest.fixture(scope="session")
def fake_openai_server():
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def fake_openai(fake_openai_server, settings):
    """The assistant enabled against the fake server, with a short time budget."""
    fake_openai_server.requests.clear()
    fake_openai_server._replies.clear()
    settings.OPENAI_API_KEY = "sk-test-not-a-real-key"
    settings.OPENAI_BASE_URL = fake_openai_server.url
    settings.OPENAI_MODEL = "fake-model"
    settings.AI_TIMEOUT_SECONDS = 5.0
    settings.AI_MAX_RETRIES = 2
    return fake_openai_server
