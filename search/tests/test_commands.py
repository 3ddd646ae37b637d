"""manage.py reindex and search_status, as IT runs them."""

import io

import pytest
from django.core.management import CommandError, call_command

from search import vectorstore
from search.models import IndexedRecord, SearchChunk

from .helpers import make_document

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_reindex_rebuilds_the_index_and_prints_a_summary(django_capture_on_commit_callbacks, author):
    make_document(django_capture_on_commit_callbacks, author=author, title="Gowning", text="Put on the hairnet first.")
    make_document(django_capture_on_commit_callbacks, author=author, title="Line clearance", text="Remove all labels.")
    chunks = SearchChunk.objects.count()

    output = run("reindex", "--rebuild", "--no-progress")

    assert "document: 2 records: 2 indexed, 0 removed, 0 left pending" in output
    assert SearchChunk.objects.count() == chunks and vectorstore.count("document") == chunks
    assert IndexedRecord.objects.filter(status="indexed").count() == 2
    again = run("reindex", "--type", "document", "--no-progress")
    assert f"{chunks} chunks, 0 embedded" in again  # idempotent: nothing changed, nothing embedded


def test_reindex_since_takes_only_recent_records(django_capture_on_commit_callbacks, author):
    make_document(django_capture_on_commit_callbacks, author=author, title="Gowning", text="Put on the hairnet first.")
    assert "document: 0 records" in run("reindex", "--since", "2999-01-01", "--no-progress")
    assert "document: 1 records" in run("reindex", "--since", "2000-01-01", "--no-progress")


def test_reindex_refuses_unknown_types_and_bad_dates():
    with pytest.raises(CommandError, match="No searchable record type 'memo'"):
        run("reindex", "--type", "memo")
    with pytest.raises(CommandError, match="not a date"):
        run("reindex", "--since", "yesterday")


def test_search_status_shows_counts_and_lag(django_capture_on_commit_callbacks, author, settings):
    make_document(django_capture_on_commit_callbacks, author=author, title="Gowning", text="Put on the hairnet first.")
    output = run("search_status")
    assert "Chroma embedded" in output and "reachable" in output
    line = next(line for line in output.splitlines() if line.startswith("document"))
    assert line.split()[1:5] == ["1", "1", "0", "0"]  # records, indexed, pending, failed

    settings.CHROMA_URL = "http://127.0.0.1:9"
    make_document(django_capture_on_commit_callbacks, author=author, title="Line clearance", text="Remove all labels.")
    output = run("search_status")
    assert "UNREACHABLE" in output
    line = next(line for line in output.splitlines() if line.startswith("document"))
    assert line.split()[3] == "1" and line.split()[6] == "?"  # one pending; vectors unknown
    with pytest.raises(CommandError, match="run reindex --pending"):
        run("reindex", "--pending", "--no-progress")
    settings.CHROMA_URL = ""
    assert "1 indexed" in run("reindex", "--pending", "--no-progress")
