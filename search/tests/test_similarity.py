"""The similarity helpers on documents (the first record type): records similar to a text or to a
record, and the weighted k-nearest-neighbour vote over labels."""

import pytest
from django.db.models import Q

from documents.models import Document
from search.similarity import knn_vote, similar_records

from .helpers import make_document

pytestmark = pytest.mark.django_db

CORPUS = [
    ("Glass particles in filled vials", "Aseptic", "Glass fragments were found in vials after filling on line 2."),
    ("Broken vial on the capping machine", "Aseptic", "A vial broke at the capping station and glass was scattered."),
    ("Label with the wrong expiry date", "Packaging", "Cartons were printed with an expiry date one year too late."),
    ("Missing leaflet in cartons", "Packaging", "Several cartons were packed without the patient leaflet."),
    ("Temperature excursion in the cold room", "Warehouse", "The cold room reached 12 degrees for three hours overnight."),
]


@pytest.fixture
def corpus(django_capture_on_commit_callbacks, author):
    return {
        title: make_document(django_capture_on_commit_callbacks, author=author, title=title, text=text, category=category)
        for title, category, text in CORPUS
    }


def test_similar_records_to_a_text_best_first(corpus, qa):
    found = similar_records(resource_type="document", user=qa, text="shards of glass in a vial", limit=2)
    assert {n.resource_id for n in found} == {
        corpus["Glass particles in filled vials"].pk,
        corpus["Broken vial on the capping machine"].pk,
    }
    assert found[0].similarity >= found[1].similarity and found[0].info.number.startswith("SOP-")


def test_similar_records_to_a_record_leave_it_out(corpus, qa):
    source = corpus["Label with the wrong expiry date"]
    found = similar_records(resource_type="document", user=qa, resource_id=source.pk, limit=1)
    assert [n.resource_id for n in found] == [corpus["Missing leaflet in cartons"].pk]


def test_similar_records_respect_visibility(corpus, reader):
    assert similar_records(resource_type="document", user=reader, text="glass in vials") == []  # drafts: none readable


def test_knn_vote_weights_the_nearest_labels(corpus):
    def categories(ids):
        return dict(Document.objects.filter(pk__in=ids).values_list("pk", "category"))

    vote = knn_vote(resource_type="document", text="a vial cracked and glass splinters fell", labels=categories, k=3)
    assert vote.label == "Aseptic" and 0.5 < vote.confidence <= 1.0
    assert sum(vote.weights.values()) > 0 and len(vote.neighbours) <= 3

    only_packaging = Q(resource_id__in=Document.objects.filter(category="Packaging").values("pk"))
    restricted = knn_vote(resource_type="document", text="a vial cracked", labels=categories, k=3, eligible=only_packaging)
    assert restricted.label in (None, "Packaging")


def test_knn_vote_without_neighbours_has_no_label():
    vote = knn_vote(resource_type="document", text="anything", labels=lambda ids: {})
    assert vote.label is None and vote.confidence == 0.0
