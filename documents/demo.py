"""Demo documents for `manage.py seed_demo` (made through the documents and workflow services,
so every step, signature and approval is in the audit trail and the workflow history, as the demo
users would make them: the default workflow needs one QA Manager and one QA approval and never the
author's, so the documents that go through review are authored by the administrator)."""

from django.core.files.base import ContentFile

from accounts.demo import DEMO_PASSWORD, DEMO_USERS
from accounts.models import User

SOP_TITLE = "Cleaning and sanitisation of the filling line"
SOP_TEXT = """# Cleaning and sanitisation of the filling line

## 1. Purpose

Describes how the aseptic filling line is cleaned and sanitised between batches so that no residue
of the previous product or of cleaning agents remains.

## 2. Scope

Filling line 1 in building B, all products. Applies to production operators and QA.

## 3. Procedure

1. Remove all product, components and documents of the previous batch (line clearance).
2. Dismantle the filling needles and the product path.
3. Wash with purified water at 60 °C, then with 0.5 % alkaline detergent for 15 minutes.
4. Rinse with purified water until the conductivity is below 5 µS/cm.
5. Sanitise with 70 % isopropyl alcohol and let it dry.
6. Record each step and the rinse conductivity in the cleaning log.

## 4. Responsibilities

- **Production operator:** performs and records the cleaning.
- **QA:** reviews the cleaning log before the line is released.
"""

WI_TITLE = "Line clearance at the packaging station"
WI_TEXT = """# Line clearance at the packaging station

## 1. Purpose

Makes sure that no material, label or printed packaging of the previous batch remains at the
packaging station before the next batch starts.

## 2. Steps

1. Remove all cartons, labels and leaflets of the previous batch and return them to the warehouse.
2. Check the conveyor, the labeller and the reject bin; all must be empty.
3. Set the batch number and expiry date on the coder and print one test code.
4. Sign the line clearance record and ask a second person to verify it.
"""

MANUAL_TEMPLATE = "Quality Manual"
MANUAL_TITLE = "Quality Manual"


def seed_documents() -> list[str]:
    """Demo documents, each created only when no document of that title exists yet:

    - an effective SOP (uploaded by the administrator, submitted, approved with the electronic
      signatures of the QA and the QA Manager demo users, made effective by the QA Manager);
    - a work instruction in review that QA has approved and that waits for the QA Manager;
    - a draft quality manual created by the QA demo user from the "Quality Manual" template.

    Returns one line per demo document for the printout. Not run inside a transaction: signing
    re-authenticates outside any transaction (a failed password must stay recorded).
    """
    from documents import rendering
    from documents import services as documents
    from documents.models import Document, DocumentTemplate, DocumentType

    users = {u.username: u for u in User.objects.filter(username__in=[u[0] for u in DEMO_USERS], is_active=True)}
    author, qa, manager = (users.get(name) for name in ("admin@example.com", "qa@example.com", "qa.manager@example.com"))
    if not (author and qa and manager):
        return []
    types = {t.code: t for t in DocumentType.objects.filter(code__in=["SOP", "WI"], is_active=True)}

    def upload(code: str, title: str, markdown: str, *, owner: User, category: str, keywords: str) -> Document | None:
        if code not in types or Document.objects.filter(title=title).exists():
            return None
        filename = f"{code.lower()}-{title.lower().replace(' ', '-')}.pdf"
        return documents.upload_document(
            actor=author,
            file=ContentFile(rendering.to_pdf(markdown, title=title), name=filename),
            title=title,
            document_type=types[code],
            category=category,
            keywords=keywords,
            owner=owner,
        )

    def approve(document: Document, approver: User, comment: str) -> Document:
        return documents.approve_document(actor=approver, document=document, password=DEMO_PASSWORD, comment=comment)

    sop = upload("SOP", SOP_TITLE, SOP_TEXT, owner=manager, category="Production", keywords="cleaning, filling line, aseptic")
    if sop is not None:
        sop = documents.transition_document(actor=author, document=sop, name="submit", comment="Ready for review.")
        sop = approve(sop, qa, "Steps and limits checked against the cleaning validation report.")
        sop = approve(sop, manager, "Approved for use on filling line 1.")
        documents.transition_document(actor=manager, document=sop, name="make_effective", comment="Training completed.")

    wi = upload("WI", WI_TITLE, WI_TEXT, owner=qa, category="Packaging", keywords="line clearance, packaging")
    if wi is not None:
        wi = documents.transition_document(actor=author, document=wi, name="submit", comment="Please review.")
        approve(wi, qa, "Checked against the packaging line layout.")

    template = DocumentTemplate.objects.select_related("document_type").filter(name=MANUAL_TEMPLATE, is_active=True).first()
    if template is not None and not Document.objects.filter(title=MANUAL_TITLE).exists():
        documents.use_template(
            actor=qa,
            template=template,
            variables={"title": MANUAL_TITLE, "version": "1.0", "author": qa.display_name, "organisation": "Example Pharma Ltd"},
        )

    lines = []
    for document in Document.objects.filter(title__in=[SOP_TITLE, WI_TITLE, MANUAL_TITLE]).select_related("current_version"):
        lines.append(f"{document.number:<10} {document.status:<10} v{document.current_version.version:<5} {document.title}")
    return sorted(lines)


def seed(stdout) -> None:
    """Creates the demo documents that do not exist yet and lists them."""
    lines = seed_documents()
    if lines:
        stdout.write("  Demo documents")
        for line in lines:
            stdout.write(f"  {line}")
        stdout.write("")
