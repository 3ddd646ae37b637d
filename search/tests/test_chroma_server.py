"""Chroma in server mode (CHROMA_URL): a real `chroma run` started on a free loopback port."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from search import vectorstore

from .helpers import make_document

pytestmark = pytest.mark.django_db

CHROMA_CLI = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    if not Path(CHROMA_CLI).exists():
        pytest.skip("The `chroma` command-line tool (from the chromadb package) is not installed.")
    port = free_port()
    process = subprocess.Popen(
        [CHROMA_CLI, "run", "--path", str(tmp_path_factory.mktemp("chroma-server")), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("chroma run did not start listening within 30 s")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def test_documents_are_indexed_into_and_searched_from_a_chroma_server(
    chroma_server, settings, django_capture_on_commit_callbacks, author, client_for
):
    settings.CHROMA_URL = chroma_server
    vectorstore.reset_client()
    vectorstore.drop("document")
    document = make_document(
        django_capture_on_commit_callbacks,
        author=author,
        title="Gowning for grade A cleanrooms",
        text="Operators put on a sterile hood, goggles and two pairs of gloves before entering the cleanroom.",
    )
    assert vectorstore.count("document") == 2  # header and body, in the server

    body = client_for(author).get("/api/search/", {"q": "protective clothing worn by personnel"}).json()
    assert body["semantic"] is True
    assert body["items"][0]["id"] == document.pk and body["items"][0]["matched"] == ["semantic"]
