"""The qualification gate: an approver who lacks the training that a record's configuration
requires (per document type, workflow and state) is refused with 403 TRAINING_REQUIRED naming the
missing programs, through the API and on the page, before their password is even checked. The gate
is the workflow kit's approval check, so it holds for every controlled record type."""

import datetime

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from audit.models import Signature
from conftest import PASSWORD
from documents.models import DocumentType
from documents.tests.factories import DocumentFactory
from qms.errors import InvalidInput, PermissionDenied
from training import selectors, services
from training.models import Completion, ProgramStatus
from workflows import records, records_services
from workflows.models import Approval
from workflows.tests.factories import WorkflowTemplateFactory
from workflows.tests.testapp.models import SampleRecord

from .factories import AssignmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sop_type():
    return DocumentType.objects.get(code="SOP")


@pytest.fixture
def approvers():
    """The two approvers the default "Document approval" workflow needs (a QA Manager and a QA)."""
    return UserFactory(role_name="QA Manager", full_name="Mia Manager"), UserFactory(role_name="QA", full_name="Rob Reviewer")


@pytest.fixture
def in_review(approvers):
    """`in_review()`: an SOP submitted for review."""
    return lambda: DocumentFactory(state="in_review")


def complete(user, program):
    AssignmentFactory(user=user, program=program)
    return services.complete_training(actor=user, program=program, password=PASSWORD)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- documents: API and pages -------------------------------------------------------------------------------


@pytest.mark.requirement("21CFR11.10(i)", "QMS-TRAINING")
def test_an_unqualified_approver_gets_403_naming_the_missing_programs_before_the_password_is_checked(
    client_for, in_review, approvers, sop_type, admin_user
):
    gmp = ProgramFactory(title="GMP basics")
    gdp = ProgramFactory(title="Good documentation practice")
    services.add_qualification_requirement(actor=admin_user, document_type=sop_type, workflow_state="in_review", program=gmp)
    services.add_qualification_requirement(actor=admin_user, document_type=sop_type, program=gdp)
    document = in_review()
    manager, _ = approvers

    refused = client_for(manager).post(f"/api/documents/{document.pk}/approve", {"password": "wrong"}, format="json")

    assert refused.status_code == 403, refused.json()
    body = refused.json()
    assert body["error_code"] == "TRAINING_REQUIRED"
    assert body["missing_programs"] == [
        {"id": gmp.pk, "title": "GMP basics"},
        {"id": gdp.pk, "title": "Good documentation practice"},
    ]
    assert body["detail"] == (
        f"You are not qualified to approve or sign {document.number}: complete this training first: "
        "GMP basics; Good documentation practice."
    )
    manager.refresh_from_db()
    assert manager.failed_login_count == 0, "refused before the password was checked"
    assert not Approval.objects.exists() and not Signature.objects.filter(signer=manager).exists()

    complete(manager, gmp)
    complete(manager, gdp)
    approved = client_for(manager).post(f"/api/documents/{document.pk}/approve", {"password": PASSWORD}, format="json")
    assert approved.status_code == 200, approved.json()
    assert Approval.objects.get().approver == manager


def test_signing_a_step_in_that_state_is_gated_too(client_for, in_review, approvers, sop_type, admin_user):
    gmp = ProgramFactory(title="GMP basics")
    services.add_qualification_requirement(actor=admin_user, document_type=sop_type, workflow_state="in_review", program=gmp)
    document = in_review()
    _, reviewer = approvers

    rejected = client_for(reviewer).post(
        f"/api/documents/{document.pk}/transition",
        {"transition": "reject", "comment": "Step 3 is missing", "password": PASSWORD},
        format="json",
    )

    assert rejected.status_code == 403 and rejected.json()["error_code"] == "TRAINING_REQUIRED"
    document.refresh_from_db()
    assert document.status == "in_review"


def test_the_page_says_in_plain_words_why_there_is_no_approve_button(in_review, approvers, sop_type, admin_user):
    gmp = ProgramFactory(title="GMP basics")
    services.add_qualification_requirement(actor=admin_user, document_type=sop_type, workflow_state="in_review", program=gmp)
    document = in_review()
    manager, reviewer = approvers
    complete(reviewer, gmp)
    detail = reverse("documents:detail", args=[document.pk])

    page = browser(manager).get(detail).content.decode()
    assert 'data-signature-open="approve-dialog"' not in page
    assert 'data-testid="approve-blocker"' in page
    assert f"You are not qualified to approve or sign {document.number}: complete this training first: GMP basics." in page
    assert 'data-signature-open="approve-dialog"' in browser(reviewer).get(detail).content.decode()

    posted = browser(manager).post(
        reverse("documents:approve", args=[document.pk]),
        {"signature_type": "approval", "intent": "I approve", "password": PASSWORD, "reason": ""},
        follow=True,
    )
    assert "Approval not recorded: You are not qualified to approve or sign" in posted.content.decode()
    assert not Approval.objects.exists()


# --- direct signatures (POST /api/signatures/) ----------------------------------------------------------------


def sign(client, **body):
    payload = {"signature_type": "review", "intent": "I reviewed this procedure", "password": PASSWORD, **body}
    return client.post("/api/signatures/", payload, format="json")


def test_an_unqualified_user_cannot_sign_a_document_directly_in_a_state_that_requires_training(
    client_for, in_review, approvers, sop_type, admin_user
):
    gmp = ProgramFactory(title="GMP basics")
    services.add_qualification_requirement(actor=admin_user, document_type=sop_type, workflow_state="in_review", program=gmp)
    document = in_review()
    _, reviewer = approvers
    client = client_for(reviewer)

    on_document = sign(client, document_id=document.pk, password="wrong")
    on_version = sign(client, resource_type="document_version", resource_id=document.current_version_id)

    for refused in (on_document, on_version):
        assert refused.status_code == 403, refused.json()
        assert refused.json()["error_code"] == "TRAINING_REQUIRED"
        assert refused.json()["missing_programs"] == [{"id": gmp.pk, "title": "GMP basics"}]
    reviewer.refresh_from_db()
    assert reviewer.failed_login_count == 0, "refused before the password was checked"
    assert not Signature.objects.filter(signer=reviewer).exists()

    complete(reviewer, gmp)
    signed = sign(client, document_id=document.pk)
    assert signed.status_code == 201, signed.json()
    assert signed.json()["signature_type"] == "review" and signed.json()["document_id"] == document.pk


def test_direct_signatures_in_a_state_without_requirements_need_no_training(
    client_for, in_review, approvers, sop_type, admin_user
):
    services.add_qualification_requirement(
        actor=admin_user, document_type=sop_type, workflow_state="approved", program=ProgramFactory(title="GMP basics")
    )
    document = in_review()
    _, reviewer = approvers

    assert sign(client_for(reviewer), document_id=document.pk).status_code == 201


def test_the_trainee_signs_a_read_and_understood_completion_without_the_documents_approver_training(
    effective_document, sop_type, admin_user, basic_user
):
    """A completion belongs to the document in the audit trail, but it is not the document's signature:
    the document's requirements for signers do not apply to the trainee confirming they read it."""
    services.add_qualification_requirement(actor=admin_user, document_type=sop_type, requires_document_training=True)
    services.set_training_audience(actor=admin_user, document_type=sop_type, roles=[basic_user.role])
    document = effective_document()
    services.assign_read_and_understood(version=document.effective_version)

    services.complete_training(actor=basic_user, program=document.read_and_understood_program, password=PASSWORD)

    signature = Signature.objects.get(signer=basic_user)
    assert signature.signature_type == "training_completion"
    assert (signature.subject_type, signature.subject_id) == ("document", document.pk)


# --- which requirements apply ----------------------------------------------------------------------------------


def test_requirements_of_another_state_or_type_do_not_apply(in_review, sop_type, admin_user, qa_user):
    gmp = ProgramFactory(title="GMP basics")
    services.add_qualification_requirement(actor=admin_user, document_type=sop_type, workflow_state="approved", program=gmp)
    services.add_qualification_requirement(actor=admin_user, document_type=DocumentType.objects.get(code="WI"), program=gmp)
    document = in_review()

    services.check_qualified_to_approve(actor=qa_user, record=document)
    with pytest.raises(PermissionDenied):
        services.check_qualified_to_approve(actor=qa_user, record=document, state="approved")


def test_a_requirement_without_type_or_workflow_applies_to_every_record_in_that_state(in_review, admin_user, qa_user):
    gmp = ProgramFactory(title="GMP basics")
    services.add_qualification_requirement(actor=admin_user, workflow_state="in_review", program=gmp)
    document = in_review()

    with pytest.raises(PermissionDenied) as refused:
        services.check_qualified_to_approve(actor=qa_user, record=document.current_version)  # a version counts as its document
    assert refused.value.error_code == "TRAINING_REQUIRED"


@pytest.mark.requirement("21CFR11.10(i)")
def test_an_expired_or_revoked_completion_does_not_qualify(in_review, sop_type, admin_user, qa_user):
    gmp = ProgramFactory(title="GMP basics", retraining_interval_days=365)
    services.add_qualification_requirement(actor=admin_user, document_type=sop_type, program=gmp)
    document = in_review()
    complete(qa_user, gmp)
    services.check_qualified_to_approve(actor=qa_user, record=document)
    completion = Completion.objects.get(user=qa_user)
    later = timezone.now() + datetime.timedelta(days=366)

    assert selectors.qualified_program_ids(qa_user, [gmp.pk], now=later) == set()
    services.revoke_completion(actor=admin_user, completion=completion, reason="Signed for the wrong person")
    with pytest.raises(PermissionDenied):
        services.check_qualified_to_approve(actor=qa_user, record=document)


def test_approvers_need_training_on_the_effective_version_when_the_type_says_so(
    effective_document, sop_type, admin_user, qa_user
):
    document = effective_document()
    sop_type.approvers_need_training = True
    sop_type.save()
    services.set_training_audience(actor=admin_user, document_type=sop_type, roles=[qa_user.role])
    services.assign_read_and_understood(version=document.effective_version)

    with pytest.raises(PermissionDenied) as refused:
        services.check_qualified_to_approve(actor=qa_user, record=document)
    [missing] = refused.value.extra["missing_programs"]
    assert missing["title"] == f"Read and understood: {document.number} version 1.0"
    assert missing["id"] == document.read_and_understood_program.pk

    services.complete_training(actor=qa_user, program=document.read_and_understood_program, password=PASSWORD)
    services.check_qualified_to_approve(actor=qa_user, record=document)


def test_a_requirement_for_the_document_version_before_anyone_was_assigned_it(effective_document, sop_type, admin_user, qa_user):
    document = effective_document()
    services.add_qualification_requirement(actor=admin_user, document_type=sop_type, requires_document_training=True)

    with pytest.raises(PermissionDenied) as refused:
        services.check_qualified_to_approve(actor=qa_user, record=document)
    assert refused.value.extra["missing_programs"] == [
        {"id": None, "title": f"Read and understood: {document.number} version 1.0"}
    ]


def test_records_that_follow_no_workflow_have_no_requirements(qa_user, admin_user):
    services.add_qualification_requirement(actor=admin_user, program=ProgramFactory(title="GMP basics"))

    services.check_qualified_to_approve(actor=qa_user, record=admin_user.role)


# --- any controlled record type ------------------------------------------------------------------------------


@pytest.fixture
def deviation_workflow():
    """A deviation-like workflow: `review` (one QA Manager approves) → `approved`."""
    return WorkflowTemplateFactory(name="Sample review")


@pytest.fixture
def sample_in_review(deviation_workflow, qa_user):
    """A record of the kit's test-only record type, waiting in `review` on the deviation workflow."""
    with transaction.atomic():
        record = SampleRecord.objects.create(
            number=records.record_type("sample_record").next_number(), title="Particles in vial", created_by=qa_user
        )
        records_services.start_record(actor=qa_user, record=record, template=deviation_workflow)
    return SampleRecord.objects.get(pk=record.pk)


@pytest.mark.urls("workflows.tests.testapp.urls")
def test_a_requirement_on_a_workflow_state_gates_any_record_type_on_any_version_of_that_workflow(
    client_for, sample_in_review, deviation_workflow, admin_user, qa_manager, sop_type
):
    from workflows import services as workflows

    investigation = ProgramFactory(title="Deviation investigation")
    services.add_qualification_requirement(
        actor=admin_user, workflow_template=deviation_workflow, workflow_state="review", program=investigation
    )
    services.add_qualification_requirement(actor=admin_user, document_type=sop_type, program=ProgramFactory(title="SOP only"))
    # A new version of the workflow (running records keep theirs) is still the same workflow.
    workflows.new_version(actor=admin_user, template=deviation_workflow, reason="Second version")

    refused = client_for(qa_manager).post(f"/api/samples/{sample_in_review.pk}/approve", {"password": PASSWORD}, format="json")

    assert refused.status_code == 403 and refused.json()["error_code"] == "TRAINING_REQUIRED"
    assert refused.json()["missing_programs"] == [{"id": investigation.pk, "title": "Deviation investigation"}]
    page = browser(qa_manager).get(f"/samples/{sample_in_review.pk}/workflow/").content.decode()
    assert "approve-dialog" not in page and "complete this training first: Deviation investigation." in page

    complete(qa_manager, investigation)
    approved = client_for(qa_manager).post(f"/api/samples/{sample_in_review.pk}/approve", {"password": PASSWORD}, format="json")
    assert approved.status_code == 200, approved.json()
    assert SampleRecord.objects.get(pk=sample_in_review.pk).status == "approved"


def test_a_requirement_on_another_workflow_does_not_apply_to_documents(in_review, deviation_workflow, admin_user, qa_user):
    services.add_qualification_requirement(
        actor=admin_user, workflow_template=deviation_workflow, program=ProgramFactory(title="Deviation investigation")
    )

    services.check_qualified_to_approve(actor=qa_user, record=in_review())


# --- configuration ------------------------------------------------------------------------------------------------


def test_configuring_requirements_needs_training_manage_a_live_program_and_a_state_of_the_workflow(
    qa_user, admin_user, sop_type, deviation_workflow
):
    gmp = ProgramFactory(title="GMP basics")
    with pytest.raises(PermissionDenied):
        services.add_qualification_requirement(actor=qa_user, document_type=sop_type, program=gmp)
    with pytest.raises(InvalidInput):
        services.add_qualification_requirement(actor=admin_user, document_type=sop_type)
    with pytest.raises(InvalidInput) as no_such_state:
        services.add_qualification_requirement(
            actor=admin_user, workflow_template=deviation_workflow, workflow_state="in_review", program=gmp
        )
    assert no_such_state.value.field == "workflow_state"
    gmp.status = ProgramStatus.RETIRED
    gmp.save()
    with pytest.raises(InvalidInput):
        services.add_qualification_requirement(actor=admin_user, document_type=sop_type, program=gmp)
