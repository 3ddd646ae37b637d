"""Printed copies of controlled documents (EU GMP Annex 11 §8, ISO 13485 4.2.4): the use case
`issue_copy` and the copy register's reads.

A copy of the effective version is a CONTROLLED COPY, stamped on every page with the document
number, version and effective date and "CONTROLLED COPY — printed by <name> at <UTC time>, valid
until <time>": the earlier of the next periodic review and CONTROLLED_COPY_VALID_HOURS after
printing. Any other version the user may see prints as an UNCONTROLLED COPY. Both end with a page
listing the version's electronic signatures (21 CFR 11.50) and the revision history, carry a
number (`CC-SOP-0001-0003`: the document's third copy, gap-free) and are audited.
"""

from __future__ import annotations

import datetime
import hashlib

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit import services as audit
from audit.models import Signature
from qms.errors import NotFound
from qms.permissions import require
from workflows.models import StateKind, WorkflowInstance, WorkflowState
from workflows.numbering import next_number
from workflows.templatetags.workflow_tags import state_label

from . import renditions, selectors
from .audit_actions import AuditAction
from .models import ControlledCopy, CopyKind, Document, DocumentVersion

UTC = datetime.UTC


def _when(moment: datetime.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def version_to_print(user, document: Document, label: str | None) -> DocumentVersion:
    """The requested version (by label) or the effective one, among those `user` may see."""
    visible = selectors.versions_visible_to(user, document)
    version = visible.filter(version=label).first() if label else visible.filter(pk=document.effective_version_id or 0).first()
    if version is None:
        raise NotFound("No such version of this document." if label else "The document has no effective version to print.")
    version.document = document
    return version


def valid_until(document: Document, issued_at: datetime.datetime) -> datetime.datetime:
    """The earlier of the next periodic review and CONTROLLED_COPY_VALID_HOURS after printing
    (24 hours when neither applies)."""
    candidates = []
    hours = settings.CONTROLLED_COPY_VALID_HOURS
    if hours > 0:
        candidates.append(issued_at + datetime.timedelta(hours=hours))
    if document.next_review_date:
        candidates.append(datetime.datetime.combine(document.next_review_date, datetime.time.min, tzinfo=UTC))
    return min(candidates) if candidates else issued_at + datetime.timedelta(hours=24)


def signatures_of(version: DocumentVersion) -> QuerySet[Signature]:
    """Every electronic signature over this version: on the version itself (approvals, signed
    transitions) and on the document while this was its current version."""
    return Signature.objects.filter(
        Q(resource_type="document_version", resource_id=version.pk)
        | Q(resource_type="document", resource_id=version.document_id, signed_content__version=version.version)
    ).order_by("signed_at", "pk")


def revision_history(document: Document, version: DocumentVersion) -> list[DocumentVersion]:
    """The released revisions (effective or superseded) up to the printed version, and that version."""
    versions = [v for v in selectors.document_versions(document) if (v.major, v.minor) <= (version.major, version.minor)]
    templates = dict(
        WorkflowInstance.objects.filter(pk__in={v.workflow_instance_id for v in versions}).values_list("pk", "template_id")
    )
    kinds = {
        (template_id, name): kind
        for template_id, name, kind in WorkflowState.objects.filter(template_id__in=set(templates.values())).values_list(
            "template_id", "name", "kind"
        )
    }
    released = (StateKind.EFFECTIVE, StateKind.SUPERSEDED)
    return [v for v in versions if v.pk == version.pk or kinds.get((templates.get(v.workflow_instance_id), v.status)) in released]


def _stamp(document: Document, version: DocumentVersion, copy: ControlledCopy) -> renditions.Stamp:
    controlled = copy.kind == CopyKind.CONTROLLED
    effective = document.effective_date.isoformat() if controlled and document.effective_date else "not effective"
    header = f"{document.number} · {document.title} · Version {version.version} · Effective {effective}"
    if controlled:
        printed = f"printed by {copy.issued_to_name} at {_when(copy.issued_at)}"
        line = f"CONTROLLED COPY — {printed}, valid until {_when(copy.valid_until)}"
    else:
        line = (
            f"UNCONTROLLED COPY — printed by {copy.issued_to_name} at {_when(copy.issued_at)}; "
            f"version {version.version} is {state_label(version.status).lower()}: for information only, not for use"
        )
    return renditions.Stamp(header=header, status_line=line, copy_number=copy.number, controlled=controlled)


def _closing_pages(document: Document, version: DocumentVersion) -> bytes:
    signature_lines = [
        renditions.SignatureLine(
            printed_name=s.printed_name,
            username=s.signer_username,
            signed_at=s.signed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            meaning=s.meaning,
            intent=s.intent,
        )
        for s in signatures_of(version)
    ]
    revision_lines = [
        renditions.RevisionLine(
            version=v.version,
            status=state_label(v.status),
            date=v.created_at.astimezone(UTC).strftime("%Y-%m-%d"),
            author=v.created_by.display_name,
            change=v.change_summary,
        )
        for v in revision_history(document, version)
    ]
    heading = f"{document.number} {document.title}, version {version.version}: signatures and revision history"
    return renditions.closing_pages(heading=heading, signatures=signature_lines, revisions=revision_lines)


def issue_copy(*, actor, document: Document, version_label: str | None = None) -> tuple[ControlledCopy, bytes]:
    """Prints a numbered copy of a version `actor` may see (the effective one by default) and
    records it in the copy register and the audit trail. Returns the copy and its PDF."""
    require(actor, "documents.download")
    version = version_to_print(actor, document, version_label)
    body = renditions.rendition(version)  # before the transaction: the file may be large or remote
    closing = _closing_pages(document, version)
    issued_at = timezone.now().replace(microsecond=0)
    controlled = version.pk == document.effective_version_id
    with transaction.atomic():
        copy = ControlledCopy(
            number=next_number(f"CC-{document.number}", yearly=False),
            document=document,
            version=version,
            kind=CopyKind.CONTROLLED if controlled else CopyKind.UNCONTROLLED,
            issued_to=actor,
            issued_to_name=actor.display_name,
            issued_at=issued_at,
            valid_until=valid_until(document, issued_at) if controlled else None,
        )
        pdf, copy.page_count = renditions.stamped_copy(body=body, closing=closing, stamp=_stamp(document, version, copy))
        copy.sha256 = hashlib.sha256(pdf).hexdigest()
        copy.save()
        audit.record(
            action=AuditAction.PRINT_COPY,
            resource_type="document",
            resource_id=document.pk,
            actor=actor,
            summary=f"{actor.display_name} printed {copy.get_kind_display().lower()} {copy.number} of {document.number} "
            f"v{version.version} ({copy.page_count} pages)",
            new_values={
                "copy_number": copy.number,
                "kind": copy.kind,
                "version": version.version,
                "issued_at": copy.issued_at,
                "valid_until": copy.valid_until,
                "pages": copy.page_count,
                "sha256": copy.sha256,
            },
        )
    return copy, pdf


def copies_visible_to(user, document: Document) -> QuerySet[ControlledCopy]:
    """The document's copy register: all of it for those who see every version (authors, reviewers,
    QA, auditors), otherwise the user's own copies."""
    copies = ControlledCopy.objects.filter(document=document).select_related("version", "issued_to")
    if not selectors.sees_all_versions(user):
        copies = copies.filter(issued_to=user)
    return copies
