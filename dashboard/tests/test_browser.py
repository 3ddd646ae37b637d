"""The QA Manager's morning in headless Chromium: the bell counts their unread notifications; the
dashboard shows the deviation waiting for their approval, the overdue deviation and the overdue
CAPA; a list refreshes in place through htmx; the link leads to the record, which they approve with
their electronic signature; back on the dashboard it is gone. The page prints without its buttons
and keeps its charts."""

import datetime

import pytest
from django.utils import timezone

from capa.models import Capa
from capa.tests.factories import make_capa
from conftest import PASSWORD
from deviations.models import Deviation
from deviations.tests.factories import DeviationFactory
from documents.tests.factories import DocumentFactory
from documents.tests.test_browser import sign_in
from notifications.models import Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.requirement("QMS-DASHBOARD", "QMS-KPI")
def test_the_qa_manager_sees_the_pending_approval_and_the_overdue_item_follows_the_link_and_approves(browser_page, make_user):
    page = browser_page
    manager = make_user("QA Manager", username="max", full_name="Max Manager")
    waiting = DeviationFactory(state="qa_review", title="Torn seal at station 4", severity="High")
    late = DeviationFactory(state="under_investigation", title="Label mix-up", severity="Critical")
    Deviation.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - datetime.timedelta(days=2))
    late_capa = make_capa(state="open", manager=manager, title="Supplier audit of seal materials")
    Capa.objects.filter(pk=late_capa.pk).update(due_date=timezone.localdate() - datetime.timedelta(days=3))

    sign_in(page, "max")
    unread = Notification.objects.filter(recipient=manager, read_at__isnull=True).count()
    assert unread >= 1  # at least the deviation waiting for their approval
    assert page.inner_text("[data-testid=bell-count]") == str(unread)
    page.click("nav >> text=Dashboard")
    approvals = page.locator("[data-testid=worklist-pending_approvals]")
    overdue = page.locator("[data-testid=worklist-overdue]")
    assert "Torn seal at station 4" in approvals.inner_text()
    assert approvals.locator("[data-testid=count]").inner_text() == "1"
    assert "Label mix-up" in overdue.inner_text() and "overdue" in overdue.inner_text()
    assert late_capa.number in overdue.inner_text()
    assert page.locator("[data-testid=kpi-deviations] svg").count() == 2
    assert page.inner_text("[data-testid=deviations-overdue]") == "1"

    # A document submitted meanwhile appears when the list is refreshed, without reloading the page.
    page.evaluate("window.__notReloaded = true")
    document = DocumentFactory(state="in_review", title="Line clearance")
    approvals.locator("[data-testid=refresh]").click()
    page.wait_for_selector(f"[data-testid=item-document-{document.pk}]")
    assert page.evaluate("window.__notReloaded") is True
    assert page.locator("[data-testid=worklist-pending_approvals] [data-testid=count]").inner_text() == "2"

    # Printed: the charts stay, the buttons and filters go.
    page.emulate_media(media="print")
    assert page.locator("[data-testid=worklist-overdue] [data-testid=refresh]").is_hidden()
    assert page.locator("[data-testid=kpi-filters]").is_hidden()
    assert page.locator("[data-testid=kpi-deviations] svg").first.is_visible()
    page.emulate_media(media="screen")

    # The link leads to the deviation; the QA Manager approves (closes) it with a signature.
    page.click(f"[data-testid=item-deviation-{waiting.pk}] a")
    page.wait_for_selector("[data-testid=deviation-number]")
    assert page.inner_text("[data-testid=deviation-number]") == waiting.number
    page.click("button[data-signature-open=approve-dialog]")
    dialog = page.locator("#approve-dialog")
    dialog.locator("[data-testid=signature-password]").fill(PASSWORD)
    dialog.locator("[data-testid=signature-reason]").fill("Investigation and CAPA decision confirmed")
    dialog.locator("[data-testid=signature-submit]").click()
    page.wait_for_selector("text=Approved with your electronic signature")

    page.click("nav >> text=Dashboard")
    approvals = page.locator("[data-testid=worklist-pending_approvals]")
    assert waiting.number not in approvals.inner_text()
    assert f"item-document-{document.pk}" in approvals.inner_html()
    assert Deviation.objects.get(pk=waiting.pk).status == "closed"
