"""Indexing stories: what a document puts into the index, and that re-running never duplicates."""

import pytest

from documents import services as documents
from search import services, vectorstore
from search.models import IndexedRecord, SearchChunk

from .helpers import make_document, run_on_commit

pytestmark = pytest.mark.django_db


def chunks_of(document):
    return list(SearchChunk.objects.filter(resource_type="document", resource_id=document.pk).order_by("variant", "position"))


def test_an_uploaded_pdf_is_indexed_with_its_page_numbers(django_capture_on_commit_callbacks, author):
    document = make_document(
        django_capture_on_commit_callbacks,
        author=author,
        title="Environmental monitoring of grade A zones",
        pages=[["Settle plates are exposed for four hours."], ["Viable particles are counted weekly."]],
    )
    chunks = chunks_of(document)
    assert [c.page for c in chunks] == [None, 1, 2]  # header chunk, then one chunk per page
    assert "Settle plates" in chunks[1].text and "Viable particles" in chunks[2].text
    state = IndexedRecord.objects.get(resource_type="document", resource_id=document.pk)
    assert state.status == "indexed" and state.chunk_count == 3
    assert vectorstore.count("document") == 3


def test_indexing_again_replaces_and_never_duplicates(django_capture_on_commit_callbacks, author):
    document = make_document(django_capture_on_commit_callbacks, author=author, title="Gowning", text="Put on the hairnet first.")
    keys = [c.key for c in chunks_of(document)]

    again = services.index_record(resource_type="document", resource_id=document.pk)

    assert again.embedded == 0  # nothing changed: nothing embedded again
    assert [c.key for c in chunks_of(document)] == keys
    assert vectorstore.count("document") == len(keys)


def test_a_metadata_change_reindexes_the_header(django_capture_on_commit_callbacks, author):
    document = make_document(django_capture_on_commit_callbacks, author=author, title="Gowning", text="Put on the hairnet first.")
    run_on_commit(
        django_capture_on_commit_callbacks,
        documents.update_metadata,
        actor=author,
        document=document,
        changes={"title": "Gowning for the cleanroom"},
        reason="Clearer title",
        row_version=document.row_version,
    )
    assert "Gowning for the cleanroom" in chunks_of(document)[0].text
    assert vectorstore.count("document") == len(chunks_of(document))


def test_a_new_draft_version_replaces_the_previous_versions_chunks(django_capture_on_commit_callbacks, author):
    from django.core.files.base import ContentFile

    document = make_document(django_capture_on_commit_callbacks, author=author, title="Gowning", text="Put on the hairnet first.")
    run_on_commit(
        django_capture_on_commit_callbacks,
        documents.add_version,
        actor=author,
        document=document,
        file=ContentFile(b"Put on the beard cover first.", name="gowning.md"),
        change_summary="Beard cover",
    )
    texts = " ".join(c.text for c in chunks_of(document))
    assert "beard cover" in texts and "hairnet" not in texts  # 1.0 was superseded by 1.1 while a draft
    assert vectorstore.count("document") == len(chunks_of(document))


def test_removing_a_record_takes_its_chunks_and_vectors_out(django_capture_on_commit_callbacks, author):
    document = make_document(django_capture_on_commit_callbacks, author=author, title="Gowning", text="Put on the hairnet first.")
    services.remove_record(resource_type="document", resource_id=document.pk)
    assert chunks_of(document) == []
    assert vectorstore.count("document") == 0
    assert not IndexedRecord.objects.filter(resource_type="document", resource_id=document.pk).exists()


def test_while_chroma_is_down_the_record_waits_and_keyword_search_finds_it(django_capture_on_commit_callbacks, author, settings):
    settings.CHROMA_URL = "http://127.0.0.1:9"  # nothing listens there
    document = make_document(django_capture_on_commit_callbacks, author=author, title="Gowning", text="Put on the hairnet first.")
    state = IndexedRecord.objects.get(resource_type="document", resource_id=document.pk)
    assert state.status == "pending" and "unreachable" in state.error.lower() or "failed" in state.error.lower()
    assert chunks_of(document)  # the keyword index has it already

    settings.CHROMA_URL = ""
    assert services.index_pending() == {"indexed": 1, "removed": 0, "failed": 0}
    state.refresh_from_db()
    assert state.status == "indexed" and vectorstore.count("document") == len(chunks_of(document))
