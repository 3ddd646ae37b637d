"""The deviation pages without JavaScript: the list (own deviations for reporters, filters and
badges), reporting through the active form, the detail (answers, attachments, related items,
recurrence, workflow panel), the investigation form, links and attachments."""

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from conftest import PASSWORD
from deviations.models import Deviation

from .conftest import pdf_upload, png_upload
from .factories import INVESTIGATION, DeviationFactory

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def report_post(**overrides) -> dict:
    data = {
        "event.title": "Label missing on pallet",
        "event.description": "Pallet 12 had no label.",
        "event.occurred_at": "2025-03-02",
        "event.area": "Warehouse",
        "classification.category": "Materials",
        "classification.severity": "Medium",
        "immediate_action.immediate_action": "Pallet held",
    }
    return {**data, **overrides}


def test_reporters_find_deviations_in_the_navigation_and_see_their_own(basic_user):
    mine, other = DeviationFactory(reporter=basic_user), DeviationFactory()
    client = browser(basic_user)
    home = client.get("/").content.decode()
    assert f'href="{reverse("deviations:list")}"' in home
    page = client.get(reverse("deviations:list")).content.decode()
    assert mine.number in page and other.number not in page and "You see the deviations you reported" in page
    assert client.get(reverse("deviations:detail", args=[other.pk])).status_code == 404


@pytest.mark.requirement("QMS-DEVIATIONS")
def test_a_user_reports_a_deviation_without_javascript(basic_user):
    client = browser(basic_user)
    form = client.get(reverse("deviations:report"))
    assert form.status_code == 200 and 'name="event.title"' in form.content.decode()
    assert '<option value="Warehouse">' in form.content.decode()  # the areas kept in the admin
    response = client.post(
        reverse("deviations:report"), {**report_post(), "attachments.photos": png_upload(), "attachments": pdf_upload()}
    )
    deviation = Deviation.objects.get()
    assert response.status_code == 302 and response["Location"] == deviation.get_absolute_url()
    assert deviation.reported_by == basic_user and deviation.area.name == "Warehouse" and deviation.attachments.count() == 2
    detail = client.get(deviation.get_absolute_url()).content.decode()
    assert "Label missing on pallet" in detail and "Pallet 12 had no label." in detail
    assert "Classify and investigate" not in detail  # reporters do not investigate


def test_bad_answers_are_shown_next_to_their_fields(basic_user):
    client = browser(basic_user)
    response = client.post(reverse("deviations:report"), report_post(**{"event.title": "", "classification.severity": "Huge"}))
    assert response.status_code == 422 and not Deviation.objects.exists()
    html = response.content.decode()
    assert 'data-testid="error-event.title"' in html and 'data-testid="error-classification.severity"' in html
    # The typed answers stay in the form.
    assert "Pallet 12 had no label." in html


def test_a_bad_attachment_is_named_and_nothing_is_kept(basic_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("scan.pdf", b"not a pdf")
    response = browser(basic_user).post(reverse("deviations:report"), {**report_post(), "attachments": fake})
    assert response.status_code == 422 and "scan.pdf" in response.content.decode()
    assert not Deviation.objects.exists()


def test_qa_investigates_on_the_edit_page(qa_user):
    deviation = DeviationFactory(state="under_investigation", investigator=qa_user)
    client = browser(qa_user)
    detail = client.get(deviation.get_absolute_url()).content.decode()
    assert "Classify and investigate" in detail and 'data-testid="workflow-panel"' in detail
    assert 'data-testid="transition-submit_for_review"' in detail
    page = client.get(reverse("deviations:edit", args=[deviation.pk]))
    form = page.context["form"]
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    data.update(area=deviation.area_id, category=deviation.category_id, owner=qa_user.pk, **INVESTIGATION)
    data.update(capa_required="no", reason="Investigation done", root_cause_method="fishbone")
    saved = client.post(reverse("deviations:edit", args=[deviation.pk]), data)
    assert saved.status_code == 302, saved.context["form"].errors
    deviation.refresh_from_db()
    assert deviation.owner == qa_user and deviation.root_cause_method == "fishbone" and deviation.capa_required is False
    event = AuditEvent.objects.get(resource_type="deviation", resource_id=deviation.pk, action="update")
    assert event.reason == "Investigation done" and "root_cause" in event.new_values
    # The same (now stale) page again: refused, nothing overwritten.
    stale = client.post(reverse("deviations:edit", args=[deviation.pk]), {**data, "title": "Other", "reason": "x for the record"})
    assert stale.status_code == 200 and "changed by someone else" in stale.content.decode()
    assert Deviation.objects.get(pk=deviation.pk).title == deviation.title


def test_links_and_attachments_from_the_detail_page(qa_user, effective_document):
    deviation = DeviationFactory(state="under_investigation", investigator=qa_user)
    client = browser(qa_user)
    linked = client.post(
        reverse("deviations:link", args=[deviation.pk]),
        {"target_type": "document", "target": effective_document.number, "reason": "SOP not followed"},
    )
    assert linked.status_code == 302
    search = client.get(reverse("deviations:link-search"), {"target_type": "document", "q": "clean"}).content.decode()
    assert f'data-picker-pick="{effective_document.number}"' in search
    link = deviation.links.get()
    client.post(reverse("deviations:attach", args=[deviation.pk]), {"files": [pdf_upload("log.pdf")], "description": "Line log"})
    detail = client.get(deviation.get_absolute_url()).content.decode()
    assert f'data-testid="link-{effective_document.number}"' in detail and "log.pdf" in detail and "Line log" in detail
    attachment = deviation.attachments.get()
    download = client.get(reverse("deviations:attachment", args=[deviation.pk, attachment.pk]))
    assert download.status_code == 200 and download["X-Content-SHA256"] == attachment.sha256
    no_reason = client.post(reverse("deviations:unlink", args=[deviation.pk, link.pk]), {"reason": ""}, follow=True)
    assert "a reason is required" in no_reason.content.decode()
    client.post(reverse("deviations:unlink", args=[deviation.pk, link.pk]), {"reason": "Wrong SOP for the record"})
    link.refresh_from_db()
    assert link.removal_reason == "Wrong SOP for the record"


def test_the_qa_manager_closes_from_the_workflow_panel(qa_manager):
    deviation = DeviationFactory(state="qa_review")
    client = browser(qa_manager)
    detail = client.get(deviation.get_absolute_url()).content.decode()
    assert "Approve (e-signature)" in detail
    response = client.post(
        reverse("deviations:approve", args=[deviation.pk]),
        {"signature_type": "approval", "intent": "I approve the closure.", "password": PASSWORD, "reason": ""},
        follow=True,
    )
    assert "Approved with your electronic signature" in response.content.decode()
    deviation.refresh_from_db()
    assert deviation.status == "closed"
    closed = client.get(deviation.get_absolute_url()).content.decode()
    assert "Classify and investigate" not in closed and 'data-testid="link-form"' not in closed


def test_the_list_filters_and_shows_badges(qa_user):
    critical = DeviationFactory(severity="Critical")
    DeviationFactory(severity="Low")
    html = browser(qa_user).get(reverse("deviations:list"), {"severity": "Critical"}).content.decode()
    assert critical.number in html and html.count('data-testid="severity"') == 1 and "badge-danger" in html


def test_a_documents_page_lists_the_deviations_citing_it_to_those_who_may_see_them(qa_user, basic_user, effective_document):
    from deviations import services

    deviation = DeviationFactory()
    services.link_record(
        actor=qa_user, deviation=deviation, target_type="document", target=effective_document.pk, reason="SOP step 3 skipped"
    )
    page = browser(qa_user).get(reverse("documents:detail", args=[effective_document.pk])).content.decode()
    assert 'data-testid="referred-by"' in page and deviation.number in page and "SOP step 3 skipped (version 1.0)" in page
    # A reporter who did not report it does not see it cited.
    other = browser(basic_user).get(reverse("documents:detail", args=[effective_document.pk])).content.decode()
    assert deviation.number not in other
