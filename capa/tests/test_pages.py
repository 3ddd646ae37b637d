"""The CAPA pages: the list with its filters, the detail with the workflow panel, the plan approval
dialog for QA Managers only, inline completion for the action's owner only, read-only for auditors;
creating from scratch (linked documents make it open) or from a deviation; every change goes
through the services (errors come back as messages)."""

import pytest
from django.test import Client

from capa.models import Capa

from .factories import due, make_capa

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_list_and_detail_show_what_each_role_may_do(qa_user, qa_manager, auditor, basic_user):
    draft = make_capa(author=qa_user, title="Label mix-up")
    listing = client_of(auditor).get("/capa/?status=draft")
    assert listing.status_code == 200 and draft.number in listing.content.decode()
    page = client_of(auditor).get(f"/capa/{draft.pk}/").content.decode()
    assert (
        'data-testid="workflow-panel"' in page and "approve-draft-dialog" not in page and 'data-testid="action-form"' not in page
    )
    manager_page = client_of(qa_manager).get(f"/capa/{draft.pk}/").content.decode()
    assert "approve-draft-dialog" in manager_page and "CAPA plan approval" in manager_page
    assert "transition-approve_draft" not in manager_page  # offered once, through the plan approval dialog
    assert 'data-testid="action-form"' in client_of(qa_user).get(f"/capa/{draft.pk}/").content.decode()
    assert client_of(basic_user).get(f"/capa/{draft.pk}/").status_code == 404
    assert client_of(basic_user).get("/capa/").status_code == 200
    nav = client_of(basic_user).get("/capa/").content.decode()
    assert 'href="/capa/"' in nav


def test_creating_on_the_page_with_linked_documents_starts_open(qa_user, effective_document):
    response = client_of(qa_user).post(
        "/capa/new/",
        {
            "title": "Cleaning validation gap",
            "description": "The cleaning SOP misses the filler nozzles.",
            "capa_type": "corrective",
            "source": "audit_finding",
            "priority": "high",
            "owner": qa_user.pk,
            "due_date": due().isoformat(),
            "documents": effective_document.number,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    capa = Capa.objects.get(title="Cleaning validation gap")
    assert capa.status == "open" and capa.document_links.get().version == effective_document.effective_version
    unknown = client_of(qa_user).post(
        "/capa/new/",
        {
            "title": "x",
            "description": "y",
            "capa_type": "corrective",
            "source": "other",
            "priority": "low",
            "owner": qa_user.pk,
            "due_date": due().isoformat(),
            "documents": "SOP-9999",
        },
    )
    assert unknown.status_code == 422 and "SOP-9999" in unknown.content.decode()


def test_only_the_owner_sees_the_completion_form_and_plan_approval_needs_the_password(qa_user, qa_manager, basic_user):
    capa = make_capa(state="in_progress", author=qa_user, manager=qa_manager, owner=basic_user)
    action = capa.actions.get()
    assert 'data-testid="complete-1"' in client_of(basic_user).get(f"/capa/{capa.pk}/").content.decode()
    assert 'data-testid="complete-1"' not in client_of(qa_user).get(f"/capa/{capa.pk}/").content.decode()
    refused = client_of(qa_user).post(f"/capa/{capa.pk}/actions/{action.pk}/complete/", {"evidence": "done by QA"}, follow=True)
    assert "Only the owner" in refused.content.decode()
    draft = make_capa(author=qa_user)
    wrong = client_of(qa_manager).post(
        f"/capa/{draft.pk}/approve-draft/",
        {"signature_type": "approval", "intent": "CAPA plan approval", "password": "nope"},
        follow=True,
    )
    assert "Not approved" in wrong.content.decode() and Capa.objects.get(pk=draft.pk).status == "draft"
    assert client_of(qa_user).post(f"/capa/{draft.pk}/approve-draft/", {}).status_code == 403
