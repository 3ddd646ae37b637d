"""How controlled documents are searched: registered with the search index from DocumentsConfig.ready().

A document is indexed per version that someone may read: its current version (what authors and
reviewers work on) and, when different, its effective version (what everyone else reads). Each
version contributes a header chunk (number, title, description, keywords) and its extracted text,
chunked with page numbers. A reader's hits come only from effective versions of documents that
`selectors.document_list` shows them; people with document-control permissions see both versions.
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse

from qms.searchables import HitInfo, IndexableType, Piece, SearchFilters, register

from . import selectors
from .events import DocumentEvent, DocumentWorkflowEvent
from .models import Document, DocumentVersion


def _versions(document: Document) -> list[DocumentVersion]:
    ids = [v for v in (document.current_version_id, document.effective_version_id) if v]
    by_id = DocumentVersion.objects.in_bulk(ids)
    return [by_id[i] for i in dict.fromkeys(ids) if i in by_id]


def pieces(document: Document) -> list[Piece]:
    out = []
    for version in _versions(document):
        header = "\n".join(
            part
            for part in (
                f"{document.number} {document.title}",
                document.description,
                f"Keywords: {document.keywords}" if document.keywords else "",
            )
            if part
        )
        out.append(Piece(text=header, variant=version.pk))
        text = version.extracted_text or version.source_text
        if text:
            out.append(Piece(text=text, variant=version.pk, paged=bool(version.page_count) and bool(version.extracted_text)))
    return out


def visible_chunks(user, filters: SearchFilters, ids: list[int] | None = None) -> Q:
    """Chunks of the versions `user` may read (readers: effective versions only; the system, user
    None: every indexed version), filtered; only of the documents `ids` when given."""
    documents = selectors.document_list(user) if user is not None else Document.objects.all()
    if ids is not None:
        documents = documents.filter(pk__in=ids)
    if filters.category:
        documents = documents.filter(category__iexact=filters.category)
    if filters.document_type:
        value = filters.document_type
        documents = (
            documents.filter(document_type_id=int(value))
            if value.isdigit()
            else documents.filter(document_type__code__iexact=value)
        )
    if filters.date_from:
        documents = documents.filter(created_at__date__gte=filters.date_from)
    if filters.date_to:
        documents = documents.filter(created_at__date__lte=filters.date_to)
    # Only current and effective versions are indexed, so "every indexed version of a visible
    # document" needs no join with the versions; a status filter does.
    if user is None or selectors.sees_all_versions(user):
        if not filters.status:
            return Q(resource_id__in=documents.values("pk"))
        versions = DocumentVersion.objects.filter(document__in=documents.values("pk"))
    else:
        if not filters.status:
            return Q(variant__in=documents.values("effective_version_id"))
        versions = DocumentVersion.objects.filter(pk__in=documents.values("effective_version_id"))
    return Q(variant__in=versions.filter(status__iexact=filters.status).values("pk"))


def describe(user, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], HitInfo]:
    documents = Document.objects.in_bulk([d for d, _ in pairs])
    versions = DocumentVersion.objects.only("id", "version", "status").in_bulk([v for _, v in pairs])
    out = {}
    for document_id, version_id in pairs:
        document, version = documents.get(document_id), versions.get(version_id)
        if document is None or version is None:
            continue
        out[(document_id, version_id)] = HitInfo(
            number=document.number,
            title=document.title,
            status=version.status,
            version=version.version,
            category=document.category,
            url=reverse("documents:detail", args=[document.pk]),
        )
    return out


def indexable(since=None):
    qs = Document.objects.order_by("pk")
    return qs.filter(updated_at__gte=since) if since else qs


def summary(document: Document) -> str:
    """Title, description and the start of the current text: what "similar documents" compares."""
    version = document.current_version
    text = (version.extracted_text or version.source_text)[:1000] if version else ""
    return " ".join(part for part in (f"{document.title}.", document.description, text) if part).strip()


def register_documents() -> None:
    register(
        IndexableType(
            name="document",
            label="Document",
            model=Document,
            permission="documents.view",
            pieces=pieces,
            visible_chunks=visible_chunks,
            describe=describe,
            indexable=indexable,
            filters=("category", "status", "document_type", "date_from", "date_to"),
            summary=summary,
            # What is indexed changes when a version's text is extracted, when the metadata change and
            # on every state change (versions become effective, superseded, obsolete); a new document
            # or version is indexed once its text is extracted.
            index_on=(
                DocumentEvent.VERSION_PROCESSED,
                DocumentEvent.METADATA_UPDATED,
                DocumentWorkflowEvent.TRANSITIONED,
            ),
        )
    )
