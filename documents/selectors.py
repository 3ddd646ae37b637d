"""Reads about documents that the API, pages, dashboard and search share, with bounded query counts.

Readers (people without authoring, reviewing or audit permissions) see only documents that have an
effective version, and only that version: uncontrolled drafts are not available at the point of use.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from audit.models import Signature
from workflows import selectors as workflow_selectors
from workflows.models import WorkflowHistory, WorkflowInstance

from .models import Document, DocumentTemplate, DocumentType, DocumentVersion

# Holding any of these shows drafts and every version, not only what is effective.
CONTROLLED_ACCESS = ("documents.create", "documents.edit", "documents.transition", "documents.approve", "audit.view")


def sees_all_versions(user) -> bool:
    return any(user.has_qms_permission(c) for c in CONTROLLED_ACCESS)


def document_list(user) -> QuerySet[Document]:
    """Documents visible to `user`, with what a list row shows joined in (constant query count)."""
    qs = Document.objects.select_related(
        "document_type", "owner", "owner__role", "current_version", "effective_version",
    )
    if not sees_all_versions(user):
        qs = qs.filter(effective_version__isnull=False)
    return qs


def versions_visible_to(user, document: Document) -> QuerySet[DocumentVersion]:
    qs = DocumentVersion.objects.filter(document=document).select_related("created_by")
    if not sees_all_versions(user):
        qs = qs.filter(pk=document.effective_version_id or 0)
    return qs.order_by("major", "minor")


def version_for_download(user, document: Document, version: str | None) -> DocumentVersion | None:
    """The requested version label, or by default the current version (the effective one for readers)."""
    visible = versions_visible_to(user, document)
    if version:
        return visible.filter(version=version).first()
    default_id = document.current_version_id if sees_all_versions(user) else document.effective_version_id
    return visible.filter(pk=default_id or 0).first()


def document_instances(document: Document) -> list[WorkflowInstance]:
    return list(workflow_selectors.instances_for(document).order_by("pk"))


@dataclass
class AvailableTransition:
    name: str
    label: str
    to_state: str
    requires_signature: bool
    requires_comment: bool
    signature_type: str


def available_transitions(document: Document, user) -> list[AvailableTransition]:
    """The manual transitions this user may perform now: those of the current cycle and, while a
    revision is under way, none of the effective version's (obsolete it after the revision ends)."""
    instances = [document.workflow_instance] if document.workflow_instance_id else []
    effective_instance = document.effective_version.workflow_instance if document.effective_version_id else None
    if effective_instance is not None and effective_instance.pk != document.workflow_instance_id:
        instances.append(effective_instance)
    out = []
    for instance in instances:
        if instance.current_state.is_terminal:
            continue
        if instance is not instances[0] and not instance.current_state.is_terminal:
            # The effective version of a document under revision: keep it until the revision ends.
            continue
        for t in workflow_selectors.available_transitions(instance, user):
            out.append(AvailableTransition(t.name, t.label, t.to_state.name, t.requires_signature, t.requires_comment, t.signature_type))
    return out


def workflow_history(document: Document) -> list[WorkflowHistory]:
    return list(
        WorkflowHistory.objects.filter(instance__content_type__model="document", instance__object_id=document.pk)
        .filter(instance__content_type__app_label="documents")
        .select_related("actor")
        .order_by("pk")
    )


def signatures_for(document: Document) -> list[Signature]:
    version_ids = list(DocumentVersion.objects.filter(document=document).values_list("pk", flat=True))
    return list(
        Signature.objects.filter(
            Q(resource_type="document", resource_id=document.pk)
            | Q(resource_type="document_version", resource_id__in=version_ids)
        ).order_by("signed_at", "pk")
    )


def document_type_list() -> QuerySet[DocumentType]:
    return DocumentType.objects.select_related("default_workflow")


def template_list() -> QuerySet[DocumentTemplate]:
    return DocumentTemplate.objects.select_related("document_type", "created_by")
