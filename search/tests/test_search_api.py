"""GET /api/search/: hybrid results, highlighted passages with pages, filters, and permissions
(a hit the caller may not view is never listed, counted or quoted)."""

import pytest

from search.models import SearchChunk

from .helpers import make_document, make_effective

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(django_capture_on_commit_callbacks, author, qa, manager):
    capture = django_capture_on_commit_callbacks
    cleaning = make_document(
        capture,
        author=author,
        title="Cleaning of the filling line",
        pages=[
            ["Purpose: no residue of the previous product remains."],
            ["Rinse with purified water until the conductivity is below 5 uS/cm.", "Sanitise with 70 % isopropyl alcohol."],
        ],
        keywords="cleaning, filling line",
    )
    make_effective(capture, cleaning, author=author, qa=qa, manager=manager)
    gowning = make_document(
        capture,
        author=author,
        title="Gowning for grade A cleanrooms",
        text="Operators put on a sterile hood, goggles and two pairs of gloves before entering the cleanroom.",
        code="WI",
        category="Aseptic",
    )
    make_effective(capture, gowning, author=author, qa=qa, manager=manager)
    draft = make_document(
        capture,
        author=author,
        title="Confidential recall plan",
        text="Recall of batch 42 because of contamination with <script>alert(1)</script> glass particles.",
        category="Quality",
    )
    return {"cleaning": cleaning, "gowning": gowning, "draft": draft}


def search(client, **params):
    return client.get("/api/search/", params)


def test_a_question_finds_the_passage_with_its_page_and_highlights(client_for, qa, library):
    response = search(client_for(qa), q="rinse conductivity limit")
    assert response.status_code == 200, response.content
    body = response.json()
    top = body["items"][0]
    assert (top["resource_type"], top["id"], top["number"]) == ("document", library["cleaning"].pk, library["cleaning"].number)
    assert top["page"] == 2 and top["version"] == "1.0" and top["status"] == "effective"
    assert "<mark>Rinse</mark>" in top["snippet"] and "<mark>conductivity</mark>" in top["snippet"]
    assert top["url"] == f"/documents/{library['cleaning'].pk}/"
    assert set(top["matched"]) == {"semantic", "keyword"}
    assert body["semantic"] is True and body["page"] == 1 and body["page_size"] == 20 and body["total"] >= 1


def test_semantic_search_finds_a_paraphrase_without_shared_words(client_for, qa, library):
    body = search(client_for(qa), q="protective clothing worn by personnel").json()
    assert body["items"][0]["id"] == library["gowning"].pk
    assert body["items"][0]["matched"] == ["semantic"]


def test_a_reader_never_sees_a_draft_in_hits_totals_or_snippets(client_for, reader, qa, library):
    as_qa = search(client_for(qa), q="recall contamination glass").json()
    assert library["draft"].pk in [h["id"] for h in as_qa["items"]]

    as_reader = search(client_for(reader), q="recall contamination glass").json()
    ids = [h["id"] for h in as_reader["items"]]
    assert library["draft"].pk not in ids
    assert as_reader["total"] == len(ids)  # nothing hidden is counted
    assert all("recall" not in h["snippet"].lower() for h in as_reader["items"])


def test_snippets_are_html_escaped(client_for, qa, library):
    hit = next(h for h in search(client_for(qa), q="contamination").json()["items"] if h["id"] == library["draft"].pk)
    assert "<script>" not in hit["snippet"] and "&lt;script&gt;" in hit["snippet"]
    assert "<mark>contamination</mark>" in hit["snippet"]


def test_filters_narrow_the_hits(client_for, qa, library):
    client = client_for(qa)
    by_category = search(client, q="cleanroom gloves cleaning", category="aseptic").json()
    assert [h["id"] for h in by_category["items"]] == [library["gowning"].pk]
    by_type = search(client, q="cleanroom gloves cleaning", document_type="SOP").json()
    assert library["gowning"].pk not in [h["id"] for h in by_type["items"]]
    by_status = search(client, q="recall contamination", status="draft").json()
    assert [h["id"] for h in by_status["items"]] == [library["draft"].pk]
    assert search(client, q="cleaning", type="deviation").json()["total"] == 0
    assert search(client, q="cleaning", date_to="2000-01-01").json()["total"] == 0


def test_pagination_envelope(client_for, qa, library):
    body = search(client_for(qa), q="cleaning gowning recall", page_size=1, page=2).json()
    assert body["page"] == 2 and body["page_size"] == 1 and len(body["items"]) == 1
    assert body["pages"] == body["total"] >= 2


@pytest.mark.parametrize(
    "params, field",
    [
        ({"q": ""}, "q"),
        ({}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x", "type": "memo"}, "type"),
        ({"q": "x", "page_size": 101}, "page_size"),
    ],
)
def test_bad_queries_are_422_with_the_query_field(client_for, qa, params, field):
    response = search(client_for(qa), **params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]
    assert response.json()["error_code"] == "VALIDATION_ERROR"


def test_search_needs_authentication_and_the_search_permission(api_client, client_for, make_user):
    assert search(api_client, q="x").status_code == 401
    nobody = make_user(role=None, username="norole")
    assert search(client_for(nobody), q="x").status_code == 403


def test_when_chroma_is_unreachable_keyword_results_still_come(client_for, qa, library, settings):
    settings.CHROMA_URL = "http://127.0.0.1:9"
    body = search(client_for(qa), q="rinse conductivity").json()
    assert body["semantic"] is False
    assert body["items"][0]["id"] == library["cleaning"].pk and body["items"][0]["matched"] == ["keyword"]


def test_a_revision_in_progress_is_searched_by_authors_while_readers_keep_the_effective_text(
    django_capture_on_commit_callbacks, client_for, author, reader, library
):
    from django.core.files.base import ContentFile

    from documents import services as documents

    from .helpers import run_on_commit

    gowning = library["gowning"]
    run_on_commit(
        django_capture_on_commit_callbacks,
        documents.add_version,
        actor=author,
        document=gowning,
        file=ContentFile(b"Operators also wear sterile overshoes made of tyvek.", name="gowning-2.md"),
        change_summary="Overshoes",
    )
    assert SearchChunk.objects.filter(resource_id=gowning.pk).values("variant").distinct().count() == 2
    as_author = search(client_for(author), q="tyvek overshoes").json()["items"]
    assert as_author[0]["id"] == gowning.pk and as_author[0]["version"] == "2.0"
    as_reader = search(client_for(reader), q="tyvek overshoes").json()["items"]
    assert all("tyvek" not in h["snippet"].lower() for h in as_reader)
    hit = next(h for h in search(client_for(reader), q="goggles gloves").json()["items"] if h["id"] == gowning.pk)
    assert hit["version"] == "1.0" and hit["status"] == "effective"


def test_the_path_works_with_and_without_the_trailing_slash(client_for, qa):
    for path in ("/api/search/", "/api/search"):
        assert client_for(qa).get(path, {"q": "anything"}).status_code == 200
