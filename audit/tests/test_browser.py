"""In headless Chromium: sign a record through the signature dialog and see the manifestation."""

import re

import pytest

from accounts import services as account_services
from accounts.tests.factories import DEFAULT_PASSWORD
from audit.models import AuditEvent, Signature

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.requirement("21CFR11.50")
def test_sign_a_record_through_the_dialog_and_see_the_manifestation(live_server, audit_browser_page, make_user):
    admin = make_user("Admin", username="admin9", full_name="Ada Admin")
    make_user("QA Manager", username="signer", full_name="Sigrid Signer")
    group = account_services.create_group(actor=admin, name="Cleanroom B", description="Grade B operators")
    page = audit_browser_page

    page.goto(f"{live_server.url}/login/?next=/audit/records/group/{group.pk}/")
    page.fill("input[name=username]", "signer")
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf".*/audit/records/group/{group.pk}/$"))
    assert page.get_by_text("Not signed yet.").is_visible()

    dialog = page.get_by_test_id("signature-dialog")
    assert not dialog.is_visible()
    page.get_by_test_id("signature-open").click()
    assert dialog.is_visible()
    assert page.get_by_test_id("signature-printed-name").inner_text() == "Sigrid Signer"
    # Approval is given only through a workflow: the dialog does not offer it.
    offered = page.get_by_test_id("signature-meaning").locator("option").evaluate_all("options => options.map(o => o.value)")
    assert offered == ["review", "authorship", "responsibility"]
    page.get_by_test_id("signature-meaning").select_option("review")
    page.get_by_test_id("signature-intent").fill("I reviewed the Grade B operator list")
    page.get_by_test_id("signature-password").fill(DEFAULT_PASSWORD)
    page.get_by_test_id("signature-reason").fill("Annual requalification")
    page.get_by_test_id("signature-submit").click()

    manifestation = page.get_by_test_id("signature-manifestation")
    manifestation.wait_for()
    assert manifestation.get_by_test_id("manifestation-name").inner_text() == "Sigrid Signer"
    assert manifestation.get_by_test_id("manifestation-meaning").inner_text() == "Review"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", manifestation.get_by_test_id("manifestation-time").inner_text())
    text = manifestation.inner_text()
    assert "I reviewed the Grade B operator list" in text and "Annual requalification" in text and "verified" in text

    signature = Signature.objects.get()
    assert (signature.signer_username, signature.signature_type, signature.resource_id) == ("signer", "review", group.pk)
    assert AuditEvent.objects.filter(action="sign", resource_id=group.pk).exists()


def test_a_wrong_password_in_the_dialog_is_refused(live_server, audit_browser_page, make_user):
    admin = make_user("Admin", username="admin8", full_name="Ada Admin")
    group = account_services.create_group(actor=admin, name="Warehouse")
    page = audit_browser_page
    page.goto(f"{live_server.url}/login/?next=/audit/records/group/{group.pk}/")
    page.fill("input[name=username]", "admin8")
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/audit/records/group/\d+/$"))
    page.get_by_test_id("signature-open").click()
    page.get_by_test_id("signature-intent").fill("Reviewed")
    page.get_by_test_id("signature-password").fill("not-the-password")
    page.get_by_test_id("signature-submit").click()
    page.get_by_text("the password is incorrect").wait_for()
    assert page.get_by_test_id("signature-manifestation").count() == 0
    assert not Signature.objects.exists()
