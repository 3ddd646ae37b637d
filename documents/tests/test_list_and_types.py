"""GET /api/documents/ (filters, sort, pagination, constant query count) and the document types API."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from documents import services
from documents.models import Document, DocumentType

pytestmark = pytest.mark.django_db


def _make(author, n, code="SOP", **kw):
    doc_type = DocumentType.objects.get(code=code)
    return [
        services.upload_document(
            actor=author,
            file=SimpleUploadedFile(f"d{i}.txt", f"text {i}\n".encode()),
            title=kw.get("title", f"Procedure {i}"),
            document_type=doc_type,
            category=kw.get("category", "Production"),
        )
        for i in range(n)
    ]


def test_filters_sort_and_pagination(client_for, author, make_user):
    other = make_user("QA", username="other_author")
    _make(author, 3, category="Production")
    _make(author, 2, code="WI", category="Quality", title="Gowning")
    sop_other = _make(other, 1, title="Line clearance")[0]
    services.transition_document(actor=other, document=sop_other, name="submit")
    client = client_for(author)

    page = client.get("/api/documents/?page=1&page_size=4").json()
    assert (page["total"], page["pages"], page["page"], page["page_size"], len(page["items"])) == (6, 2, 1, 4, 4)
    assert page["items"][0]["number"] == "SOP-0004", "default order is newest first"
    assert set(page["items"][0]) >= {"id", "number", "title", "status", "version", "document_type", "owner", "row_version"}

    def numbers(query):
        response = client.get(f"/api/documents/?{query}")
        assert response.status_code == 200, response.json()
        return [d["number"] for d in response.json()["items"]]

    assert numbers("document_type=2&sort=number asc") == ["WI-0001", "WI-0002"]
    assert numbers("document_type_code=sop&sort=number desc") == ["SOP-0004", "SOP-0003", "SOP-0002", "SOP-0001"]
    assert numbers("category=quality&sort=number") == ["WI-0001", "WI-0002"]
    assert numbers("status=in_review") == ["SOP-0004"]
    assert numbers(f"owner={other.pk}") == ["SOP-0004"]
    assert numbers("search=clearance") == ["SOP-0004"]
    assert numbers("search=wi-000&sort=number") == ["WI-0001", "WI-0002"]
    today = datetime.date.today().isoformat()
    assert len(numbers(f"date_from={today}&date_to={today}")) == 6
    assert numbers("date_to=2000-01-01") == []
    assert numbers("sort=title asc,number asc")[:2] == ["WI-0001", "WI-0002"]

    bad_sort = client.get("/api/documents/?sort=password desc")
    assert bad_sort.status_code == 422 and bad_sort.json()["detail"][0]["loc"] == ["query", "sort"]
    assert client.get("/api/documents/?page_size=101").status_code == 422


def test_list_query_count_does_not_grow_with_page_size(client_for, author):
    _make(author, 30)
    client = client_for(author)
    counts = []
    for size in (5, 30):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/api/documents/?page_size={size}")
        assert len(response.json()["items"]) == size
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_detail_query_count_does_not_grow_with_versions(client_for, author):
    document = _make(author, 1)[0]
    client = client_for(author)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/api/documents/{document.pk}")
    for i in range(4):
        services.add_version(
            actor=author,
            document=Document.objects.get(pk=document.pk),
            file=SimpleUploadedFile(f"v{i}.txt", f"v{i}\n".encode()),
            change_summary=f"edit {i}",
        )
    with CaptureQueriesContext(connection) as many:
        body = client.get(f"/api/documents/{document.pk}").json()
    assert len(body["versions"]) == 5
    assert len(many.captured_queries) == len(few.captured_queries)


def test_document_types_api(client_for, qa_manager, qa_user, basic_user):
    listed = client_for(basic_user).get("/api/document-types/").json()
    assert [t["code"] for t in listed["items"]] == ["FORM", "POL", "SOP", "WI"]
    sop = client_for(qa_user).get("/api/document-types/1").json()
    assert (sop["code"], sop["default_workflow_name"], sop["review_period_months"]) == ("SOP", "Document approval", 24)

    manager = client_for(qa_manager)
    assert (
        client_for(qa_user)
        .post("/api/document-types/", {"name": "x", "code": "X", "default_workflow": 1}, format="json")
        .status_code
        == 403
    )
    created = manager.post(
        "/api/document-types/",
        {
            "name": "Validation Protocol",
            "code": "vp",
            "default_workflow": sop["default_workflow"],
            "review_period_months": 12,
            "approvers_need_training": True,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["code"] == "VP"
    duplicate = manager.post("/api/document-types/", {"name": "Other", "code": "VP", "default_workflow": 1}, format="json")
    assert duplicate.status_code == 409 and duplicate.json()["error_code"] == "CODE_TAKEN"
    bad_code = manager.post("/api/document-types/", {"name": "Other", "code": "V-1", "default_workflow": 1}, format="json")
    assert bad_code.status_code == 422

    type_id = created.json()["id"]
    updated = manager.put(
        f"/api/document-types/{type_id}",
        {"review_period_months": 6, "reason": "Annual → half-yearly", "row_version": created.json()["row_version"]},
        format="json",
    )
    assert updated.status_code == 200 and updated.json()["review_period_months"] == 6
    stale = manager.put(f"/api/document-types/{type_id}", {"review_period_months": 9, "row_version": 1}, format="json")
    assert stale.status_code == 409
    event = AuditEvent.objects.filter(resource_type="document_type", resource_id=type_id, action="update").get()
    assert event.old_values == {"review_period_months": 12} and event.new_values == {"review_period_months": 6}


def test_type_code_is_frozen_once_used(client_for, qa_manager, author):
    _make(author, 1, code="WI")
    response = client_for(qa_manager).put("/api/document-types/2", {"code": "WKI"}, format="json")
    assert response.status_code == 409 and response.json()["error_code"] == "CODE_IN_USE"


def test_new_documents_take_the_types_review_period(author, manager, reviewer):
    from conftest import PASSWORD

    DocumentType.objects.filter(code="SOP").update(review_period_months=18)
    document = _make(author, 1)[0]
    services.transition_document(actor=author, document=document, name="submit")
    services.approve_document(actor=manager, document=document, password=PASSWORD)
    services.approve_document(actor=reviewer, document=document, password=PASSWORD)
    services.transition_document(actor=author, document=document, name="make_effective")
    document.refresh_from_db()
    delta = (document.next_review_date.year - document.effective_date.year) * 12 + (
        document.next_review_date.month - document.effective_date.month
    )
    assert delta == 18
