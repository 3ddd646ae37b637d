"""Electronic signatures: POST /api/signatures/ (seed 000 body and generic form), verification, lockout, listing."""

import datetime

import pytest
from django.conf import settings
from django.db import connection

from accounts import services as account_services
from accounts.models import Group, User
from accounts.tests.factories import DEFAULT_PASSWORD, GroupFactory
from audit import immutability, signatures
from audit.models import AuditEvent, Signature
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(admin_user, basic_user):
    return account_services.create_group(
        actor=admin_user, name="Sterile filling", description="Line 1", member_ids=[basic_user.pk]
    )


@pytest.fixture
def documents_signable(monkeypatch):
    """Stands in for the documents app: the seed body's document_id resolves to resource_type "document".
    A group plays the document here; the documents app registers its own model."""
    monkeypatch.setitem(
        signatures._REGISTRY,
        "document",
        signatures.Signable(
            "document",
            Group,
            content=lambda g: {"id": g.pk, "name": g.name, "description": g.description},
            label="Document",
        ),
    )


def _sign(client, **body):
    payload = {"signature_type": "review", "intent": "I reviewed the membership", "password": DEFAULT_PASSWORD, **body}
    return client.post("/api/signatures/", payload)


@pytest.mark.requirement("ANNEX11.14")
def test_seed_request_with_the_right_password_creates_the_signature(client_for, qa_manager, group, documents_signable):
    response = client_for(qa_manager).post(
        "/api/signatures/",
        {
            "document_id": group.pk,
            "signature_type": "review",
            "intent": "I reviewed this document for release",
            "password": DEFAULT_PASSWORD,
        },
        HTTP_X_REQUEST_ID="sig-1",
        REMOTE_ADDR="198.51.100.4",
    )
    assert response.status_code == 201, response.data
    body = response.data
    assert body["printed_name"] == "Max Manager" and body["signer_full_name"] == "Max Manager"
    assert body["signer_id"] == qa_manager.pk and body["signer_username"] == "qam1"
    assert body["meaning"] == "Review" and body["signature_type"] == "review"
    assert body["intent"] == "I reviewed this document for release"
    assert body["document_id"] == group.pk and body["resource_type"] == "document" and body["resource_id"] == group.pk
    signed_at = datetime.datetime.fromisoformat(body["signed_at"].replace("Z", "+00:00"))
    assert abs(signed_at - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(minutes=1)
    assert body["manifestation"].startswith("Electronically signed by Max Manager (qam1) on ")
    assert "UTC. Meaning: Review - I reviewed this document for release" in body["manifestation"]
    assert len(body["content_hash"]) == 64 and len(body["signature_hash"]) == 64
    assert body["verification"]["valid"] is True and body["verification"]["recorded_in_audit_trail"] is True
    assert "password" not in body
    signature = Signature.objects.get(pk=body["id"])
    assert (signature.ip_address, signature.request_id) == ("198.51.100.4", "sig-1")
    event = AuditEvent.objects.get(action="sign")
    assert (event.resource_type, event.resource_id, event.actor_id) == ("document", group.pk, qa_manager.pk)
    assert event.new_values["signature_hash"] == signature.signature_hash
    assert event.request_id == "sig-1"


def test_generic_form_signs_any_registered_record(client_for, qa_manager, group):
    response = _sign(client_for(qa_manager), resource_type="group", resource_id=group.pk, reason="annual access review")
    assert response.status_code == 201, response.data
    assert response.data["reason"] == "annual access review" and response.data["document_id"] is None
    assert response.data["signed_content"] == {
        "group_id": group.pk,
        "name": "Sterile filling",
        "description": "Line 1",
        "members": ["user1"],
    }


@pytest.mark.requirement("21CFR11.200(a)")
def test_wrong_password_is_401_counts_toward_lockout_and_is_audited(client_for, qa_manager, group):
    response = _sign(client_for(qa_manager), resource_type="group", resource_id=group.pk, password="not-my-password")
    assert response.status_code == 401
    assert response.data["error_code"] == "SIGNATURE_AUTH_FAILED"
    assert not Signature.objects.exists()
    qa_manager.refresh_from_db()
    assert qa_manager.failed_login_count == 1
    event = AuditEvent.objects.get(action="signature_failed")
    assert (event.actor_id, event.resource_type, event.resource_id) == (qa_manager.pk, "user", qa_manager.pk)


@pytest.mark.requirement("21CFR11.300(d)")
def test_repeated_wrong_passwords_lock_the_account_and_a_locked_account_cannot_sign(client_for, qa_manager, group):
    client = client_for(qa_manager)
    for _ in range(settings.LOGIN_MAX_FAILED_ATTEMPTS):
        assert _sign(client, resource_type="group", resource_id=group.pk, password="wrong").status_code == 401
    qa_manager.refresh_from_db()
    assert qa_manager.is_locked()
    assert AuditEvent.objects.filter(action="lockout", resource_id=qa_manager.pk).exists()
    response = _sign(client, resource_type="group", resource_id=group.pk)  # right password, still locked
    assert response.status_code == 401 and response.data["error_code"] == "SIGNATURE_AUTH_FAILED"
    assert "locked" in response.data["detail"]
    assert not Signature.objects.exists()


@pytest.mark.requirement("21CFR11.100")
def test_a_deactivated_user_cannot_sign(admin_user, qa_manager, group):
    account_services.deactivate_user(actor=admin_user, user=qa_manager, reason="Left the company")
    with pytest.raises(signatures.SignatureAuthFailed, match="deactivated"):
        signatures.sign(
            signer=User.objects.get(pk=qa_manager.pk),
            password=DEFAULT_PASSWORD,
            record=group,
            signature_type="review",
            intent="ok",
        )
    assert not Signature.objects.exists()
    assert AuditEvent.objects.filter(action="signature_failed", actor_id=qa_manager.pk).exists()


def test_a_successful_signature_resets_the_failure_count(qa_manager, group):
    with pytest.raises(signatures.SignatureAuthFailed):
        account_services.authenticate_signer(user=qa_manager, password="wrong")
    signatures.sign(signer=qa_manager, password=DEFAULT_PASSWORD, record=group, signature_type="review", intent="ok")
    qa_manager.refresh_from_db()
    assert qa_manager.failed_login_count == 0


@pytest.mark.requirement("21CFR11.70", "ANNEX11.14")
def test_verification_turns_false_when_the_signed_record_changes(client_for, qa_manager, admin_user, group):
    client = client_for(qa_manager)
    signature_id = _sign(client, resource_type="group", resource_id=group.pk).data["id"]
    verification = client.get(f"/api/signatures/{signature_id}").data["verification"]
    assert verification["valid"] is True
    assert verification["content_hash_matches"] is True and verification["signature_hash_matches"] is True
    assert verification["checked_at"].endswith("Z")

    account_services.add_group_member(actor=admin_user, group=group, user_id=qa_manager.pk)

    verification = client.get(f"/api/signatures/{signature_id}").data["verification"]
    assert verification == {**verification, "valid": False, "content_hash_matches": False, "signature_hash_matches": True}


@pytest.mark.requirement("21CFR11.70")
def test_a_signature_cannot_be_re_pointed_to_another_record(client_for, qa_manager, group):
    other = GroupFactory(name="Sterile filling 2", description="Line 1")
    client = client_for(qa_manager)
    signature_id = _sign(client, resource_type="group", resource_id=group.pk).data["id"]
    with immutability.suspended(connection), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_signature SET resource_id = %s WHERE id = %s", [other.pk, signature_id])
    verification = client.get(f"/api/signatures/{signature_id}").data["verification"]
    assert verification["signature_hash_matches"] is False
    assert verification["valid"] is False


@pytest.mark.requirement("21CFR11.70")
def test_a_copied_signature_does_not_verify_on_another_record(qa_manager, group):
    """Copying every field (and hash) onto a new row for another record fails verification too."""
    original = signatures.sign(signer=qa_manager, password=DEFAULT_PASSWORD, record=group, signature_type="review", intent="ok")
    other = GroupFactory()
    copy = Signature.objects.get(pk=original.pk)
    copy.pk, copy._state.adding, copy.resource_id, copy.signature_hash = None, True, other.pk, "f" * 64
    copy.save()
    result = signatures.verify(copy)
    assert result["valid"] is False and result["signature_hash_matches"] is False and result["content_hash_matches"] is False


@pytest.mark.requirement("21CFR11.10(g)")
def test_signing_needs_the_sign_permission_and_the_record_view_permission(client_for, auditor, basic_user, group):
    assert _sign(client_for(auditor), resource_type="group", resource_id=group.pk).status_code == 403  # no signatures.sign
    response = _sign(client_for(basic_user), resource_type="group", resource_id=group.pk)  # no groups.view
    assert response.status_code == 403
    assert not Signature.objects.exists()


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"resource_type": "group"}, ["body", "resource_id"]),
        ({"resource_type": "group", "resource_id": 1, "signature_type": "witness"}, ["body", "signature_type"]),
        ({"resource_type": "group", "resource_id": 1, "intent": ""}, ["body", "intent"]),
        ({"resource_type": "group", "resource_id": 1, "password": ""}, ["body", "password"]),
        ({"resource_type": "spaceship", "resource_id": 1}, ["body", "resource_type"]),
        ({"document_id": 1, "resource_type": "group"}, ["body", "document_id"]),  # both ways of naming the record
    ],
)
def test_invalid_requests_are_422(client_for, qa_manager, group, body, loc):
    response = _sign(client_for(qa_manager), **body)
    assert response.status_code == 422, response.data
    assert response.data["detail"][0]["loc"] == loc
    assert not Signature.objects.exists()


def test_signing_a_missing_record_is_404(client_for, qa_manager):
    assert _sign(client_for(qa_manager), resource_type="group", resource_id=999999).status_code == 404


def test_list_filters(client_for, qa_manager, admin_user, group, documents_signable):
    other = GroupFactory()
    first = signatures.sign(signer=qa_manager, password=DEFAULT_PASSWORD, record=group, signature_type="review", intent="a")
    second = signatures.sign(signer=admin_user, password=DEFAULT_PASSWORD, record=other, signature_type="authorship", intent="b")
    with immutability.suspended(connection), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_signature SET signed_at = %s WHERE id = %s",
            [datetime.datetime(2024, 1, 10, tzinfo=datetime.UTC), first.pk],
        )
    client = client_for(qa_manager)

    def ids(query):
        response = client.get(f"/api/signatures/?{query}")
        assert response.status_code == 200, response.data
        return [item["id"] for item in response.data["items"]]

    assert ids("") == [second.pk, first.pk]
    assert ids(f"resource_type=group&resource_id={group.pk}") == [first.pk]
    assert ids(f"signer_id={admin_user.pk}") == [second.pk]
    assert ids("signature_type=review") == [first.pk]
    assert ids("date_to=2024-01-10") == [first.pk]
    assert ids("date_from=2024-01-11") == [second.pk]
    assert ids(f"signer_id={qa_manager.pk}&signature_type=authorship") == []
    assert ids(f"document_id={group.pk}") == []  # the group signatures are not document signatures
    doc_sig = signatures.sign(
        signer=qa_manager,
        password=DEFAULT_PASSWORD,
        record=group,
        signature_type="responsibility",
        intent="c",
        resource_type="document",
    )
    assert ids(f"document_id={group.pk}") == [doc_sig.pk]
    assert ids(f"document_id={group.pk}&signature_type=review") == []
    response = client.get("/api/signatures/?signature_type=nonsense")
    assert response.status_code == 422 and response.data["detail"][0]["loc"] == ["query", "signature_type"]


def test_list_and_detail_need_signatures_view(client_for, qa_manager, group, api_client, make_user):
    signature = signatures.sign(signer=qa_manager, password=DEFAULT_PASSWORD, record=group, signature_type="review", intent="a")
    assert api_client.get("/api/signatures/").status_code == 401
    nobody = make_user(None, username="norole")
    assert client_for(nobody).get("/api/signatures/").status_code == 403
    assert client_for(nobody).get(f"/api/signatures/{signature.pk}").status_code == 403
    assert client_for(qa_manager).get("/api/signatures/999999").status_code == 404


def test_role_signatures_cover_the_permission_set(admin_user):
    from accounts.models import Role

    role = Role.objects.get(name="Auditor")
    signature = signatures.sign(
        signer=admin_user, password=DEFAULT_PASSWORD, record=role, signature_type="review", intent="Periodic access review"
    )
    assert signatures.verify(signature)["valid"]
    account_services.set_role_permissions(
        actor=admin_user, role=role, codenames=["audit.view"], reason="Least privilege trim", password=PASSWORD
    )
    assert signatures.verify(signature)["content_hash_matches"] is False


def test_signatures_are_immutable_through_the_orm(qa_manager, group):
    from audit.models import ImmutableRecordError

    signature = signatures.sign(signer=qa_manager, password=DEFAULT_PASSWORD, record=group, signature_type="review", intent="a")
    signature.intent = "something else"
    with pytest.raises(ImmutableRecordError):
        signature.save()
    with pytest.raises(ImmutableRecordError):
        Signature.objects.filter(pk=signature.pk).update(intent="x")


def test_list_query_count_does_not_grow_with_the_page(client_for, qa_manager, admin_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(6):
        signatures.sign(
            signer=qa_manager, password=DEFAULT_PASSWORD, record=GroupFactory(name=f"G{i}"), signature_type="review", intent="ok"
        )
    client = client_for(admin_user)
    counts = []
    for size in (1, 6):
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get(f"/api/signatures/?page_size={size}").data["items"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.requirement("21CFR11.50")
def test_the_manifestation_block_renders_in_a_pdf(qa_manager, group):
    import io

    from pypdf import PdfReader
    from reportlab.platypus import SimpleDocTemplate

    from audit.exports import signature_manifestation_flowable

    signature = signatures.sign(
        signer=qa_manager,
        password=DEFAULT_PASSWORD,
        record=group,
        signature_type="responsibility",
        intent="Responsible for the line",
        reason="Initial release",
    )
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer).build([signature_manifestation_flowable(signature)])
    text = PdfReader(io.BytesIO(buffer.getvalue())).pages[0].extract_text()
    assert "Max Manager (qam1)" in text
    assert f"Signed {signature.signed_at:%Y-%m-%d %H:%M:%S} UTC" in text
    assert "Meaning: Responsibility - Responsible for the line" in text and "Reason: Initial release" in text


def test_signatures_are_visible_only_to_those_who_may_view_the_signed_record(client_for, qa_manager, basic_user, auditor, group):
    """A signature carries the signed content (here a group's members): User holds signatures.view but not
    groups.view, so group signatures stay hidden from them (list and detail), not from an auditor."""
    signature = signatures.sign(
        signer=qa_manager, password=DEFAULT_PASSWORD, record=group, signature_type="review", intent="Membership reviewed"
    )

    user_list = client_for(basic_user).get("/api/signatures/")
    user_detail = client_for(basic_user).get(f"/api/signatures/{signature.pk}")
    auditor_detail = client_for(auditor).get(f"/api/signatures/{signature.pk}")

    assert user_list.status_code == 200 and user_list.json()["total"] == 0
    assert user_detail.status_code == 404
    assert auditor_detail.status_code == 200 and auditor_detail.json()["signed_content"]["members"] == ["user1"]


# --- checks other apps add ----------------------------------------------------------------------------


@pytest.fixture
def refusing_check():
    """A check another app registers: refuses review signatures on groups (a DomainError, 403)."""
    from qms.errors import PermissionDenied

    calls = []

    def check(*, signer, record, resource_type, signature_type):
        calls.append((signer.username, resource_type, record.pk, signature_type))
        if resource_type == "group" and signature_type == "review":
            raise PermissionDenied("Not qualified to sign this group.", error_code="NOT_QUALIFIED")

    signatures.register_signature_check(check)
    yield calls
    signatures.unregister_signature_check(check)


def test_a_registered_check_refuses_a_direct_signature_before_the_password_is_checked(
    client_for, qa_manager, group, refusing_check
):
    response = _sign(client_for(qa_manager), resource_type="group", resource_id=group.pk, password="not-my-password")

    assert response.status_code == 403 and response.data["error_code"] == "NOT_QUALIFIED"
    assert refusing_check == [(qa_manager.username, "group", group.pk, "review")]
    qa_manager.refresh_from_db()
    assert qa_manager.failed_login_count == 0 and not Signature.objects.exists()

    authorship = _sign(client_for(qa_manager), resource_type="group", resource_id=group.pk, signature_type="authorship")
    assert authorship.status_code == 201, authorship.data


def test_registered_checks_do_not_run_for_a_workflow_step(qa_manager, group, refusing_check):
    """A workflow's approve signs with via_workflow=True after running its own checks."""
    signatures.create_signature(
        signer=qa_manager, record=group, signature_type="review", intent="Reviewed in the workflow", via_workflow=True
    )

    assert refusing_check == [] and Signature.objects.count() == 1
