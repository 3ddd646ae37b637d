"""The qualification gate: an approver who lacks the training a document type (and workflow state)
requires is refused with 403 TRAINING_REQUIRED naming the missing programs."""

import datetime

import pytest
from django.utils import timezone

from documents.models import DocumentType
from qms.errors import PermissionDenied
from training import selectors, services
from training.models import Completion, ProgramStatus

from .factories import AssignmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sop_type():
    return DocumentType.objects.get(code="SOP")


def complete(user, program):
    AssignmentFactory(user=user, program=program)
    return services.complete_training(actor=user, program=program, password="Correct-Horse-9")


def test_an_unqualified_approver_is_refused_naming_the_missing_programs(effective_document, sop_type, admin_user, qa_user):
    gmp = ProgramFactory(title="GMP basics")
    docs = ProgramFactory(title="Good documentation practice")
    services.add_qualification_requirement(actor=admin_user, document_type=sop_type, workflow_state="in_review", program=gmp)
    services.add_qualification_requirement(actor=admin_user, document_type=sop_type, program=docs)
    document = effective_document()

    with pytest.raises(PermissionDenied) as refused:
        services.check_qualified_to_approve(actor=qa_user, record=document, state="in_review")

    error = refused.value
    assert (error.status_code, error.error_code) == (403, "TRAINING_REQUIRED")
    assert error.extra["missing_programs"] == [
        {"id": gmp.pk, "title": "GMP basics"},
        {"id": docs.pk, "title": "Good documentation practice"},
    ]
    assert "GMP basics" in error.detail and "Good documentation practice" in error.detail


def test_a_qualified_approver_passes(effective_document, sop_type, admin_user, qa_user):
    gmp = ProgramFactory(title="GMP basics")
    services.add_qualification_requirement(actor=admin_user, document_type=sop_type, program=gmp)
    document = effective_document()
    complete(qa_user, gmp)

    services.check_qualified_to_approve(actor=qa_user, record=document.effective_version, state="in_review")


def test_requirements_of_another_state_or_type_do_not_apply(effective_document, sop_type, admin_user, qa_user):
    gmp = ProgramFactory(title="GMP basics")
    services.add_qualification_requirement(actor=admin_user, document_type=sop_type, workflow_state="approved", program=gmp)
    services.add_qualification_requirement(actor=admin_user, document_type=DocumentType.objects.get(code="WI"), program=gmp)
    document = effective_document()

    services.check_qualified_to_approve(actor=qa_user, record=document, state="in_review")
    with pytest.raises(PermissionDenied):
        services.check_qualified_to_approve(actor=qa_user, record=document, state="approved")


def test_the_state_defaults_to_the_documents_current_state(effective_document, sop_type, admin_user, qa_user):
    gmp = ProgramFactory(title="GMP basics")
    services.add_qualification_requirement(actor=admin_user, document_type=sop_type, workflow_state="effective", program=gmp)
    document = effective_document()

    with pytest.raises(PermissionDenied):
        services.check_qualified_to_approve(actor=qa_user, record=document)


def test_an_expired_or_revoked_completion_does_not_qualify(effective_document, sop_type, admin_user, qa_user):
    gmp = ProgramFactory(title="GMP basics", retraining_interval_days=365)
    services.add_qualification_requirement(actor=admin_user, document_type=sop_type, program=gmp)
    document = effective_document()
    complete(qa_user, gmp)
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

    services.complete_training(actor=qa_user, program=document.read_and_understood_program, password="Correct-Horse-9")
    services.check_qualified_to_approve(actor=qa_user, record=document)


def test_a_requirement_for_the_document_version_before_anyone_was_assigned_it(effective_document, sop_type, admin_user, qa_user):
    services.add_qualification_requirement(actor=admin_user, document_type=sop_type, requires_document_training=True)
    document = effective_document()

    with pytest.raises(PermissionDenied) as refused:
        services.check_qualified_to_approve(actor=qa_user, record=document)
    assert refused.value.extra["missing_programs"] == [
        {"id": None, "title": f"Read and understood: {document.number} version 1.0"}
    ]


def test_records_other_than_documents_have_no_requirements(qa_user, admin_user):
    gmp = ProgramFactory(title="GMP basics")
    services.add_qualification_requirement(actor=admin_user, program=gmp)

    services.check_qualified_to_approve(actor=qa_user, record=admin_user.role)


def test_configuring_requirements_needs_training_manage_and_a_live_program(qa_user, admin_user, sop_type):
    from qms.errors import InvalidInput

    gmp = ProgramFactory(title="GMP basics")
    with pytest.raises(PermissionDenied):
        services.add_qualification_requirement(actor=qa_user, document_type=sop_type, program=gmp)
    with pytest.raises(InvalidInput):
        services.add_qualification_requirement(actor=admin_user, document_type=sop_type)
    gmp.status = ProgramStatus.RETIRED
    gmp.save()
    with pytest.raises(InvalidInput):
        services.add_qualification_requirement(actor=admin_user, document_type=sop_type, program=gmp)
