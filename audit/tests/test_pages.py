"""The audit trail page, a record's history and signatures page, signing through the dialog form, chain check."""

import pytest
from django.urls import reverse

from accounts import services as account_services
from accounts.tests.factories import DEFAULT_PASSWORD
from audit import services, signatures
from audit.models import AuditEvent, Signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(admin_user, basic_user):
    return account_services.create_group(actor=admin_user, name="Aseptic operators", member_ids=[basic_user.pk])


def test_audit_trail_page_lists_filters_and_pages(client, auditor, qa_manager):
    for i in range(55):
        services.record(action="update", resource_type="document", resource_id=i, summary=f"Edit {i:02d}", actor=qa_manager)
    services.record(action="login", resource_type="user", resource_id=qa_manager.pk, summary="qam1 signed in", actor=qa_manager)
    client.force_login(auditor)
    page = client.get(reverse("audit:list")).content.decode()
    assert "qam1 signed in" in page and "Edit 54" in page and "Edit 04" not in page
    assert "Page 1 of 2" in page and "56 events" in page
    assert 'data-testid="export-csv"' in page and 'data-testid="export-pdf"' in page
    page2 = client.get(reverse("audit:list") + "?page=2").content.decode()
    assert "Edit 04" in page2 and "Edit 54" not in page2
    filtered = client.get(reverse("audit:list") + "?action=login").content.decode()
    assert "qam1 signed in" in filtered and "Edit 10" not in filtered and "1 events" in filtered
    assert "/api/audit/export?format=csv&amp;action=login" in filtered
    by_record = client.get(reverse("audit:list") + "?resource_type=document&resource_id=7").content.decode()
    assert "Edit 07" in by_record and "Edit 08" not in by_record
    bad = client.get(reverse("audit:list") + "?date_from=someday")
    assert bad.status_code == 200 and "No audit events." in bad.content.decode()


def test_audit_trail_page_needs_audit_view(client, basic_user):
    assert client.get(reverse("audit:list")).status_code == 302  # to the sign-in page
    client.force_login(basic_user)
    assert client.get(reverse("audit:list")).status_code == 403


def test_export_links_download_with_the_session(client, auditor, qa_manager):
    services.record(action="create", resource_type="document", resource_id=1, summary="Created SOP-9", actor=qa_manager)
    client.force_login(auditor)
    response = client.get("/api/audit/export?format=csv&resource_type=document")
    assert response.status_code == 200
    assert "Created SOP-9" in b"".join(response.streaming_content).decode()


def test_record_page_shows_history_and_signs_through_the_dialog_form(client, qa_manager, group):
    client.force_login(qa_manager)
    url = reverse("audit:record", args=["group", group.pk])
    page = client.get(url).content.decode()
    assert "Group Aseptic operators created" in page  # history
    assert "Not signed yet." in page
    assert 'data-testid="signature-dialog"' in page and "Max Manager" in page

    response = client.post(
        reverse("audit:record-sign", args=["group", group.pk]),
        {
            "signature_type": "review",
            "intent": "Membership reviewed",
            "password": DEFAULT_PASSWORD,
            "reason": "Q3 review",
        },
    )
    signature = Signature.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"{url}#signature-{signature.pk}")
    page = client.get(url).content.decode()
    assert 'data-testid="signature-manifestation"' in page
    assert "Max Manager" in page and "Review" in page and "Membership reviewed" in page
    assert signature.signed_at.strftime("%Y-%m-%d %H:%M:%S") + " UTC" in page
    assert "verified" in page
    assert AuditEvent.objects.filter(action="sign", resource_type="group", resource_id=group.pk).exists()


def test_a_changed_record_shows_its_signature_no_longer_verifies(client, qa_manager, admin_user, group):
    signatures.sign(signer=qa_manager, password=DEFAULT_PASSWORD, record=group, signature_type="review", intent="ok")
    account_services.update_group(
        actor=admin_user, group=group, changes={"description": "changed"}, reason="Correction after review"
    )
    client.force_login(qa_manager)
    page = client.get(reverse("audit:record", args=["group", group.pk])).content.decode()
    assert "does not verify" in page and "the record changed after signing" in page


def test_wrong_password_in_the_dialog_shows_an_error_and_signs_nothing(client, qa_manager, group):
    client.force_login(qa_manager)
    response = client.post(
        reverse("audit:record-sign", args=["group", group.pk]),
        {
            "signature_type": "review",
            "intent": "ok",
            "password": "wrong",
        },
        follow=True,
    )
    assert "the password is incorrect" in response.content.decode()
    assert not Signature.objects.exists()
    assert AuditEvent.objects.filter(action="signature_failed", actor_id=qa_manager.pk).exists()
    response = client.post(reverse("audit:record-sign", args=["group", group.pk]), {"signature_type": "review"}, follow=True)
    assert "Signature not applied" in response.content.decode() and not Signature.objects.exists()


def test_record_page_without_sign_permission_shows_no_dialog(client, auditor, group):
    client.force_login(auditor)
    page = client.get(reverse("audit:record", args=["group", group.pk])).content.decode()
    assert "Group Aseptic operators created" in page
    assert 'data-testid="signature-dialog"' not in page
    assert client.post(reverse("audit:record-sign", args=["group", group.pk]), {}).status_code == 403


def test_history_of_a_deleted_record_is_still_shown(client, auditor, admin_user, group):
    group_id = group.pk
    account_services.delete_group(actor=admin_user, group=group, reason="Merged into another group")
    client.force_login(auditor)
    page = client.get(reverse("audit:record", args=["group", group_id])).content.decode()
    assert "Group Aseptic operators deleted" in page and "Merged into another group" in page


def test_verify_page(client, auditor, qa_manager):
    services.record(action="create", resource_type="document", resource_id=1, summary="x", actor=qa_manager)
    client.force_login(auditor)
    page = client.get(reverse("audit:verify")).content.decode()
    assert "intact" in page and "All 1 events verify" in page
    assert "No checkpoint has been written outside the database yet." in page


def test_verify_page_names_a_deleted_checkpoint(client, auditor, qa_manager, _audit_checkpoint_dir):
    services.record(action="create", resource_type="document", resource_id=1, summary="x", actor=qa_manager)
    services.write_checkpoint()
    for path in _audit_checkpoint_dir.glob("checkpoints-*.jsonl"):
        path.unlink()
    client.force_login(auditor)
    page = client.get(reverse("audit:verify")).content.decode()
    assert "broken" in page and "The chain breaks at its end (sequence 3)" in page
    assert "checkpoint 1, recorded in the audit trail at sequence 2, is missing" in page


def test_navigation_shows_the_audit_trail_to_auditors_only(client, auditor, basic_user):
    client.force_login(auditor)
    assert reverse("audit:list") in client.get("/").content.decode()
    client.force_login(basic_user)
    assert reverse("audit:list") not in client.get("/").content.decode()


def test_record_page_hides_records_the_user_may_not_view(client, basic_user, qa_manager, group):
    signatures.sign(signer=qa_manager, password=DEFAULT_PASSWORD, record=group, signature_type="review", intent="ok")
    client.force_login(basic_user)  # signatures.view, but not groups.view

    response = client.get(f"/audit/records/group/{group.pk}/")

    assert response.status_code == 403
    assert "Aseptic operators" not in response.content.decode()


def test_record_page_offers_the_record_export(client, auditor, group):
    client.force_login(auditor)
    page = client.get(f"/audit/records/group/{group.pk}/").content.decode()
    link = f"/api/audit/export?format=pdf&amp;resource_type=group&amp;resource_id={group.pk}"
    assert link in page
    response = client.get(link.replace("&amp;", "&"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_signing_with_the_session_needs_the_csrf_token(qa_manager, group):
    """A signed-in browser cannot be made to sign by another site: pages and the API (session) check CSRF."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(qa_manager)
    body = {"signature_type": "review", "intent": "forged", "password": DEFAULT_PASSWORD}

    page = browser.post(reverse("audit:record-sign", args=["group", group.pk]), body)
    api = browser.post(
        "/api/signatures/", {**body, "resource_type": "group", "resource_id": group.pk}, content_type="application/json"
    )

    assert page.status_code == 403 and api.status_code == 403
    assert not Signature.objects.exists()
