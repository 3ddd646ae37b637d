"""The admin shows audit events and signatures read-only."""

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, GroupFactory
from audit import services, signatures

pytestmark = pytest.mark.django_db


def test_admin_lists_and_shows_events_and_signatures_without_changing_them(client, make_user, qa_manager):
    superuser = make_user("Admin", username="root", is_staff=True, is_superuser=True)
    event = services.record(action="create", resource_type="document", resource_id=1, summary="Created SOP-1", actor=qa_manager)
    signature = signatures.sign(
        signer=qa_manager, password=DEFAULT_PASSWORD, record=GroupFactory(), signature_type="review", intent="ok"
    )
    client.force_login(superuser)
    listing = client.get("/admin/audit/auditevent/")
    assert listing.status_code == 200 and "Created SOP-1" in listing.content.decode()
    detail = client.get(f"/admin/audit/auditevent/{event.pk}/change/").content.decode()
    assert event.hash in detail and 'name="_save"' not in detail
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/audit/signature/").status_code == 200
    sig_page = client.get(f"/admin/audit/signature/{signature.pk}/change/").content.decode()
    assert signature.signature_hash in sig_page and 'name="_save"' not in sig_page
    assert client.post(f"/admin/audit/signature/{signature.pk}/delete/", {"post": "yes"}).status_code == 403
