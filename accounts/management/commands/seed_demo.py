"""Loads demo data: one user per role, two groups, a few controlled documents and deviations
(deviations/demo.py) (idempotent).
Refuses to run when DEBUG is off.

The demo documents are made through the documents and workflow services (so every step, signature
and approval is in the audit trail and the workflow history), as the demo users would make them:
the default workflow needs one QA Manager and one QA approval and never the author's, so the
documents that go through review are authored by the administrator.
"""

import io

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Group, Role, User
from audit import services as audit
from deviations.demo import seed as seed_deviations

# The password is deliberately simple so that the API examples work verbatim on a demo install.
DEMO_PASSWORD = "password"

DEMO_USERS = [
    # (username, full name, role, department, is_staff)
    ("admin@example.com", "Alex Admin", "Admin", "IT", True),
    ("qa.manager@example.com", "Morgan Manager", "QA Manager", "Quality Assurance", False),
    ("qa@example.com", "Quinn Quality", "QA", "Quality Assurance", False),
    ("user@example.com", "Uma User", "User", "Production", False),
    ("auditor@example.com", "Avery Auditor", "Auditor", "Internal Audit", True),  # admin site, read-only
]

DEMO_GROUPS = [
    # (name, description, department whose demo users join)
    ("Quality Assurance", "QA department", "Quality Assurance"),
    ("Production", "Manufacturing staff", "Production"),
]


class Command(BaseCommand):
    help = "Create demo users (one per role), demo groups and demo documents. Development only: requires DEBUG=true."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")
        parser.add_argument(
            "--base-url", default="http://localhost:8000", help="Where the server will listen (for the printout)."
        )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Refusing to create demo users: DEBUG is off. Demo accounts have a well-known password.")
        with transaction.atomic():
            created = 0
            for username, full_name, role_name, department, is_staff in DEMO_USERS:
                role = Role.objects.get(name=role_name)
                user, was_created = User.objects.get_or_create(
                    username=username,
                    defaults={
                        "email": username,
                        "full_name": full_name,
                        "role": role,
                        "department": department,
                        "is_staff": is_staff,
                    },
                )
                if was_created:
                    # Set directly: the demo password is below the password policy on purpose.
                    user.set_password(DEMO_PASSWORD)
                    user.save(update_fields=["password"])
                    created += 1
                    audit.record(
                        action="create",
                        resource_type="user",
                        resource_id=user.pk,
                        actor=None,
                        actor_username="seed_demo",
                        summary=f"Demo user {username} ({role_name}) created by seed_demo",
                        new_values={
                            "username": username,
                            "full_name": full_name,
                            "role": role_name,
                            "department": department,
                            "is_staff": is_staff,
                        },
                    )
            demo_users = User.objects.filter(username__in=[u[0] for u in DEMO_USERS])
            for name, description, department in DEMO_GROUPS:
                group, group_created = Group.objects.get_or_create(name=name, defaults={"description": description})
                members = list(demo_users.filter(department=department).exclude(groups=group))
                group.members.add(*members)
                if group_created or members:
                    audit.record(
                        action="create" if group_created else "update",
                        resource_type="group",
                        resource_id=group.pk,
                        actor=None,
                        actor_username="seed_demo",
                        summary=f"Demo group {name} {'created' if group_created else 'updated'} by seed_demo",
                        new_values={"name": name, "members_added": sorted(u.username for u in members)},
                    )
        documents = seed_documents()
        if options["quiet"]:
            seed_deviations(io.StringIO())
            return
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new users)."))
        base = options["base_url"].rstrip("/")
        self.stdout.write("")
        self.stdout.write(f"  Demo logins (password for all: {DEMO_PASSWORD})")
        self.stdout.write(f"  {'username':<26} role")
        for username, _, role_name, _, _ in DEMO_USERS:
            self.stdout.write(f"  {username:<26} {role_name}")
        self.stdout.write("")
        if documents:
            self.stdout.write("  Demo documents")
            for line in documents:
                self.stdout.write(f"  {line}")
            self.stdout.write("")
        seed_deviations(self.stdout)
        self.stdout.write(f"  Pages: {base}/   API docs: {base}/docs   Admin: {base}/admin/")


# --- demo documents -------------------------------------------------------------------------------

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
