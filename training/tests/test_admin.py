"""Django admin: programs, training audiences and qualification requirements are saved through the
training services (audited, a reason that says why required for changes to programs and
audiences); training records are read-only."""

import pytest

from accounts.models import Role
from accounts.tests.factories import GroupFactory
from audit.models import AuditEvent
from documents.models import DocumentType
from training.models import QualificationRequirement, TrainingAudience, TrainingProgram

from .factories import AssignmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("Admin", username="root", is_staff=True, is_superuser=True))
    return client


PROGRAM_FORM = {
    "title": "Gowning",
    "description": "",
    "category": "GMP",
    "level": "BEGINNER",
    "status": "PUBLISHED",
    "credits": 0,
    "default_due_days": 14,
    "requires_signature": "on",
}


def test_a_program_added_and_changed_in_the_admin_goes_through_the_services(admin_client):
    added = admin_client.post("/admin/training/trainingprogram/add/", PROGRAM_FORM)
    assert added.status_code == 302, added.content.decode()[:2000]
    program = TrainingProgram.objects.get(title="Gowning")
    assert AuditEvent.objects.filter(action="create", resource_type="training_program", resource_id=program.pk).exists()

    url = f"/admin/training/trainingprogram/{program.pk}/change/"
    no_reason = admin_client.post(url, {**PROGRAM_FORM, "title": "Gowning (grade A)"})
    assert "A reason is required" in no_reason.content.decode()
    changed = admin_client.post(url, {**PROGRAM_FORM, "title": "Gowning (grade A)", "reason": "Grade named"})
    assert changed.status_code == 302
    event = AuditEvent.objects.get(action="update", resource_type="training_program")
    assert event.new_values == {"title": "Gowning (grade A)"} and event.reason == "Grade named"


def test_a_training_audience_is_set_in_the_admin_through_the_service(admin_client):
    group = GroupFactory(name="Production")
    sop = DocumentType.objects.get(code="SOP")

    response = admin_client.post(
        "/admin/training/trainingaudience/add/",
        {"document_type": sop.pk, "groups": [group.pk], "roles": [Role.objects.get(name="QA").pk], "due_days": 7},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    audience = TrainingAudience.objects.get(document_type=sop)
    assert [g.name for g in audience.groups.all()] == ["Production"] and audience.due_days == 7
    event = AuditEvent.objects.get(resource_type="training_audience")
    assert event.new_values["groups"] == ["Production"] and event.new_values["roles"] == ["QA"]


def test_changing_a_training_audience_needs_a_reason_that_says_why(admin_client):
    sop = DocumentType.objects.get(code="SOP")
    qa = Role.objects.get(name="QA")
    admin_client.post("/admin/training/trainingaudience/add/", {"document_type": sop.pk, "roles": [qa.pk], "due_days": 14})
    audience = TrainingAudience.objects.get(document_type=sop)
    url = f"/admin/training/trainingaudience/{audience.pk}/change/"
    form = {"roles": [qa.pk], "due_days": 7}

    refused = admin_client.post(url, {**form, "reason": "Faster"})
    assert "say why in at least 10 characters" in refused.content.decode()
    assert TrainingAudience.objects.get(pk=audience.pk).due_days == 14

    changed = admin_client.post(url, {**form, "reason": "Procedures change more often now"})
    assert changed.status_code == 302
    event = AuditEvent.objects.get(action="update", resource_type="training_audience")
    assert (event.old_values, event.new_values) == ({"due_days": 14}, {"due_days": 7})
    assert event.reason == "Procedures change more often now"
    assert (event.subject_type, event.subject_id) == ("document_type", sop.pk)
    assert TrainingAudience.objects.get(pk=audience.pk).due_days == 7


def test_a_qualification_requirement_is_added_and_removed_through_the_services(admin_client):
    program = ProgramFactory(title="GMP basics")
    sop = DocumentType.objects.get(code="SOP")

    added = admin_client.post(
        "/admin/training/qualificationrequirement/add/",
        {"document_type": sop.pk, "workflow_state": "in_review", "program": program.pk},
    )
    requirement = QualificationRequirement.objects.get()
    deleted = admin_client.post(f"/admin/training/qualificationrequirement/{requirement.pk}/delete/", {"post": "yes"})

    assert added.status_code == 302 and deleted.status_code == 302
    assert not QualificationRequirement.objects.exists()
    assert list(
        AuditEvent.objects.filter(resource_type="qualification_requirement").order_by("sequence").values_list("action", flat=True)
    ) == ["create", "delete"]


def test_a_requirement_on_a_workflow_state_names_a_state_of_that_workflow(admin_client):
    from workflows.models import WorkflowTemplate

    program = ProgramFactory(title="GMP basics")
    workflow = WorkflowTemplate.objects.get(name="Document approval", is_current=True)
    form = admin_client.get("/admin/training/qualificationrequirement/add/").content.decode()
    assert f'<option value="{workflow.pk}">{workflow}</option>' in form

    refused = admin_client.post(
        "/admin/training/qualificationrequirement/add/",
        {"workflow_template": workflow.pk, "workflow_state": "closed", "program": program.pk},
        follow=True,
    )
    assert "The workflow &#x27;Document approval&#x27; has no state &#x27;closed&#x27;." in refused.content.decode()
    assert not QualificationRequirement.objects.exists()
    admin_client.post(
        "/admin/training/qualificationrequirement/add/",
        {"workflow_template": workflow.pk, "workflow_state": "in_review", "program": program.pk},
    )
    assert str(QualificationRequirement.objects.get()) == "GMP basics (Document approval, in_review)"


def test_training_records_are_read_only_and_the_completion_list_shows_who_qualifies(admin_client, basic_user, program):
    from conftest import PASSWORD
    from training import services

    assignment = AssignmentFactory(user=basic_user, program=program)
    services.complete_training(actor=basic_user, program=program, password=PASSWORD)

    for url in ("/admin/training/assignment/", "/admin/training/completion/", "/admin/training/registration/"):
        page = admin_client.get(url)
        assert page.status_code == 200, url
    completions = admin_client.get("/admin/training/completion/").content.decode()
    assert "GMP basics" in completions and 'alt="True"' in completions
    assert admin_client.get(f"/admin/training/assignment/{assignment.pk}/change/").status_code == 200
    assert admin_client.get("/admin/training/assignment/add/").status_code == 403
    assert admin_client.get(f"/admin/training/trainingprogram/{program.pk}/delete/").status_code == 403
