"""The full life cycle of a controlled document through the API: upload → submit → two approvals
with signatures → automatic transition → effective → revise → approve → effective; the old
version is superseded, and every step is in the workflow history and the audit trail."""

import pytest

from audit.models import AuditEvent, Signature
from audit.signatures import verify
from conftest import PASSWORD
from documents.models import Document, DocumentVersion

from .conftest import approve, make_docx, transition, upload

pytestmark = pytest.mark.django_db


def test_full_life_cycle(api, author, manager, reviewer, pdf_bytes):
    a, m, r = api(author), api(manager), api(reviewer)

    # Upload: exactly the seed's curl (file, title, document_type=1, category).
    created = upload(a, pdf_bytes, title="Quality Manual", category="Quality")
    assert created.status_code == 201, created.json()
    body = created.json()
    doc_id = body["id"]
    assert body["title"] == "Quality Manual"
    assert body["version"] == "1.0"
    assert body["status"] == "draft"
    assert body["file_path"] == f"documents/{doc_id}/quality-manual-v1.0.pdf"
    assert body["number"] == "SOP-0001"
    processed = a.get(f"/api/documents/{doc_id}").json()["current_version"]  # extraction ran after commit
    assert processed["processing_status"] == "completed"
    assert processed["page_count"] == 2
    assert [t["name"] for t in body["available_transitions"]] == ["submit"]  # withdrawing needs documents.obsolete
    assert {"name": "submit", "to_state": "in_review", "requires_signature": False} == {
        k: body["available_transitions"][0][k] for k in ("name", "to_state", "requires_signature")
    }

    # Submit for review.
    submitted = transition(a, doc_id, "submit", comment="Ready for review")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["status"] == "in_review"
    rules = submitted.json()["workflow"]["approval"]["rules"]
    assert [(x["role"], x["required_approvals"], x["approvals"]) for x in rules] == [("QA Manager", 1, 0), ("QA", 1, 0)]

    # Two approvals with signatures; the second meets the rules → automatic transition to approved.
    first = approve(m, doc_id, PASSWORD, comment="Content is correct")
    assert first.status_code == 200, first.json()
    assert first.json()["status"] == "in_review"
    second = approve(r, doc_id, PASSWORD, comment="Format checked", intent="I approve this SOP for release")
    assert second.status_code == 200, second.json()
    detail = second.json()
    assert detail["status"] == "approved"
    assert len(detail["approvals"]) == 2
    assert all(s["valid"] for s in detail["signatures"])
    assert [s["printed_name"] for s in detail["signatures"]] == ["Mia Manager", "Rob Reviewer"]
    assert detail["signatures"][1]["intent"] == "I approve this SOP for release"
    assert detail["signatures"][0]["intent"].startswith("I approve SOP-0001 version 1.0")
    history = [(h["action"], h["transition"], h["to_state"], h["is_automatic"]) for h in detail["workflow"]["history"]]
    assert history == [
        ("start", "", "draft", False),
        ("transition", "submit", "in_review", False),
        ("approve", "", "in_review", False),
        ("approve", "", "in_review", False),
        ("transition", "approve", "approved", True),
    ]
    assert all(h["signature_id"] for h in detail["workflow"]["history"] if h["action"] == "approve")

    # Make effective.
    effective = transition(a, doc_id, "make_effective")
    assert effective.status_code == 200
    body = effective.json()
    assert body["status"] == "effective"
    assert body["effective_version"] == "1.0"
    assert body["effective_date"] and body["next_review_date"]

    # Revise: a new draft version 2.0 while 1.0 stays effective.
    revised = a.post(
        f"/api/documents/{doc_id}/versions",
        {"file": _docx_upload(), "change_summary": "Added drying step"},
        format="multipart",
    )
    assert revised.status_code == 201, revised.json()
    body = revised.json()
    assert body["version"] == "2.0"
    assert body["status"] == "draft"
    assert body["effective_version"] == "1.0"
    assert [(v["version"], v["status"]) for v in body["versions"]] == [("1.0", "effective"), ("2.0", "draft")]

    # Review and approve the revision; make it effective; 1.0 becomes superseded.
    assert transition(a, doc_id, "submit").status_code == 200
    assert approve(m, doc_id, PASSWORD).status_code == 200
    assert approve(r, doc_id, PASSWORD).json()["status"] == "approved"
    mid = a.get(f"/api/documents/{doc_id}").json()
    assert mid["effective_version"] == "1.0", "the old version stays effective until the revision is"
    final = transition(a, doc_id, "make_effective").json()
    assert final["status"] == "effective"
    assert final["effective_version"] == "2.0"
    assert [(v["version"], v["status"]) for v in final["versions"]] == [("1.0", "superseded"), ("2.0", "effective")]
    supersede = [h for h in final["workflow"]["history"] if h["transition"] == "supersede"]
    assert len(supersede) == 1 and supersede[0]["version"] == "1.0" and supersede[0]["is_automatic"]

    # The approvals of 1.0 still verify: they signed version 1.0's content, which did not change.
    assert Signature.objects.filter(resource_type="document_version").count() == 4
    assert all(verify(s)["valid"] for s in Signature.objects.all())

    # Every step is in the audit trail of the document.
    events = list(AuditEvent.objects.filter(resource_type="document", resource_id=doc_id).order_by("sequence"))
    actions = [e.action for e in events]
    moves = [e.new_values["transition"] for e in events if e.action == "transition"]
    assert moves == [
        "start",
        "submit",
        "approve",
        "make_effective",
        "start",
        "submit",
        "approve",
        "make_effective",
        "supersede",
    ]
    assert actions.count("approve") == 4
    assert "create" in actions and "process" in actions
    version_ids = list(DocumentVersion.objects.filter(document_id=doc_id).values_list("pk", flat=True))
    assert AuditEvent.objects.filter(resource_type="document_version", resource_id__in=version_ids, action="sign").count() == 4
    assert Document.objects.get(pk=doc_id).row_version > 1


def _docx_upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("cleaning-v2.docx", make_docx(["Cleaning of the filling line", "Step 3: dry"]))
