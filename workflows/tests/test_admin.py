"""Admin screens of the workflow engine and of document configuration."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from documents import services as document_services
from documents.models import DocumentTemplate, DocumentType
from workflows.models import WorkflowTemplate

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(make_user):
    user = make_user("Admin", username="root", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


def test_admin_pages_load(admin_client):
    for name in (
        "workflows_workflowtemplate",
        "workflows_workflowstate",
        "workflows_workflowinstance",
        "documents_documenttype",
        "documents_document",
        "documents_documentversion",
        "documents_documenttemplate",
    ):
        assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
    template = WorkflowTemplate.objects.get(name="Document approval")
    page = admin_client.get(reverse("admin:workflows_workflowtemplate_change", args=[template.pk]))
    assert page.status_code == 200 and "Valid" in page.content.decode()
    state = template.states.get(name="in_review")
    assert admin_client.get(reverse("admin:workflows_workflowstate_change", args=[state.pk])).status_code == 200


def test_template_in_use_is_read_only_and_can_be_versioned(admin_client, make_user):
    author = make_user("QA")
    document_services.upload_document(
        actor=author, file=SimpleUploadedFile("a.txt", b"text\n"), title="A", document_type=DocumentType.objects.get(code="SOP")
    )
    template = WorkflowTemplate.objects.get(name="Document approval")
    page = admin_client.get(reverse("admin:workflows_workflowtemplate_change", args=[template.pk])).content.decode()
    assert 'name="_save"' not in page, "a template in use cannot be saved"
    response = admin_client.post(
        reverse("admin:workflows_workflowtemplate_changelist"),
        {"action": "create_new_version", "_selected_action": [template.pk]},
    )
    v2 = WorkflowTemplate.objects.get(name="Document approval", is_current=True)
    assert v2.version == 2 and response.status_code == 302
    assert response["Location"] == reverse("admin:workflows_workflowtemplate_change", args=[v2.pk])
    assert 'name="_save"' in admin_client.get(response["Location"]).content.decode()
    assert v2.states.count() == 7 and v2.transitions.count() == 9


def test_document_type_created_in_admin_is_audited(admin_client):
    workflow = WorkflowTemplate.objects.get(name="Document approval")
    response = admin_client.post(
        reverse("admin:documents_documenttype_add"),
        {
            "name": "Batch Record",
            "code": "BR",
            "description": "",
            "default_workflow": workflow.pk,
            "review_period_months": 12,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    doc_type = DocumentType.objects.get(code="BR")
    assert AuditEvent.objects.filter(resource_type="document_type", resource_id=doc_type.pk, action="create").exists()


def test_document_template_admin_validates_placeholders(admin_client):
    response = admin_client.post(
        reverse("admin:documents_documenttemplate_add"),
        {
            "name": "Memo",
            "description": "",
            "category": "",
            "document_type": 1,
            "body": "Hi {{ who }}",
            "variables": "[]",
            "output_format": "docx",
            "is_active": "on",
        },
    )
    assert response.status_code == 200 and "no variable &#x27;who&#x27; is declared" in response.content.decode()
    assert not DocumentTemplate.objects.filter(name="Memo").exists()


def test_documents_are_read_only_in_admin(admin_client, make_user):
    author = make_user("QA")
    document = document_services.upload_document(
        actor=author, file=SimpleUploadedFile("a.txt", b"text\n"), title="A", document_type=DocumentType.objects.get(code="SOP")
    )
    page = admin_client.get(reverse("admin:documents_document_change", args=[document.pk])).content.decode()
    assert 'name="_save"' not in page and "SOP-0001" in page


def test_deleting_an_unused_new_version_makes_the_previous_one_current_again(admin_client, make_user):
    """A version made by mistake can be deleted; new documents must still have a version to start on."""
    author = make_user("QA")
    sop = DocumentType.objects.get(code="SOP")
    document_services.upload_document(actor=author, file=SimpleUploadedFile("a.txt", b"text\n"), title="A", document_type=sop)
    v1 = WorkflowTemplate.objects.get(name="Document approval")
    admin_client.post(
        reverse("admin:workflows_workflowtemplate_changelist"), {"action": "create_new_version", "_selected_action": [v1.pk]}
    )
    v2 = WorkflowTemplate.objects.get(name="Document approval", is_current=True)
    assert admin_client.get(reverse("admin:workflows_workflowtemplate_delete", args=[v1.pk])).status_code == 403

    response = admin_client.post(reverse("admin:workflows_workflowtemplate_delete", args=[v2.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not WorkflowTemplate.objects.filter(pk=v2.pk).exists()
    assert WorkflowTemplate.objects.get(pk=v1.pk).is_current
    event = AuditEvent.objects.get(resource_type="workflow_template", resource_id=v2.pk, action="delete")
    assert event.old_values["version"] == 2 and "v1 is current again" in event.summary
    second = document_services.upload_document(
        actor=author, file=SimpleUploadedFile("b.txt", b"text\n"), title="B", document_type=sop
    )
    assert second.workflow_instance.template_id == v1.pk


def test_a_version_in_use_cannot_be_deleted(make_user):
    from django.db import transaction

    from qms.errors import Conflict
    from workflows import services as workflow_services

    author = make_user("QA")
    document_services.upload_document(
        actor=author, file=SimpleUploadedFile("a.txt", b"text\n"), title="A", document_type=DocumentType.objects.get(code="SOP")
    )
    template = WorkflowTemplate.objects.get(name="Document approval")
    with pytest.raises(Conflict) as refused, transaction.atomic():
        workflow_services.delete_template_version(actor=make_user("Admin"), template=template)
    assert refused.value.error_code == "TEMPLATE_IN_USE"
    assert WorkflowTemplate.objects.filter(pk=template.pk, is_current=True).exists()


@pytest.mark.requirement("ANNEX11.10")
def test_changing_approval_rules_in_the_admin_is_audited_with_before_and_after(admin_client):
    template = WorkflowTemplate.objects.get(name="Document approval")
    state = template.states.get(name="in_review")
    qa_rule = state.approval_rules.get(role__name="QA")
    form = {
        "name": state.name,
        "label": state.label,
        "kind": state.kind,
        "approval_mode": state.approval_mode,
        "approval_rules-TOTAL_FORMS": "2",
        "approval_rules-INITIAL_FORMS": "2",
        "approval_rules-MIN_NUM_FORMS": "0",
        "approval_rules-MAX_NUM_FORMS": "1000",
    }
    for index, rule in enumerate(state.approval_rules.order_by("order", "pk")):
        form.update(
            {
                f"approval_rules-{index}-id": rule.pk,
                f"approval_rules-{index}-state": state.pk,
                f"approval_rules-{index}-order": rule.order,
                f"approval_rules-{index}-kind": rule.kind,
                f"approval_rules-{index}-role": rule.role_id,
                f"approval_rules-{index}-required_approvals": 2 if rule.pk == qa_rule.pk else rule.required_approvals,
            }
        )

    response = admin_client.post(reverse("admin:workflows_workflowstate_change", args=[state.pk]), form)

    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.filter(resource_type="workflow_template", resource_id=template.pk, action="update").latest("pk")
    rules = {s["name"]: s["approval_rules"] for s in event.old_values["states"]}["in_review"]
    assert {"kind": "role", "role": "QA", "required_approvals": 1} in rules
    rules = {s["name"]: s["approval_rules"] for s in event.new_values["states"]}["in_review"]
    assert {"kind": "role", "role": "QA", "required_approvals": 2} in rules
    assert WorkflowTemplate.objects.get(pk=template.pk).row_version == template.row_version + 1


def _template_form(states: list[dict], transitions: list[dict], **fields) -> dict:
    """The add page's POST: the template's fields and its states and transitions inlines."""
    data = {"name": "Change control", "description": "", "approve_permission": "", "_save": "Save", **fields}
    for prefix, rows in (("states", states), ("transitions", transitions)):
        data.update({f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": 0, f"{prefix}-MIN_NUM_FORMS": 0})
        data[f"{prefix}-MAX_NUM_FORMS"] = 1000
        for index, row in enumerate(rows):
            data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


STATES = [
    {"order": 0, "name": "draft", "label": "Draft", "kind": "draft", "is_initial": "on", "approval_mode": "all"},
    {"order": 1, "name": "closed", "label": "Closed", "kind": "closed", "is_terminal": "on", "approval_mode": "all"},
]
CLOSE = {"order": 0, "name": "close", "label": "Close", "from_state_name": "draft", "to_state_name": "closed"}
CLOSE.update(trigger="manual", signature_type="approval")


def test_an_invalid_definition_is_refused_in_the_admin_exactly_as_by_the_api(admin_client, client_for, make_user):
    states = [{**STATES[0], "is_initial": ""}, STATES[1]]  # no initial state
    response = admin_client.post(reverse("admin:workflows_workflowtemplate_add"), _template_form(states, [CLOSE]))

    assert response.status_code == 200, "the form is shown again"
    page = response.content.decode()
    assert "states: No initial state: mark exactly one state as initial." in page
    assert not WorkflowTemplate.objects.filter(name="Change control").exists()
    assert not AuditEvent.objects.filter(resource_type="workflow_template", action="create").exists()

    api = client_for(make_user("Admin")).post(
        "/api/workflow-templates/",
        {
            "name": "Change control",
            "states": [
                {"name": "draft", "kind": "draft"},
                {"name": "closed", "kind": "closed", "is_terminal": True},
            ],
            "transitions": [{"name": "close", "from_state": "draft", "to_state": "closed"}],
        },
        format="json",
    )
    assert api.status_code == 422
    assert {"loc": ["body", "states"], "msg": "No initial state: mark exactly one state as initial.", "type": "value_error"} in (
        api.json()["detail"]
    )


def test_a_template_made_in_the_admin_is_created_by_the_workflow_services(admin_client):
    form = _template_form(STATES, [CLOSE], approve_permission="capa.approve_draft")
    response = admin_client.post(reverse("admin:workflows_workflowtemplate_add"), form)

    assert response.status_code == 302, response.content.decode()[:3000]
    template = WorkflowTemplate.objects.get(name="Change control")
    assert template.approve_permission == "capa.approve_draft"
    assert [(t.name, t.from_state.name, t.to_state.name) for t in template.transitions.all()] == [("close", "draft", "closed")]
    event = AuditEvent.objects.get(resource_type="workflow_template", resource_id=template.pk, action="create")
    assert [s["name"] for s in event.new_values["states"]] == ["draft", "closed"]

    # A name another template has is refused on the form too (409 NAME_TAKEN in the API).
    again = admin_client.post(reverse("admin:workflows_workflowtemplate_add"), form)
    assert again.status_code == 200 and "already exists" in again.content.decode()
    assert WorkflowTemplate.objects.filter(name="Change control").count() == 1
