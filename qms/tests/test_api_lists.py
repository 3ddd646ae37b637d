"""Every list endpoint answers through the shared list plumbing (qms.api.lists): the same bytes as
DRF's serializers would give, one query for the page and its total, whatever the page size."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, get_resolver, resolve

from accounts.models import User
from accounts.tests.factories import GroupFactory
from documents.tests.factories import DocumentFactory, SignatureFactory
from qms.api import lists
from qms.api.routers import collection_paths

pytestmark = pytest.mark.django_db


def list_endpoints() -> dict[str, type]:
    """Path -> ViewSet of every collection that answers GET with a list."""
    get_resolver().url_patterns  # noqa: B018 - imports every urls_api module, which registers its collections
    out = {}
    for path in sorted(collection_paths()):
        try:
            match = resolve(path)
        except Resolver404:  # a router of a test's own URLconf
            continue
        if getattr(match.func, "actions", {}).get("get") == "list":
            out[path] = match.func.cls
    return out


@pytest.fixture
def records(admin_user, qa_user, make_user):
    """Some of everything a list shows: documents in several states (one with null effective version),
    signatures, users with and without groups, a locked user."""
    DocumentFactory(author=qa_user, title="Draft procedure")
    DocumentFactory(author=qa_user, state="in_review", title="Reviewed procedure")
    effective = DocumentFactory(author=admin_user, state="effective", title="Effective procedure")
    SignatureFactory(record=effective.current_version, signer=qa_user)
    make_user(None, username="no-role")
    locked = make_user("QA", full_name="")
    User.objects.filter(pk=locked.pk).update(locked_until="2999-01-01T00:00:00Z", failed_login_count=5)
    GroupFactory(name="Cleaning crew").members.add(qa_user, locked)
    GroupFactory(name="Empty group")
    return effective


QUERIES = ["", "?page=2&page_size=2", "?page_size=100", "?page=50"]


def test_every_list_endpoint_uses_the_shared_list_plumbing():
    not_shared = [
        f"{path} ({cls.__name__})" for path, cls in list_endpoints().items() if not issubclass(cls, lists.ListModelMixin)
    ]
    assert not not_shared, f"Serve these lists with qms.api.lists.ListModelMixin instead of DRF's: {not_shared}"


@pytest.mark.parametrize("path", sorted(list_endpoints()))
def test_a_list_answers_the_same_bytes_as_the_serializer_would(path, records, admin_user, client_for, monkeypatch):
    client = client_for(admin_user)
    fast = {query: client.get(path + query) for query in QUERIES}
    assert all(response.status_code == 200 for response in fast.values()), {q: r.status_code for q, r in fast.items()}

    def never_flat(serializer_class, queryset):
        raise lists.NotFlat("served by DRF for comparison")

    monkeypatch.setattr(lists, "flat_plan", never_flat)
    for query, response in fast.items():
        assert response.content == client.get(path + query).content, f"{path}{query}"


@pytest.mark.parametrize("path", sorted(list_endpoints()))
def test_a_list_does_not_query_more_for_a_larger_page(path, records, admin_user, client_for):
    client = client_for(admin_user)
    client.get(path)  # a serializer whose computed fields query is found out on the first page
    counts = {}
    for size in (1, 100):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{path}?page_size={size}")
        assert response.status_code == 200
        counts[size] = len(queries.captured_queries)
    # A list served by DRF counts separately, and only when the page is full (page_size=1).
    assert counts[100] <= counts[1] <= counts[100] + 1, counts


@pytest.mark.parametrize("path", ["/api/documents/", "/api/audit/", "/api/signatures/", "/api/users/"])
def test_the_main_lists_read_their_rows_without_drf_serializers(path, records, admin_user, client_for):
    client = client_for(admin_user)
    view = list_endpoints()[path]
    with CaptureQueriesContext(connection) as queries:
        body = client.get(f"{path}?page_size=2").json()
    assert body["total"] > 2 and len(body["items"]) == 2
    # The user with the permissions, then the page with its total (and the users' groups).
    assert len(queries.captured_queries) == (3 if path == "/api/users/" else 2)
    listing = _list_view(view, admin_user)
    assert lists.flat_plan(listing.get_serializer_class(), listing.get_queryset())


def _list_view(view_class, user):
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    request = Request(APIRequestFactory().get("/"))
    request.user = user
    return view_class(action="list", request=request, format_kwarg=None, kwargs={})


def _queryset(view_class, user):
    return _list_view(view_class, user).get_queryset()


def test_a_computed_field_that_queries_hands_the_page_to_drf(records, admin_user, client_for):
    """GroupSerializer.member_count counts the members through the queryset's prefetch: made from
    the row alone it would query per group, so the page is made by DRF, the same as ever."""
    from accounts.serializers import GroupSerializer

    client = client_for(admin_user)
    body = client.get("/api/groups/").json()
    assert {group["name"]: group["member_count"] for group in body["items"]} == {"Cleaning crew": 2, "Empty group": 0}
    with pytest.raises(lists.NotFlat, match="computes a field from the database"):
        lists.flat_plan(GroupSerializer, _queryset(list_endpoints()["/api/groups/"], admin_user))


def test_a_page_past_the_end_is_empty_with_the_real_total(records, admin_user, client_for):
    body = client_for(admin_user).get("/api/documents/?page=9&page_size=2").json()
    assert body == {"items": [], "page": 9, "page_size": 2, "total": 3, "pages": 2}


def test_the_total_counts_the_filtered_rows(records, admin_user, client_for):
    client = client_for(admin_user)
    effective = client.get("/api/documents/?status=effective&page_size=1").json()
    assert (effective["total"], [d["title"] for d in effective["items"]]) == (1, ["Effective procedure"])
    drafts_and_reviews = client.get("/api/documents/?sort=title asc&page_size=1&page=2").json()
    assert (drafts_and_reviews["total"], drafts_and_reviews["items"][0]["title"]) == (3, "Effective procedure")


def test_nested_rows_and_empty_keys_look_as_the_serializer_shows_them(records, admin_user, client_for):
    items = {d["title"]: d for d in client_for(admin_user).get("/api/documents/").json()["items"]}
    draft, effective = items["Draft procedure"], items["Effective procedure"]
    assert (draft["effective_version"], draft["version"], draft["keywords"]) == (None, "1.0", [])
    assert effective["effective_version"] == "1.0" and effective["status"] == "effective"
    assert draft["document_type"] == {"id": draft["document_type"]["id"], "code": "SOP", "name": "Standard Operating Procedure"}
    assert json.loads(json.dumps(draft["owner"]))["username"] == "qa1"


def test_fields_through_an_empty_foreign_key_behave_as_in_drf(records):
    """Without a default DRF leaves such a field out of the row; with one it shows the default."""
    from rest_framework import serializers

    from documents.models import Document

    class Row(serializers.ModelSerializer):
        effective = serializers.CharField(source="effective_version.version", read_only=True)
        effective_or_none = serializers.CharField(source="effective_version.version", default="none", read_only=True)
        owner_id = serializers.PrimaryKeyRelatedField(source="owner", read_only=True)
        type_code = serializers.CharField(source="document_type.code")

        class Meta:
            model = Document
            fields = ["id", "effective", "effective_or_none", "owner_id", "type_code", "title"]

    queryset = Document.objects.order_by("pk")
    rows = lists.serialize_rows(queryset, Row, context={})
    assert rows == Row(queryset, many=True).data
    assert [("effective" in row, row["effective_or_none"]) for row in rows] == [(False, "none"), (False, "none"), (True, "1.0")]
