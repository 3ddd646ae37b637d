"""Reads about documents that the API, pages, dashboard and search share, with bounded query counts.

Readers (people without authoring, reviewing or audit permissions) see only documents that have an
effective version, and only that version: uncontrolled drafts are not available at the point of use.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, QuerySet

from workflows.models import StateKind, WorkflowHistory, WorkflowState
from workflows.records import record_type
from workflows.selectors import RecordWorkflow, record_workflow, records_awaiting_approval

from .models import Document, DocumentTemplate, DocumentType, DocumentVersion

# Holding any of these shows drafts and every version, not only what is effective.
CONTROLLED_ACCESS = ("documents.create", "documents.edit", "documents.transition", "documents.approve", "audit.view")
# Extracted and source text can be megabytes; rows never show them.
_LONG_VERSION_TEXTS = (
    "current_version__extracted_text",
    "current_version__source_text",
    "effective_version__extracted_text",
    "effective_version__source_text",
)


def sees_all_versions(user) -> bool:
    return any(user.has_qms_permission(c) for c in CONTROLLED_ACCESS)


def documents_visible_to(user) -> QuerySet[Document]:
    """Documents visible to `user`, nothing joined (the API list reads its columns itself, see
    qms.api.lists)."""
    qs = Document.objects.all()
    if not sees_all_versions(user):
        qs = qs.filter(effective_version__isnull=False)
    return qs


def document_list(user) -> QuerySet[Document]:
    """Documents visible to `user`, with what a list row shows joined in (constant query count)."""
    return (
        documents_visible_to(user)
        .select_related("document_type", "owner", "current_version", "effective_version")
        .defer(
            # Extracted and source text can be megabytes; rows never show them.
            "current_version__extracted_text",
            "current_version__source_text",
            "effective_version__extracted_text",
            "effective_version__source_text",
        )
    )


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


def document_versions(document: Document) -> list[DocumentVersion]:
    """Every version of the document, oldest first, with their uploaders; read once per document
    object (the detail, the workflow labels and the signatures share it)."""
    cached = getattr(document, "_all_versions", None)
    if cached is None:
        cached = list(DocumentVersion.objects.filter(document=document).select_related("created_by").order_by("major", "minor"))
        for version in cached:
            version.document = document  # their signed content needs no query back to the document
        document._all_versions = cached
    return cached


def document_type_list() -> QuerySet[DocumentType]:
    return DocumentType.objects.select_related("default_workflow")


def template_list() -> QuerySet[DocumentTemplate]:
    return DocumentTemplate.objects.select_related("document_type", "created_by")


def document_detail_queryset(user) -> QuerySet[Document]:
    return document_list(user).select_related(
        "created_by",
        "current_version__created_by",
        "workflow_instance__current_state",
        "workflow_instance__template",
    )


@dataclass
class DocumentDetail:
    versions: list[DocumentVersion]
    workflow: RecordWorkflow


def document_detail(document: Document, user) -> DocumentDetail:
    """Everything the detail page and API show besides the document row, in a fixed number of
    queries (independent of the number of versions, approvals and signatures)."""
    versions = document_versions(document)
    if not sees_all_versions(user):
        versions = [v for v in versions if v.pk == document.effective_version_id]
    return DocumentDetail(versions=versions, workflow=record_workflow(document, user))


# --- dashboard --------------------------------------------------------------------------------------------


def pending_approval(user) -> QuerySet[Document]:
    """Documents whose current version waits for an approval `user` can give now under the workflow
    rules (workflows.selectors.records_awaiting_approval), oldest submission first. One query."""
    return (
        records_awaiting_approval(record_type("document"), user)
        .select_related(
            "document_type",
            "owner",
            "current_version",
            "effective_version",
            "workflow_instance__template",
            "workflow_instance__current_state",
        )
        .defer(*_LONG_VERSION_TEXTS)
        .order_by("workflow_instance__updated_at", "pk")
    )


def effective_documents(user) -> QuerySet[Document]:
    """Documents `user` may see that have an effective version."""
    return documents_visible_to(user).filter(effective_version__isnull=False)


def periodic_review_due(user, *, until: datetime.date) -> QuerySet[Document]:
    """Effective documents whose next periodic review falls on or before `until`, soonest first."""
    return (
        effective_documents(user)
        .filter(next_review_date__lte=until)
        .select_related("document_type", "owner", "effective_version")
        .defer(*_LONG_VERSION_TEXTS)
        .order_by("next_review_date", "pk")
    )


def periodic_review_window(user, *, start: datetime.date, end: datetime.date) -> QuerySet[Document]:
    """Effective documents whose next periodic review falls from `start` to `end`, soonest first."""
    return periodic_review_due(user, until=end).filter(next_review_date__gte=start)


def versions_made_effective(user, *, owner_group_id: int | None = None) -> QuerySet[WorkflowHistory]:
    """The workflow steps by which a version of a document `user` may see (owned by a member of
    `owner_group_id`) became effective (entered a state of kind "effective"), with their time in
    `created_at`: one row per version made effective."""
    effective_states = WorkflowState.objects.filter(
        template=OuterRef("instance__template"), name=OuterRef("to_state"), kind=StateKind.EFFECTIVE
    )
    documents = documents_visible_to(user)
    if owner_group_id is not None:
        documents = documents.filter(owner__groups__id=owner_group_id)
    versions = DocumentVersion.objects.filter(document__in=documents.values("pk"))
    return WorkflowHistory.objects.filter(
        Exists(effective_states), instance_id__in=versions.values("workflow_instance_id")
    ).exclude(from_state=F("to_state"))
