"""The document pages (server-rendered): list with filters, upload, detail, approve/reject through the
signature dialog's fields, configure approval, templates and "create from template"."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from audit.models import Signature
from conftest import PASSWORD
from documents import services
from documents.models import Document, DocumentType

from .conftest import make_pdf

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def draft(author):
    return services.upload_document(
        actor=author,
        file=SimpleUploadedFile("sop.pdf", make_pdf(["Page"])),
        title="Cleaning",
        category="Production",
        document_type=DocumentType.objects.get(code="SOP"),
    )


def test_navigation_links_resolve(author):
    page = browser(author).get("/")
    assert reverse("documents:list") in page.content.decode()
    assert reverse("documents:template-list") in page.content.decode()


def test_list_with_filters(author, draft):
    client = browser(author)
    page = client.get(reverse("documents:list"))
    assert page.status_code == 200 and "SOP-0001" in page.content.decode()
    assert "SOP-0001" not in client.get(reverse("documents:list") + "?status=effective").content.decode()
    assert "SOP-0001" in client.get(reverse("documents:list") + "?search=clean&document_type=1").content.decode()


def test_upload_page_creates_a_draft(author, django_capture_on_commit_callbacks):
    client = browser(author)
    assert client.get(reverse("documents:upload")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("documents:upload"),
            {
                "file": SimpleUploadedFile("wi.pdf", make_pdf(["Work instruction"])),
                "title": "Gowning",
                "document_type": DocumentType.objects.get(code="WI").pk,
                "category": "Hygiene",
            },
        )
    document = Document.objects.get(title="Gowning")
    assert response.status_code == 302 and response["Location"] == reverse("documents:detail", args=[document.pk])
    assert document.number == "WI-0001" and document.current_version.processing_status == "completed"


def test_upload_page_shows_type_errors(author):
    response = browser(author).post(
        reverse("documents:upload"),
        {
            "file": SimpleUploadedFile("fake.pdf", b"not a pdf"),
            "title": "Fake",
            "document_type": 1,
        },
    )
    assert response.status_code == 200
    assert "not a valid .pdf file" in response.content.decode()
    assert not Document.objects.exists()


def test_detail_shows_versions_workflow_and_actions(author, draft):
    page = browser(author).get(reverse("documents:detail", args=[draft.pk])).content.decode()
    assert 'data-testid="document-status">Draft<' in page
    assert f"{reverse('documents:download', args=[draft.pk])}?version=1.0" in page
    assert 'data-testid="transition-submit"' in page
    assert "Upload a new version" in page


def test_approve_and_reject_through_the_signature_dialog(author, manager, reviewer, draft):
    services.transition_document(actor=author, document=draft, name="submit")
    detail_url = reverse("documents:detail", args=[draft.pk])
    page = browser(manager).get(detail_url).content.decode()
    assert 'data-signature-open="approve-dialog"' in page and 'id="dialog-reject"' in page

    wrong = browser(manager).post(
        reverse("documents:approve", args=[draft.pk]),
        {"signature_type": "approval", "intent": "I approve", "password": "nope", "reason": ""},
        follow=True,
    )
    assert "Approval not recorded" in wrong.content.decode()
    ok = browser(manager).post(
        reverse("documents:approve", args=[draft.pk]),
        {"signature_type": "approval", "intent": "I approve", "password": PASSWORD, "reason": "Fine after the review"},
        follow=True,
    )
    assert "Approved with your electronic signature" in ok.content.decode()
    assert 'data-testid="signature-manifestation"' in ok.content.decode()
    assert "Mia Manager" in ok.content.decode()

    rejected = browser(reviewer).post(
        reverse("documents:transition", args=[draft.pk, "reject"]),
        {"signature_type": "review", "intent": "I reject", "password": PASSWORD, "reason": "Missing step"},
        follow=True,
    )
    assert "is now rejected" in rejected.content.decode()
    assert Signature.objects.filter(signer=reviewer, signature_type="review", reason="Missing step").exists()


def test_author_sees_why_they_cannot_approve(make_user, pdf_bytes):
    qam = make_user("QA Manager", username="qam_author", full_name="Q Author")
    document = services.upload_document(
        actor=qam, file=SimpleUploadedFile("a.pdf", pdf_bytes), title="Own", document_type=DocumentType.objects.get(code="SOP")
    )
    services.transition_document(actor=qam, document=document, name="submit")
    page = browser(qam).get(reverse("documents:detail", args=[document.pk])).content.decode()
    assert "approve-dialog" not in page and "Authors may not approve their own" in page


def test_configure_approval_page(qa_manager, make_user, draft):
    alice = make_user("QA", username="alice")
    url = reverse("documents:configure-approval", args=[draft.pk])
    assert browser(qa_manager).get(url).status_code == 200
    response = browser(qa_manager).post(
        url,
        {
            "state": "in_review",
            "approval_mode": "all",
            "users": [alice.pk],
            "reason": "Process owner",
        },
    )
    assert response.status_code == 302
    from workflows.selectors import approval_policy

    draft.refresh_from_db()
    state = draft.workflow_instance.template.states.get(name="in_review")
    policy = approval_policy(draft.workflow_instance, state, with_progress=False)
    assert policy.overridden and policy.rules[0].user_ids == [alice.pk]


def test_new_version_and_edit_pages(author, draft):
    client = browser(author)
    response = client.post(
        reverse("documents:version-new", args=[draft.pk]),
        {"file": SimpleUploadedFile("v.pdf", make_pdf(["v2"])), "change_summary": "Typos"},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.current_version.version == "1.1"
    edit = client.post(
        reverse("documents:edit", args=[draft.pk]),
        {
            "title": "Cleaning (rev)",
            "category": "Production",
            "owner": author.pk,
            "reason": "Clearer title",
            "row_version": draft.row_version,
        },
    )
    assert edit.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "Cleaning (rev)"
    stale = client.post(
        reverse("documents:edit", args=[draft.pk]),
        {"title": "Other", "owner": author.pk, "reason": "Correction after review", "row_version": draft.row_version - 1},
    )
    assert stale.status_code == 200 and "changed by someone else" in stale.content.decode()


def test_download_page_streams_the_file(author, draft):
    response = browser(author).get(reverse("documents:download", args=[draft.pk]) + "?version=1.0")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_templates_pages(qa_user, basic_user):
    client = browser(qa_user)
    listing = client.get(reverse("documents:template-list")).content.decode()
    assert "Quality Manual" in listing and reverse("documents:template-use", args=[1]) in listing
    form = client.get(reverse("documents:template-use", args=[2])).content.decode()
    assert 'name="var_department"' in form and 'type="date"' in form
    invalid = client.post(
        reverse("documents:template-use", args=[2]),
        {
            "var_title": "Line clearance",
            "var_author": "Ann",
            "var_department": "Production",
            "var_review_date": "31.01.2027",
            "var_purpose": "Avoid mix-ups",
        },
    )
    assert invalid.status_code == 200 and "expected a date as YYYY-MM-DD" in invalid.content.decode()
    created = client.post(
        reverse("documents:template-use", args=[1]),
        {"var_title": "Quality Manual", "var_version": "1.0", "var_author": "John Doe"},
    )
    assert created.status_code == 302
    assert Document.objects.get(title="Quality Manual").document_type.code == "POL"
    # Readers see templates but cannot use them.
    assert browser(basic_user).get(reverse("documents:template-list")).status_code == 200
    assert browser(basic_user).get(reverse("documents:template-use", args=[1])).status_code == 403


def test_readers_see_only_effective_documents(basic_user, draft):
    client = browser(basic_user)
    assert "SOP-0001" not in client.get(reverse("documents:list")).content.decode()
    assert client.get(reverse("documents:detail", args=[draft.pk])).status_code == 404
