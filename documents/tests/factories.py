"""factory_boy factories for documents, made through the services (numbers, workflow history,
signatures and the audit trail are real):

    DocumentTypeFactory(code="BR")                         # on the "Document approval" workflow
    DocumentFactory()                                       # SOP-000n, a draft uploaded by a QA author
    DocumentFactory(state="in_review")                      # ... submitted
    DocumentFactory(state="effective", author=ann)          # approved by a QA Manager and a QA, effective
    SignatureFactory(record=document.current_version, signer=reviewer, signature_type="review")

States past a review use the default "Document approval" rules (one QA Manager and one QA, never the
author); approvers are made when not given.
"""

import io

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from accounts.tests.factories import UserFactory
from audit import signatures
from audit.models import Signature
from conftest import PASSWORD
from documents import services
from documents.models import Document, DocumentType
from workflows.models import WorkflowTemplate

STATES = ("draft", "in_review", "approved", "effective")


def pdf_content(text: str) -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.drawString(72, 800, text)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


class DocumentTypeFactory(factory.Factory):
    """A document type created through documents.services (by the system unless `actor` is given)."""

    class Meta:
        model = DocumentType

    code = factory.Sequence(lambda n: f"T{n}")
    name = factory.LazyAttribute(lambda o: f"Type {o.code}")
    review_period_months = 24
    default_workflow = factory.LazyFunction(lambda: WorkflowTemplate.objects.get(name="Document approval", is_current=True))
    actor = None

    @classmethod
    def _create(cls, model_class, *, actor, **data):
        return services.create_document_type(actor=actor, data=data)


class DocumentFactory(factory.Factory):
    """A document uploaded by `author` and driven through the services to `state`."""

    class Meta:
        model = Document

    title = factory.Sequence(lambda n: f"Procedure {n}")
    document_type = factory.LazyFunction(lambda: DocumentType.objects.get(code="SOP"))
    author = factory.SubFactory(UserFactory, role_name="QA")
    category = "Production"
    state = "draft"
    approvers = None  # [QA Manager, QA]; made when needed and not given

    @classmethod
    def _create(cls, model_class, *, title, document_type, author, category, state, approvers):
        if state not in STATES:
            raise ValueError(f"DocumentFactory makes documents in one of {STATES}, not {state!r}.")
        document = services.upload_document(
            actor=author,
            file=SimpleUploadedFile(f"{title.lower().replace(' ', '-')}.pdf", pdf_content(title)),
            title=title,
            document_type=document_type,
            category=category,
        )
        steps = STATES.index(state)
        if steps >= 1:
            services.transition_document(actor=author, document=document, name="submit")
        if steps >= 2:
            for approver in approvers or [UserFactory(role_name="QA Manager"), UserFactory(role_name="QA")]:
                services.approve_document(actor=approver, document=document, password=PASSWORD)
        if steps >= 3:
            services.transition_document(actor=author, document=document, name="make_effective")
        return Document.objects.get(pk=document.pk)


class SignatureFactory(factory.Factory):
    """An electronic signature applied by `signer` (its password check is what services do before)."""

    class Meta:
        model = Signature

    record = factory.SubFactory(DocumentFactory)
    signer = factory.SubFactory(UserFactory, role_name="QA")
    signature_type = "review"
    intent = "Reviewed"
    reason = ""

    @classmethod
    def _create(cls, model_class, *, record, signer, signature_type, intent, reason):
        with transaction.atomic():
            return signatures.create_signature(
                signer=signer, record=record, signature_type=signature_type, intent=intent, reason=reason
            )
