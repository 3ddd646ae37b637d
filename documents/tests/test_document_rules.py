"""Metadata updates with optimistic concurrency, signed content that cannot change, signatures that stop verifying when it does,
approval rules and conflicts through the documents API, configure-approval, revisions."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent, Signature
from audit.signatures import verify
from conftest import PASSWORD
from documents import services
from documents.models import Document, DocumentType
from documents.tests.factories import DocumentFactory
from workflows.records_services import SignedContentLocked

from .conftest import approve, make_pdf, transition, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(author, pdf_bytes):
    return services.upload_document(
        actor=author,
        file=SimpleUploadedFile("sop.pdf", pdf_bytes),
        title="Cleaning",
        category="Production",
        keywords="cleaning, line",
        document_type=DocumentType.objects.get(code="SOP"),
    )


@pytest.fixture
def in_review(document, author):
    services.transition_document(actor=author, document=document, name="submit")
    return Document.objects.get(pk=document.pk)


# --- metadata and optimistic concurrency ----------------------------------------------------------


@pytest.mark.requirement("21CFR11.10(e)", "ANNEX11.9")
def test_metadata_update_needs_a_reason_and_the_current_row_version(client_for, author, document):
    client = client_for(author)
    current = client.get(f"/api/documents/{document.pk}")
    row_version = current.json()["row_version"]
    assert current["ETag"] == f'"{row_version}"'

    no_reason = client.put(f"/api/documents/{document.pk}", {"title": "New", "row_version": row_version}, format="json")
    assert no_reason.status_code == 422 and no_reason.json()["detail"][0]["loc"] == ["body", "reason"]
    no_version = client.put(f"/api/documents/{document.pk}", {"title": "New", "reason": "Typo in the title"}, format="json")
    assert no_version.status_code == 422 and no_version.json()["error_code"] == "ROW_VERSION_REQUIRED"

    ok = client.put(
        f"/api/documents/{document.pk}",
        {
            "title": "Cleaning of line 3",
            "keywords": ["cleaning", "line 3"],
            "reason": "Line number was missing",
            "row_version": row_version,
        },
        format="json",
    )
    assert ok.status_code == 200, ok.json()
    assert ok.json()["title"] == "Cleaning of line 3" and ok.json()["keywords"] == ["cleaning", "line 3"]
    assert ok.json()["row_version"] == row_version + 1

    stale = client.put(
        f"/api/documents/{document.pk}",
        {"title": "Other", "reason": "Correction after review", "row_version": row_version},
        format="json",
    )
    assert stale.status_code == 409
    assert stale.json()["error_code"] == "VERSION_CONFLICT" and stale.json()["current_row_version"] == row_version + 1

    stale_header = client.put(
        f"/api/documents/{document.pk}",
        {"title": "Other", "reason": "Correction after review"},
        format="json",
        HTTP_IF_MATCH=f'"{row_version}"',
    )
    assert stale_header.status_code == 409 and stale_header.json()["error_code"] == "VERSION_CONFLICT"
    fresh_header = client.put(
        f"/api/documents/{document.pk}",
        {"category": "QA", "reason": "Moved to another area"},
        format="json",
        HTTP_IF_MATCH=f'W/"{row_version + 1}"',
    )
    assert fresh_header.status_code == 200

    event = (
        AuditEvent.objects.filter(resource_type="document", resource_id=document.pk, action="update").order_by("sequence").first()
    )
    assert event.old_values == {"title": "Cleaning", "keywords": "cleaning, line"}
    assert event.new_values == {"title": "Cleaning of line 3", "keywords": "cleaning, line 3"}
    assert event.reason == "Line number was missing"


@pytest.mark.requirement("21CFR11.70")
def test_signature_verification_turns_false_when_signed_content_changes_behind_the_services(
    client_for, manager, author, in_review
):
    """The services refuse such a change (below); verification catches one made in the database."""
    response = approve(client_for(manager), in_review.pk, PASSWORD)
    assert response.status_code == 200
    signature = Signature.objects.get(signer=manager)
    assert signature.resource_type == "document_version"
    assert verify(signature)["valid"] is True
    assert response.json()["signatures"][0]["valid"] is True

    Document.objects.filter(pk=in_review.pk).update(title="Cleaning (changed after signing)")
    result = verify(signature)
    assert result["valid"] is False and result["content_hash_matches"] is False and result["signature_hash_matches"] is True
    detail = client_for(author).get(f"/api/documents/{in_review.pk}").json()
    assert detail["signatures"][0]["valid"] is False

    # Changing it back restores the signed content: verification is about content, not timing.
    Document.objects.filter(pk=in_review.pk).update(title="Cleaning")
    assert verify(signature)["valid"] is True


def test_signed_content_of_a_signed_version_cannot_change_but_the_rest_can(client_for, manager, author, in_review):
    assert approve(client_for(manager), in_review.pk, PASSWORD).status_code == 200
    signature = Signature.objects.get(signer=manager)
    client = client_for(author)
    row_version = client.get(f"/api/documents/{in_review.pk}").json()["row_version"]
    events = AuditEvent.objects.count()

    refused = client.put(
        f"/api/documents/{in_review.pk}",
        {
            "title": "Cleaning (changed after signing)",
            "owner": manager.pk,
            "reason": "Retitled after review",
            "row_version": row_version,
        },
        format="json",
    )
    assert refused.status_code == 409, refused.json()
    body = refused.json()
    assert body["error_code"] == "SIGNED_CONTENT_LOCKED" and body["locked_fields"] == ["title"]
    assert "new revision" in body["detail"]
    document = Document.objects.get(pk=in_review.pk)
    assert (document.title, document.owner_id, document.row_version) == ("Cleaning", author.pk, row_version)
    assert AuditEvent.objects.count() == events  # nothing half-written

    allowed = client.put(
        f"/api/documents/{in_review.pk}",
        {"owner": manager.pk, "next_review_date": "2030-01-31", "reason": "New process owner", "row_version": row_version},
        format="json",
    )
    assert allowed.status_code == 200, allowed.json()
    assert verify(signature)["valid"] is True
    assert all(s["valid"] for s in allowed.json()["signatures"])


def test_an_effective_document_keeps_its_approval_signatures_valid_through_every_allowed_edit(client_for, qa_user, admin_user):
    effective = DocumentFactory(state="effective", author=admin_user, title="Line clearance")
    client = client_for(qa_user)
    url = f"/api/documents/{effective.pk}"
    for change in ({"owner": qa_user.pk}, {"next_review_date": "2031-06-30"}, {"next_review_date": None}):
        row_version = client.get(url).json()["row_version"]
        response = client.put(url, {**change, "reason": "Periodic review planning", "row_version": row_version}, format="json")
        assert response.status_code == 200, response.json()
        approvals = [s for s in response.json()["signatures"] if s["signature_type"] == "approval"]
        assert len(approvals) == 2 and all(s["valid"] for s in approvals)
    for change in ({"title": "Line clearance v2"}, {"category": "Packaging"}, {"description": "Reworded"}, {"keywords": ["x"]}):
        row_version = client.get(url).json()["row_version"]
        response = client.put(url, {**change, "reason": "Editorial change", "row_version": row_version}, format="json")
        assert (response.status_code, response.json()["error_code"]) == (409, "SIGNED_CONTENT_LOCKED"), change
        assert response.json()["locked_fields"] == list(change)
    assert all(verify(signature)["valid"] for signature in Signature.objects.filter(subject_id=effective.pk))


def test_document_signature_via_the_signatures_api_covers_the_current_version(client_for, qa_manager, document):
    response = client_for(qa_manager).post(
        "/api/signatures/",
        {"document_id": document.pk, "signature_type": "review", "intent": "Reviewed", "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 201, response.json()
    signature = Signature.objects.get(pk=response.json()["id"])
    assert signature.resource_type == "document"
    assert signature.signed_content["file_sha256"] == document.current_version.sha256
    assert verify(signature)["valid"] is True
    with pytest.raises(SignedContentLocked) as refused:
        services.update_metadata(
            actor=qa_manager,
            document=Document.objects.get(pk=document.pk),
            changes={"keywords": "other", "description": "More words"},
            reason="Keywords completed",
            row_version=Document.objects.get(pk=document.pk).row_version,
        )
    assert refused.value.extra["locked_fields"] == ["description", "keywords"]
    assert verify(signature)["valid"] is True


# --- approvals through the API ---------------------------------------------------------------------------


@pytest.mark.requirement("21CFR11.200(a)")
def test_approve_without_password_is_422(client_for, manager, in_review):
    response = client_for(manager).post(f"/api/documents/{in_review.pk}/approve", {"comment": "ok"}, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "password"]


@pytest.mark.requirement("21CFR11.200(a)")
def test_wrong_password_is_401_and_counts_toward_lockout(client_for, manager, in_review):
    response = approve(client_for(manager), in_review.pk, "wrong-password")
    assert response.status_code == 401 and response.json()["error_code"] == "SIGNATURE_AUTH_FAILED"
    manager.refresh_from_db()
    assert manager.failed_login_count == 1
    assert not Signature.objects.exists()


@pytest.mark.requirement("21CFR11.10(g)")
def test_author_cannot_approve_their_own_document(client_for, make_user, pdf_bytes):
    qam_author = make_user("QA Manager", username="qam_author")
    document = services.upload_document(
        actor=qam_author,
        file=SimpleUploadedFile("a.pdf", pdf_bytes),
        title="Mine",
        document_type=DocumentType.objects.get(code="SOP"),
    )
    services.transition_document(actor=qam_author, document=document, name="submit")
    response = approve(client_for(qam_author), document.pk, PASSWORD)
    assert response.status_code == 403 and response.json()["error_code"] == "SELF_APPROVAL_NOT_ALLOWED"
    assert not Signature.objects.exists()


def test_uploader_of_a_later_version_cannot_approve_it_either(client_for, author, manager, document):
    services.add_version(
        actor=manager, document=document, file=SimpleUploadedFile("b.pdf", make_pdf(["v1.1"])), change_summary="Manager's edits"
    )
    services.transition_document(actor=author, document=document, name="submit")
    response = approve(client_for(manager), document.pk, PASSWORD)
    assert response.status_code == 403 and response.json()["error_code"] == "SELF_APPROVAL_NOT_ALLOWED"


@pytest.mark.requirement("21CFR11.10(g)")
def test_approver_without_a_matching_rule_is_403(client_for, make_user, in_review):
    admin = make_user("Admin", username="admin_x")
    response = approve(client_for(admin), in_review.pk, PASSWORD)
    assert response.status_code == 403 and response.json()["error_code"] == "NOT_AN_APPROVER"
    reader = make_user("User", username="reader_x")
    assert approve(client_for(reader), in_review.pk, PASSWORD).status_code == 403  # no documents.approve at all


def test_approving_twice_is_409_already_approved(client_for, manager, in_review):
    client = client_for(manager)
    assert approve(client, in_review.pk, PASSWORD).status_code == 200
    again = approve(client, in_review.pk, PASSWORD)
    assert again.status_code == 409 and again.json()["error_code"] == "ALREADY_APPROVED"
    assert Signature.objects.filter(signer=manager).count() == 1


@pytest.mark.requirement("21CFR11.10(f)")
def test_approving_a_draft_and_invalid_transitions_are_409(client_for, manager, author, document):
    assert approve(client_for(manager), document.pk, PASSWORD).json()["error_code"] == "INVALID_TRANSITION"
    response = transition(client_for(author), document.pk, "make_effective")
    assert response.status_code == 409 and response.json()["error_code"] == "INVALID_TRANSITION"
    assert response.json()["current_state"] == "draft"
    assert transition(client_for(author), document.pk, "approve").status_code == 409


def test_reject_needs_a_comment_and_a_signature(client_for, manager, author, in_review):
    client = client_for(manager)
    no_comment = transition(client, in_review.pk, "reject", password=PASSWORD)
    assert no_comment.status_code == 422 and no_comment.json()["detail"][0]["loc"] == ["body", "comment"]
    no_password = transition(client, in_review.pk, "reject", comment="Section 4 is wrong")
    assert no_password.status_code == 422 and no_password.json()["detail"][0]["loc"] == ["body", "password"]
    rejected = transition(client, in_review.pk, "reject", comment="Section 4 is wrong", password=PASSWORD)
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    signature = Signature.objects.get(signer=manager)
    assert signature.signature_type == "review" and signature.reason == "Section 4 is wrong"
    entry = rejected.json()["workflow"]["history"][-1]
    assert (entry["transition"], entry["signature_id"], entry["comment"]) == ("reject", signature.pk, "Section 4 is wrong")
    assert AuditEvent.objects.filter(
        resource_type="document", resource_id=in_review.pk, action="reject", reason="Section 4 is wrong"
    ).exists()
    # Back to draft, a new file, and a new review round.
    a = client_for(author)
    assert transition(a, in_review.pk, "rework").json()["status"] == "draft"
    assert (
        a.post(
            f"/api/documents/{in_review.pk}/versions",
            {"file": SimpleUploadedFile("fixed.pdf", make_pdf(["fixed"])), "change_summary": "Fixed section 4"},
            format="multipart",
        ).json()["version"]
        == "1.1"
    )


def test_transition_permission_is_checked(client_for, author, document):
    response = transition(client_for(author), document.pk, "withdraw", comment="no", password=PASSWORD)
    assert response.status_code == 403  # withdrawing needs documents.obsolete, which QA staff do not hold
    assert "documents.obsolete" in response.json()["detail"]


@pytest.mark.requirement("21CFR11.10(f)")
def test_new_versions_only_from_editable_states(client_for, author, in_review):
    response = client_for(author).post(
        f"/api/documents/{in_review.pk}/versions",
        {"file": SimpleUploadedFile("x.pdf", make_pdf(["x"])), "change_summary": "During review"},
        format="multipart",
    )
    assert response.status_code == 409 and response.json()["error_code"] == "NOT_EDITABLE"


# --- configure-approval -----------------------------------------------------------------------------------


def test_configure_approval_sets_per_document_approvers(client_for, qa_manager, author, make_user, document):
    alice, bob = make_user("User", username="alice"), make_user("QA Manager", username="bob")
    # Grant documents.approve to alice so she can use the endpoint.
    from accounts.models import Permission, UserPermissionOverride

    UserPermissionOverride.objects.create(
        user=alice, permission=Permission.objects.get(codename="documents.approve"), effect="grant"
    )
    client = client_for(qa_manager)
    no_reason = client.post(
        f"/api/documents/{document.pk}/configure-approval", {"rules": [{"kind": "users", "users": [alice.pk]}]}, format="json"
    )
    assert no_reason.status_code == 422
    response = client.post(
        f"/api/documents/{document.pk}/configure-approval",
        {"rules": [{"kind": "users", "users": [alice.pk]}], "reason": "Alice is the process owner"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert (
        client_for(author)
        .post(
            f"/api/documents/{document.pk}/configure-approval",
            {"rules": [], "reset": True, "reason": "Correction after review"},
            format="json",
        )
        .status_code
        == 403
    )

    transition(client_for(author), document.pk, "submit")
    detail = client_for(author).get(f"/api/documents/{document.pk}").json()
    assert detail["workflow"]["approval"]["overridden"] is True
    assert detail["workflow"]["approval"]["rules"] == [
        {"kind": "users", "role": None, "required_approvals": 1, "users": [alice.pk], "approvals": 0, "satisfied": False}
    ]
    assert approve(client_for(bob), document.pk, PASSWORD).status_code == 403
    assert approve(client_for(alice), document.pk, PASSWORD).json()["status"] == "approved"
    # Configuring during review is refused.
    assert (
        client.post(
            f"/api/documents/{document.pk}/configure-approval",
            {"reset": True, "reason": "Correction after review"},
            format="json",
        ).status_code
        == 409
    )
    assert AuditEvent.objects.filter(
        resource_type="document", resource_id=document.pk, reason="Alice is the process owner"
    ).exists()


def test_configure_approval_validates_rules(client_for, qa_manager, document):
    response = client_for(qa_manager).post(
        f"/api/documents/{document.pk}/configure-approval",
        {"rules": [{"kind": "role", "role": "Nobody"}, {"kind": "users", "users": [99999]}], "reason": "Correction after review"},
        format="json",
    )
    assert response.status_code == 422
    locs = [p["loc"] for p in response.json()["detail"]]
    assert ["body", "rules", 0, "role"] in locs and ["body", "rules", 1, "users"] in locs


def test_configure_approval_refuses_approvers_who_could_never_approve(client_for, qa_manager, author, make_user, document):
    """Rules nobody can satisfy would leave the document waiting for ever: a named approver without
    documents.approve, the author (who may not approve), or a role with too few members able to approve."""
    reader = make_user("User", username="reader", full_name="Rita Reader")
    make_user("Auditor", username="inspector")
    client = client_for(qa_manager)

    response = client.post(
        f"/api/documents/{document.pk}/configure-approval",
        {
            "rules": [
                {"kind": "users", "users": [reader.pk, author.pk]},
                {"kind": "role", "role": "Auditor", "required_approvals": 1},
                {"kind": "role", "role": "QA Manager", "required_approvals": 2},
            ],
            "reason": "Correction after review",
        },
        format="json",
    )

    assert response.status_code == 422
    assert response.json()["error_code"] == "APPROVER_CANNOT_APPROVE"
    problems = [(tuple(p["loc"][1:]), p["msg"]) for p in response.json()["detail"]]
    assert (("rules", 0, "users"), f"Rita Reader (id {reader.pk}) does not hold the documents.approve permission.") in problems
    assert any(loc == ("rules", 0, "users") and "is an author" in msg for loc, msg in problems)
    assert any(loc == ("rules", 1, "role") and "Only 0 active user(s) with role Auditor" in msg for loc, msg in problems)
    assert any(loc == ("rules", 2, "role") and "Only 1 active user(s) with role QA Manager" in msg for loc, msg in problems)
    assert not Document.objects.get(pk=document.pk).workflow_instance.approval_overrides.exists()

    # The author may be named when the rules let authors approve.
    allowed = client.post(
        f"/api/documents/{document.pk}/configure-approval",
        {"rules": [{"kind": "users", "users": [author.pk]}], "author_may_approve": True, "reason": "Sole expert"},
        format="json",
    )
    assert allowed.status_code == 200, allowed.json()


# --- revisions ---------------------------------------------------------------------------------------------


def _make_effective(document, author, manager, reviewer):
    services.transition_document(actor=author, document=document, name="submit")
    services.approve_document(actor=manager, document=document, password=PASSWORD)
    services.approve_document(actor=reviewer, document=document, password=PASSWORD)
    services.transition_document(actor=author, document=document, name="make_effective")
    return Document.objects.get(pk=document.pk)


@pytest.mark.requirement("21CFR11.10(k)")
def test_withdrawing_a_revision_keeps_the_effective_version(author, manager, reviewer, qa_manager, document):
    document = _make_effective(document, author, manager, reviewer)
    services.add_version(actor=author, document=document, file=SimpleUploadedFile("r.pdf", make_pdf(["r"])), change_summary="Rev")
    document = services.transition_document(
        actor=qa_manager, document=document, name="withdraw", comment="Not needed", password=PASSWORD
    )
    document.refresh_from_db()
    assert document.status == "effective"
    assert document.effective_version.version == "1.0" and document.current_version.version == "1.0"
    assert list(document.versions.values_list("version", "status")) == [("1.0", "effective"), ("2.0", "obsolete")]


@pytest.mark.requirement("QMS-DOC-WORKFLOW")
def test_obsoleting_an_effective_document(client_for, author, manager, reviewer, qa_manager, document):
    document = _make_effective(document, author, manager, reviewer)
    response = transition(client_for(qa_manager), document.pk, "obsolete", comment="Process retired", password=PASSWORD)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "obsolete" and response.json()["effective_version"] is None
    assert response.json()["available_transitions"] == []
    put = client_for(author).put(
        f"/api/documents/{document.pk}",
        {"title": "x", "reason": "Correction after review", "row_version": response.json()["row_version"]},
        format="json",
    )
    assert put.status_code == 409 and put.json()["error_code"] == "NOT_EDITABLE"


def test_second_upload_during_draft_is_a_minor_version_and_replaces_the_first(client_for, author, document):
    response = client_for(author).post(
        f"/api/documents/{document.pk}/versions",
        {"file": SimpleUploadedFile("v2.pdf", make_pdf(["v1.1"])), "change_summary": "Corrections"},
        format="multipart",
    )
    body = response.json()
    assert body["version"] == "1.1" and body["status"] == "draft"
    assert [(v["version"], v["status"]) for v in body["versions"]] == [("1.0", "superseded"), ("1.1", "draft")]
    missing_summary = client_for(author).post(
        f"/api/documents/{document.pk}/versions",
        {"file": SimpleUploadedFile("v3.pdf", make_pdf(["x"]))},
        format="multipart",
    )
    assert missing_summary.status_code == 422


def test_upload_helper_matches_seed_fields(client_for, author, pdf_bytes):
    body = upload(client_for(author), pdf_bytes).json()
    assert {"id", "title", "version", "status", "file_path", "row_version", "available_transitions"} <= set(body)


def test_signing_an_unknown_document_is_404(client_for, qa_manager):
    response = client_for(qa_manager).post(
        "/api/signatures/",
        {"document_id": 999, "signature_type": "review", "intent": "Reviewed", "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 404
