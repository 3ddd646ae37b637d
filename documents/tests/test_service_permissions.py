"""The documents services check their own permissions, so a management command, the admin or a
script calling them directly can do no more than the API would allow; documents made by the
factories go through the same services (numbers, workflow, signatures)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import Signature
from conftest import PASSWORD
from documents import selectors, services
from documents.models import Document, DocumentTemplate, DocumentType
from qms.errors import PermissionDenied
from workflows import records_services
from workflows.models import NumberSequence
from workflows.selectors import record_workflow

from .factories import DocumentFactory, DocumentTypeFactory, SignatureFactory, pdf_content

pytestmark = pytest.mark.django_db


def a_file(name="a.pdf"):
    return SimpleUploadedFile(name, pdf_content("x"))


@pytest.mark.requirement("21CFR11.10(g)")
def test_every_document_service_refuses_an_actor_without_its_permission(make_user):
    reader, qa, nobody = make_user("User"), make_user("QA"), make_user(None)
    effective = DocumentFactory(state="effective")
    sop = DocumentType.objects.get(code="SOP")
    template = DocumentTemplate.objects.get(name="Quality Manual")
    refused = {
        "documents.create": lambda: services.upload_document(actor=reader, file=a_file(), title="T", document_type=sop),
        "documents.create ": lambda: services.add_version(actor=reader, document=effective, file=a_file(), change_summary="x"),
        "documents.edit": lambda: services.update_metadata(
            actor=reader, document=effective, changes={"title": "x"}, reason="x", row_version=effective.row_version
        ),
        "documents.approve": lambda: services.approve_document(actor=reader, document=effective, password=PASSWORD),
        "documents.configure_approval": lambda: records_services.configure_record_approval(
            actor=qa, record=effective, state="in_review", reset=True, reason="x"
        ),
        "documents.download": lambda: services.record_download(
            actor=nobody, document=effective, version=effective.current_version
        ),
        "document_types.manage": lambda: services.create_document_type(actor=qa, data={"name": "Batch record", "code": "BR"}),
        "templates.manage": lambda: services.update_template(actor=qa, template=template, data={"description": "x"}),
        "templates.use": lambda: services.use_template(actor=reader, template=template, variables={}),
    }
    for codename, call in refused.items():
        with pytest.raises(PermissionDenied, match=codename.strip()):
            call()
    assert Document.objects.count() == 1 and not DocumentType.objects.filter(code="BR").exists()
    effective.refresh_from_db()
    assert effective.title != "x" and effective.current_version.version == "1.0"


def test_the_system_may_configure_what_a_command_configures():
    doc_type = DocumentTypeFactory(code="BR", name="Batch record")  # actor None: the system
    assert doc_type.pk and doc_type.default_workflow.name == "Document approval"


@pytest.mark.requirement("QMS-DOC-NUMBERING")
def test_document_numbers_come_from_the_running_sequence_of_their_type(make_user):
    author = make_user("QA")
    doc_type = DocumentTypeFactory(code="BR", name="Batch record")
    numbers = [DocumentFactory(author=author, document_type=doc_type).number for _ in range(2)]
    numbers.append(DocumentFactory(author=author).number)
    assert numbers == ["BR-0001", "BR-0002", "SOP-0001"]
    assert NumberSequence.objects.get(prefix="BR", year=0).last == 2


def test_a_submitted_document_from_the_factory_waits_for_both_approvals(make_user):
    document = DocumentFactory(state="in_review")
    document = services.approve_document(actor=make_user("QA Manager"), document=document, password=PASSWORD)
    assert document.status == "in_review"
    document = services.approve_document(actor=make_user("QA"), document=document, password=PASSWORD)
    assert document.status == "approved" and document.current_version.status == "approved"


@pytest.mark.requirement("ANNEX11.14", "QMS-DOC-WORKFLOW")
def test_a_document_made_effective_by_the_factory_has_its_real_approvals_and_signatures(make_user):
    reader = make_user("User")
    document = DocumentFactory(state="effective", title="Gowning")
    assert (document.status, document.effective_version.version) == ("effective", "1.0")
    status = record_workflow(document, make_user("QA Manager"))
    assert [s["version"] for s in status.signatures] == ["1.0", "1.0"] and all(s["valid"] for s in status.signatures)
    assert [h["transition"] for h in status.history if h["action"] == "transition"] == ["submit", "approve", "make_effective"]

    review = SignatureFactory(record=document, signer=make_user("QA"))  # signed on the document: covers 1.0
    assert review.resource_type == "document"
    as_reader = selectors.document_detail(document, reader)
    assert as_reader.workflow.history == [] and len(as_reader.workflow.signatures) == 3, "readers see what signs 1.0"
    assert Signature.objects.count() == 3
