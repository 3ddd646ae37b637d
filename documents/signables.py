"""Signing documents and document versions: who may see them, which meanings apply when.

Visibility follows `selectors.document_list` / `versions_visible_to`: readers (no authoring,
reviewing or audit permission) see effective documents and only their effective version, so they
see only the signatures over that version's content. Approvals are given through the workflow's
approve; a direct signature (POST /api/signatures/) may add a review, authorship or
responsibility signature, depending on the state of the version it covers.
"""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.fields.json import KeyTextTransform

from workflows.models import StateKind, WorkflowState

from . import selectors
from .models import Document, DocumentVersion

_MEANINGS_BY_KIND = {
    StateKind.DRAFT: {"authorship", "review", "responsibility"},
    StateKind.REJECTED: {"authorship", "review", "responsibility"},
    StateKind.IN_REVIEW: {"review"},
    StateKind.APPROVED: {"review", "responsibility"},
    StateKind.EFFECTIVE: {"review", "responsibility"},
}


def _state_kind(version: DocumentVersion) -> str | None:
    return (
        WorkflowState.objects.filter(template__instances=version.workflow_instance_id, name=version.status)
        .values_list("kind", flat=True)
        .first()
    )


def version_meanings(version: DocumentVersion) -> set[str]:
    """Direct signatures a version may receive in its current state (none once superseded or obsolete)."""
    return _MEANINGS_BY_KIND.get(_state_kind(version), set())


def document_meanings(document: Document) -> set[str]:
    """A signature on a document covers its current version."""
    return version_meanings(document.current_version) if document.current_version_id else set()


def can_view_document(user, document: Document) -> bool:
    """The user may see the document's current version (the content such a signature covers)."""
    if not selectors.document_list(user).filter(pk=document.pk).exists():
        return False
    return selectors.sees_all_versions(user) or document.current_version_id == document.effective_version_id


def can_view_version(user, version: DocumentVersion) -> bool:
    return selectors.versions_visible_to(user, version.document).filter(pk=version.pk).exists()


def visible_version_ids(user):
    if selectors.sees_all_versions(user):
        return None
    return Document.objects.filter(effective_version__isnull=False).values("effective_version_id")


def visible_document_signatures(user) -> Q | None:
    """Readers see a document's signatures only where the signed content is its effective version."""
    if selectors.sees_all_versions(user):
        return None
    from audit.models import Signature

    effective_label = Document.objects.filter(pk=OuterRef("resource_id")).values("effective_version__version")[:1]
    matching = Signature.objects.annotate(
        signed_version=KeyTextTransform("version", "signed_content"), effective_version=Subquery(effective_label)
    ).filter(pk=OuterRef("pk"), signed_version=F("effective_version"))
    return Q(Exists(matching.values("pk")))
