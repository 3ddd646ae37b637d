"""The dashboard page: "My work" lists linking to the records, refreshed one by one through htmx,
and "Quality KPIs" as SVG charts without any script or external resource, with the same figures
as tables."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from deviations.models import Deviation
from deviations.tests.factories import DeviationFactory
from documents.tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.requirement("QMS-DASHBOARD", "QMS-KPI")
def test_the_page_shows_my_work_and_the_kpis_as_charts_and_tables(qa_manager):
    document = DocumentFactory(state="in_review", title="Line clearance")
    late = DeviationFactory(state="under_investigation", title="Torn seal", severity="Critical")
    Deviation.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - datetime.timedelta(days=3))

    response = browser(qa_manager).get("/dashboard/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="/documents/{document.pk}/"' in html and "Line clearance" in html
    assert f'href="/deviations/{late.pk}/"' in html and "overdue" in html
    assert html.count("<svg ") >= 5 and 'role="img"' in html
    assert not re.search(r'(src|href)="(https?:)?//', html), "nothing is fetched from another site"
    assert 'data-testid="table-deviation-severity"' in html
    severity_table = html.split('data-testid="table-deviation-severity"')[1].split("</table>")[0]
    assert re.search(r"Critical</th><td>1</td>", severity_table)
    assert 'data-testid="deviations-overdue">1<' in html


def test_charts_carry_no_script(qa_manager):
    html = browser(qa_manager).get("/dashboard/").content.decode()
    svgs = re.findall(r"<svg .*?</svg>", html, re.S)
    assert svgs and all("<script" not in svg for svg in svgs)


def test_each_list_refreshes_alone_through_htmx(qa_manager):
    client = browser(qa_manager)
    assert 'data-testid="empty"' in client.get("/dashboard/lists/pending_approvals/", HTTP_HX_REQUEST="true").content.decode()
    document = DocumentFactory(state="in_review")

    partial = client.get("/dashboard/lists/pending_approvals/", HTTP_HX_REQUEST="true")

    assert partial.status_code == 200
    html = partial.content.decode()
    assert html.startswith('<section class="panel worklist" id="worklist-pending_approvals"')
    assert f"item-document-{document.pk}" in html and "<html" not in html
    assert client.get("/dashboard/lists/nonsense/").status_code == 404


def test_kpi_filters_from_the_query_string_and_bad_ones_are_explained(qa_manager):
    client = browser(qa_manager)
    html = client.get("/dashboard/?date_from=2026-01-01&date_to=2026-03-31").content.decode()
    assert "Period 2026-01-01 to 2026-03-31" in html
    bad = client.get("/dashboard/?date_from=2026-03-01&date_to=2026-01-01").content.decode()
    assert "date_to must not be before date_from." in bad


def test_the_page_needs_dashboard_view(make_user, auditor, client):
    from accounts.models import Role

    assert client.get("/dashboard/").status_code == 302
    assert browser(auditor).get("/dashboard/").status_code == 200
    nobody = make_user(None)
    nobody.role = Role.objects.create(name="Nothing")
    nobody.save()
    assert browser(nobody).get("/dashboard/").status_code == 403
    assert browser(nobody).get("/dashboard/lists/overdue/").status_code == 403


def test_the_navigation_leads_to_the_dashboard(basic_user):
    html = browser(basic_user).get("/").content.decode()
    assert 'href="/dashboard/"' in html
