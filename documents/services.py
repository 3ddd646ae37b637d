"""Every write about documents, document types and document templates: one function per use case,
each checking its permission (`qms.permissions.require`; actor None is the system), one
transaction, audit record inside.

Upload as a sequence of steps (nothing is stored until every check passed):
    size (413) → safe filename and content-based type (415) → SHA-256 → [transaction: number,
    document, workflow, file written once, version row, audit] → text extraction after commit.
A file written by a transaction that then fails is removed again.

Approvals, transitions and approval configuration are the controlled-record kit's use cases
(workflows.records_services: password checked OUTSIDE the transaction, then the signature, the
engine step and the audit records in one transaction holding row locks on the document and its
workflow instance); `follow_workflow` is how a document follows its workflow.
"""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from audit import changes as audit_changes
from audit import services as audit
from qms.errors import Conflict, InvalidInput, NotFound, check_row_version
from qms.events import emit
from qms.permissions import require
from workflows import records_services
from workflows import selectors as workflow_selectors
from workflows import services as workflows
from workflows.legacy import LegacyApproval
from workflows.models import (
    EDITABLE_KINDS,
    StateKind,
    TransitionTrigger,
    WorkflowInstance,
    WorkflowState,
    WorkflowTransition,
)
from workflows.numbering import advance_past, next_number

from . import files, rendering
from .audit_actions import AuditAction
from .error_codes import ErrorCode
from .events import DocumentEvent
from .extraction import ExtractionFailed, extract
from .models import Document, DocumentTemplate, DocumentType, DocumentVersion, ProcessingStatus, split_keywords

logger = logging.getLogger("qms.documents")

METADATA_FIELDS = ["title", "category", "description", "keywords", "owner", "next_review_date"]
TYPE_FIELDS = ["name", "code", "description", "default_workflow", "review_period_months", "approvers_need_training", "is_active"]
TEMPLATE_FIELDS = ["name", "description", "category", "document_type", "body", "variables", "output_format", "is_active"]


class NotEditable(Conflict):
    error_code = ErrorCode.NOT_EDITABLE


# --- upload and new versions --------------------------------------------------------------------


def upload_document(
    *,
    actor: User,
    file,
    title: str,
    document_type: DocumentType,
    category: str = "",
    description: str = "",
    keywords="",
    change_summary: str = "",
    owner: User | None = None,
) -> Document:
    """A new controlled document whose version 1.0 is the uploaded file, in the initial state of
    its type's workflow."""
    require(actor, "documents.create")
    safe_name, mime = files.validate_upload(file)
    return _create_document(
        actor=actor,
        content=file,
        safe_name=safe_name,
        mime=mime,
        title=title,
        document_type=document_type,
        category=category,
        description=description,
        keywords=keywords,
        change_summary=change_summary or "Initial version",
        owner=owner,
    )


def _create_document(
    *,
    actor,
    content,
    safe_name,
    mime,
    title,
    document_type,
    category,
    description,
    keywords,
    change_summary,
    owner=None,
    source_text="",
    audit_extra: dict | None = None,
) -> Document:
    title = (title or "").strip()
    if not title:
        raise InvalidInput("A title is required.", field="title", error_type="value_error.missing")
    if not document_type.is_active:
        raise InvalidInput(f"Document type {document_type.code} is inactive.", field="document_type")
    sha256 = files.sha256_of(content)
    with files.removing_on_failure() as written, transaction.atomic():
        # Locked so its code (the number prefix) cannot change while the number is taken.
        doc_type = DocumentType.objects.select_for_update().get(pk=document_type.pk)
        number = next_number(doc_type.code, yearly=False)
        document = _new_document(
            number=number,
            title=title,
            doc_type=doc_type,
            category=category,
            description=description,
            keywords=keywords,
            owner=owner or actor,
            actor=actor,
        )
        instance = workflows.start(record=document, template=doc_type.default_workflow, actor=actor, author=actor)
        version = _store_version(
            document=document,
            instance=instance,
            content=content,
            safe_name=safe_name,
            mime=mime,
            sha256=sha256,
            major=1,
            minor=0,
            change_summary=change_summary,
            actor=actor,
            source_text=source_text,
            written=written,
        )
        document.current_version = version
        document.workflow_instance = instance
        document.status = instance.current_state.name
        document.save(update_fields=["current_version", "workflow_instance", "status"])
        audit.record(
            action=AuditAction.CREATE,
            resource_type="document",
            resource_id=document.pk,
            actor=actor,
            summary=f"Document {document.number} {document.title!r} created with version {version.version}",
            new_values={
                **audit_changes.snapshot(
                    document,
                    ["number", "title", "document_type.code", "category", "description", "keywords", "owner.username", "status"],
                ),
                "version": version.version,
                "file": version.file.name,
                "original_filename": version.original_filename,
                "sha256": version.sha256,
                "file_size": version.file_size,
                "mime_type": version.mime_type,
                **(audit_extra or {}),
            },
        )
        emit(DocumentEvent.CREATED, document, actor=actor, data={"number": document.number, "status": document.status})
        _emit_version_uploaded(version, actor)
    return document


def _new_document(*, number, title, doc_type, category, description, keywords, owner, actor) -> Document:
    """The document row of a new document (no version, no workflow yet), inside the caller's transaction."""
    return Document.objects.create(
        number=number,
        title=title,
        document_type=doc_type,
        category=(category or "").strip(),
        description=description or "",
        keywords=", ".join(split_keywords(keywords)),
        owner=owner,
        status="",
        created_by=actor,
    )


def add_version(
    *, actor: User, document: Document, file, change_summary: str = "", row_version: int | None = None
) -> DocumentVersion:
    """A new file for a document. In a draft (or rejected) state it is the next minor version of
    the same cycle; on an effective document it starts a revision: a new major version in a new
    workflow cycle, while the effective version stays effective until the revision is."""
    require(actor, "documents.create")
    safe_name, mime = files.validate_upload(file)
    change_summary = (change_summary or "").strip()
    if not change_summary:
        raise InvalidInput("Describe what changed in this version.", field="change_summary", error_type="value_error.missing")
    sha256 = files.sha256_of(file)
    with files.removing_on_failure() as written, transaction.atomic():
        document = _lock(document)
        check_row_version(document, row_version)
        instance = document.workflow_instance
        state = instance.current_state
        previous = document.current_version
        if state.kind in EDITABLE_KINDS:
            major, minor, revision = previous.major, previous.minor + 1, False
        elif state.kind == StateKind.EFFECTIVE and document.effective_version_id == previous.pk:
            major, minor, revision = previous.major + 1, 0, True
        else:
            raise NotEditable(
                f"{document.number} is {state.label.lower()}: new versions can be added while it is a draft or rejected, "
                "or as a revision once it is effective.",
                extra={"current_state": state.name},
            )
        if revision:
            instance = workflows.start(
                record=document, template=document.document_type.default_workflow, actor=actor, author=actor
            )
        version = _store_version(
            document=document,
            instance=instance,
            content=file,
            safe_name=safe_name,
            mime=mime,
            sha256=sha256,
            major=major,
            minor=minor,
            change_summary=change_summary,
            actor=actor,
            written=written,
        )
        if not revision:
            previous.status = StateKind.SUPERSEDED.value
            previous.save(update_fields=["status"])
        old = audit_changes.snapshot(document, ["current_version.version", "status"])
        document.current_version = version
        document.workflow_instance = instance
        document.status = instance.current_state.name
        document.row_version += 1
        document.save(update_fields=["current_version", "workflow_instance", "status", "row_version", "updated_at"])
        audit.record(
            action=AuditAction.CREATE,
            resource_type="document",
            resource_id=document.pk,
            actor=actor,
            summary=(
                f"Revision {version.version} of {document.number} started"
                if revision
                else f"Version {version.version} of {document.number} uploaded"
            ),
            old_values=old,
            new_values={
                "current_version.version": version.version,
                "status": document.status,
                "file": version.file.name,
                "original_filename": version.original_filename,
                "sha256": version.sha256,
                "file_size": version.file_size,
                "mime_type": version.mime_type,
                "change_summary": change_summary,
            },
            reason=change_summary,
        )
        _emit_version_uploaded(version, actor)
    return version


def _store_version(
    *, document, instance, content, safe_name, mime, sha256, major, minor, change_summary, actor, written, source_text=""
) -> DocumentVersion:
    label = f"{major}.{minor}"
    name = files.store(
        files.storage_name(document_id=document.pk, title=document.title, version=label, filename=safe_name), content
    )
    written.append(name)
    version = DocumentVersion(
        document=document,
        version=label,
        major=major,
        minor=minor,
        original_filename=safe_name,
        file_size=content.size,
        sha256=sha256,
        mime_type=mime,
        change_summary=change_summary,
        status=instance.current_state.name,
        workflow_instance=instance,
        source_text=source_text,
        created_by=actor,
    )
    version.file.name = name
    version.save()
    return version


def _emit_version_uploaded(version: DocumentVersion, actor: User) -> None:
    """Text extraction follows after commit (documents.handlers), through the outbox: a broker
    outage delays it, never loses it."""
    emit(
        DocumentEvent.VERSION_UPLOADED,
        version.document,
        actor=actor,
        data={"version_id": version.pk, "version": version.version, "sha256": version.sha256, "mime_type": version.mime_type},
    )


# --- legacy documents -----------------------------------------------------------------------------

VERSION_LABEL = re.compile(r"^(\d{1,4})\.(\d{1,4})$")


@dataclass
class ImportedVersion:
    version: DocumentVersion
    created: bool  # False: the same version with the same file was loaded before (nothing changed)


def import_version(
    *,
    actor: User,
    number: str,
    title: str,
    document_type: DocumentType,
    version: str,
    state: str,
    file,
    category: str = "",
    description: str = "",
    keywords="",
    owner: User | None = None,
    effective_date: datetime.date | None = None,
    change_summary: str = "",
    legacy_approvals: list[LegacyApproval] = (),
    source: str = "",
) -> ImportedVersion:
    """One version of a controlled document loaded from a legacy system (manage.py import_documents),
    keeping its legacy number and version label.

    The file passes the same checks as an upload (size 413, sniffed type 415, SHA-256) and is stored
    the same way. The version starts a workflow cycle in its legacy `state` (effective, superseded,
    obsolete, draft, ...) without any transition or signature; the approvals of the legacy system
    are kept as legacy history (workflows.legacy: who and when as text, "legacy, not an electronic
    signature of this system"). A version becoming effective supersedes the effective one before
    it. Versions of a document are loaded in ascending order. Idempotent: the same number, version
    and checksum again changes nothing; the same version with another file is a 409. Text
    extraction is queued after commit (documents.version_uploaded)."""
    require(actor, "documents.create")
    number = (number or "").strip().upper()
    if not number or len(number) > Document._meta.get_field("number").max_length:
        raise InvalidInput("A document number of at most 30 characters is required.", field="number")
    match = VERSION_LABEL.match((version or "").strip())
    if match is None:
        raise InvalidInput(f"{version!r} is not a version such as 1.0 or 2.1.", field="version")
    major, minor = int(match.group(1)), int(match.group(2))
    label = f"{major}.{minor}"
    safe_name, mime = files.validate_upload(file)
    sha256 = files.sha256_of(file)
    with files.removing_on_failure() as written, transaction.atomic():
        document = Document.objects.select_for_update().filter(number=number).first()
        if document is not None:
            existing = document.versions.filter(version=label).first()
            if existing is not None:
                if existing.sha256 == sha256:
                    return ImportedVersion(existing, created=False)
                raise Conflict(
                    f"{number} version {label} exists with another file "
                    f"(sha256 {existing.sha256[:12]}…, this file {sha256[:12]}…).",
                    error_code=ErrorCode.VERSION_EXISTS,
                )
            latest = document.versions.order_by("-major", "-minor").first()
            if latest is not None and (latest.major, latest.minor) > (major, minor):
                raise Conflict(
                    f"{number} already has version {latest.version}: load the versions of a document in ascending order.",
                    error_code=ErrorCode.VERSION_ORDER,
                )
        template = document_type.default_workflow
        target = WorkflowState.objects.filter(template=workflow_selectors.current_version_of(template), name=state).first()
        if target is None:
            raise InvalidInput(f"The {document_type.code} workflow has no state {state!r}.", field="state")
        created_document = document is None
        if created_document:
            title = (title or "").strip()
            if not title:
                raise InvalidInput("A title is required.", field="title", error_type="value_error.missing")
            doc_type = DocumentType.objects.select_for_update().get(pk=document_type.pk)
            advance_past(doc_type.code, number, yearly=False)  # new documents never take a legacy number
            document = _new_document(
                number=number,
                title=title,
                doc_type=doc_type,
                category=category,
                description=description,
                keywords=keywords,
                owner=owner or actor,
                actor=actor,
            )
        legacy = f"Imported from the legacy system{f' ({source})' if source else ''}"
        instance = workflows.start(
            record=document, template=template, actor=actor, author=owner or actor, state=state, comment=legacy
        )
        workflows.record_legacy_history(instance=instance, approvals=legacy_approvals)
        stored = _store_version(
            document=document,
            instance=instance,
            content=file,
            safe_name=safe_name,
            mime=mime,
            sha256=sha256,
            major=major,
            minor=minor,
            change_summary=(change_summary or "").strip() or legacy,
            actor=actor,
            written=written,
        )
        old = None if created_document else audit_changes.snapshot(document, ["current_version.version", "status"])
        previous_effective = document.effective_version
        if target.kind == StateKind.EFFECTIVE:
            if previous_effective is not None:
                _supersede(previous_effective, actor)
            document.effective_version = stored
            document.effective_date = effective_date or timezone.localdate()
            document.next_review_date = _add_months(document.effective_date, document.document_type.review_period_months)
        document.current_version = stored
        document.workflow_instance = instance
        document.status = instance.current_state.name
        if not created_document:
            document.row_version += 1
        document.save()
        audit.record(
            action=AuditAction.CREATE,
            resource_type="document",
            resource_id=document.pk,
            actor=actor,
            summary=(
                f"Document {document.number} {document.title!r} imported" if created_document else f"{document.number} imported"
            )
            + f" with version {stored.version} in state {state} (legacy; no electronic signature of this system)",
            old_values=old,
            new_values={
                **audit_changes.snapshot(
                    document, ["number", "title", "document_type.code", "category", "keywords", "owner.username", "status"]
                ),
                "version": stored.version,
                "effective_date": document.effective_date if target.kind == StateKind.EFFECTIVE else None,
                "file": stored.file.name,
                "original_filename": stored.original_filename,
                "sha256": stored.sha256,
                "file_size": stored.file_size,
                "mime_type": stored.mime_type,
                "legacy_approvals": [a.as_audit() for a in legacy_approvals],
                "source": source or None,
            },
            reason=legacy,
        )
        if created_document:
            emit(DocumentEvent.CREATED, document, actor=actor, data={"number": document.number, "status": document.status})
        _emit_version_uploaded(stored, actor)
    return ImportedVersion(stored, created=True)


# --- text extraction ---------------------------------------------------------------------------


def process_version(*, version_id: int, force: bool = False) -> DocumentVersion:
    """uploaded → processing → completed | failed (with the message). Idempotent: a version that
    finished is left alone unless `force`. The stored file is only read, never touched."""
    with transaction.atomic():
        version = DocumentVersion.objects.select_for_update().get(pk=version_id)
        if version.processing_status in (ProcessingStatus.COMPLETED, ProcessingStatus.FAILED) and not force:
            return version
        version.processing_status = ProcessingStatus.PROCESSING
        version.save(update_fields=["processing_status"])
    error, result = "", None
    try:
        with files.open_stored(version.file.name) as handle:
            result = extract(handle, version.mime_type)
    except ExtractionFailed as exc:
        error = str(exc) or "Text extraction failed."
    except OSError as exc:
        error = f"The stored file could not be read: {exc}"
    with transaction.atomic():
        version = DocumentVersion.objects.select_for_update().select_related("document").get(pk=version_id)
        version.processed_at = timezone.now()
        if error:
            version.processing_status, version.processing_error = ProcessingStatus.FAILED, error[:2000]
            summary = f"Text extraction failed for {version.document.number} v{version.version}: {error[:200]}"
        else:
            version.processing_status, version.processing_error = ProcessingStatus.COMPLETED, ""
            version.extracted_text, version.page_count = result.text, result.page_count
            summary = (
                f"Text extracted from {version.document.number} v{version.version} "
                f"({len(result.text)} characters{f', {result.page_count} pages' if result.page_count else ''})"
            )
        version.save(update_fields=["processing_status", "processing_error", "extracted_text", "page_count", "processed_at"])
        audit.record(
            action=AuditAction.PROCESS,
            resource_type="document",
            resource_id=version.document_id,
            summary=summary,
            new_values={
                "version": version.version,
                "processing_status": version.processing_status,
                "page_count": version.page_count,
                "processing_error": version.processing_error or None,
            },
        )
        emit(
            DocumentEvent.VERSION_PROCESSED,
            version.document,
            data={"version_id": version.pk, "version": version.version, "processing_status": version.processing_status},
        )
    return version


# --- metadata -------------------------------------------------------------------------------------


def update_metadata(*, actor: User, document: Document, changes: dict, reason: str, row_version: int | None) -> Document:
    """Title, category, description, keywords, owner, next review date; with a reason and the
    row_version the client read (stale → 409 VERSION_CONFLICT). Title, category, description and
    keywords are part of what electronic signatures on the document's versions cover: once a
    version carries signatures or the document is approved, they cannot change (409
    SIGNED_CONTENT_LOCKED); owner and next review date stay editable."""
    require(actor, "documents.edit")
    reason = audit.require_reason(reason, what="a change to a controlled document")
    if row_version is None:
        raise InvalidInput(
            "Send the row_version you read (or an If-Match header) so concurrent edits are detected.",
            field="row_version",
            error_type="value_error.missing",
            error_code=ErrorCode.ROW_VERSION_REQUIRED,
        )
    unknown = set(changes) - set(METADATA_FIELDS)
    if unknown:
        raise InvalidInput(f"Cannot change {', '.join(sorted(unknown))} here.", field=sorted(unknown)[0])
    with transaction.atomic():
        document = _lock(document)
        check_row_version(document, row_version)
        if document.workflow_instance.current_state.is_terminal:
            raise NotEditable(f"{document.number} is {document.status}; its metadata can no longer change.")
        before = document.audit_snapshot()
        with records_services.signed_content_kept(document):
            for field, value in changes.items():
                if field == "keywords":
                    value = ", ".join(split_keywords(value))
                elif field == "title":
                    value = (value or "").strip()
                    if not value:
                        raise InvalidInput("The title cannot be empty.", field="title")
                elif field == "owner" and not value.is_active:
                    raise InvalidInput("The owner must be an active user.", field="owner")
                setattr(document, field, value)
        changed = _save_changes(
            document, before=before, actor=actor, summary=f"Metadata of {document.number} changed", reason=reason
        )
        if changed:
            emit(DocumentEvent.METADATA_UPDATED, document, actor=actor, data={"fields": changed})
    return document


# --- workflow: the controlled-record kit's use cases, under documents' names --------------------------
#
# Approving, transitions and approval configuration are the kit's (workflows.records_services; the
# API and the pages call it directly). What is particular to documents is declared in
# documents/records.py: a signature applies to the current version, the uploaders of a cycle's
# versions are its authors, and `follow_workflow` below.


def default_intent(document: Document) -> str:
    return f"I approve {document.number} version {document.current_version.version} ({document.title})."


def approve_document(*, actor: User, document: Document, password: str, comment: str = "", intent: str = "") -> Document:
    return records_services.approve_record(actor=actor, record=document, password=password, comment=comment, intent=intent)


def transition_document(
    *, actor: User, document: Document, name: str, comment: str = "", password: str | None = None, intent: str = ""
) -> Document:
    """Submit, reject, make effective, obsolete, ...: a named manual transition of the current cycle.
    Transitions that require a signature need the password."""
    return records_services.transition_record(
        actor=actor, record=document, name=name, comment=comment, password=password, intent=intent
    )


def follow_workflow(document: Document, outcome: workflows.Outcome, actor: User | None) -> None:
    """Brings versions and the document in line with the state changes the engine made (the
    document record type's sync hook, inside the kit's transaction): the cycle's version takes the
    new state; a version becoming effective supersedes the previous effective one; an obsolete
    effective version leaves the document without one; a withdrawn revision hands the document
    back to its effective version."""
    instance = outcome.instance
    version = document.current_version
    kinds = dict(WorkflowState.objects.filter(template_id=instance.template_id).values_list("name", "kind"))
    today = timezone.now().date()
    for entry in outcome.transitions:
        kind = kinds[entry.to_state]
        version.status = entry.to_state
        version.save(update_fields=["status"])
        if kind == StateKind.EFFECTIVE:
            previous = document.effective_version
            if previous is not None and previous.pk != version.pk:
                _supersede(previous, actor)
            document.effective_version = version
            document.effective_date = today
            document.next_review_date = _add_months(today, document.document_type.review_period_months)
        elif kind in (StateKind.OBSOLETE, StateKind.SUPERSEDED) and document.effective_version_id == version.pk:
            document.effective_version = None
            document.next_review_date = None
    document.status = instance.current_state.name
    if instance.current_state.kind == StateKind.OBSOLETE and document.effective_version_id:
        effective = document.effective_version
        document.workflow_instance = effective.workflow_instance
        document.current_version = effective
        document.status = effective.status
    document.row_version += 1
    document.save()


def _supersede(version: DocumentVersion, actor: User) -> None:
    instance = version.workflow_instance
    current = WorkflowInstance.objects.select_related("current_state").get(pk=instance.pk).current_state
    move = WorkflowTransition.objects.filter(
        template_id=instance.template_id,
        from_state=current,
        trigger=TransitionTrigger.SYSTEM,
        to_state__kind=StateKind.SUPERSEDED,
    ).first()
    if move is None:
        raise Conflict(
            f"Workflow {instance.template} has no system transition from {current.name!r} to a superseded state; "
            "the previous effective version cannot be superseded.",
            error_code=ErrorCode.WORKFLOW_INCOMPLETE,
        )
    outcome = workflows.transition(
        instance=instance, name=move.name, actor=actor, comment="Superseded by a new effective version", system=True
    )
    version.status = outcome.instance.current_state.name
    version.save(update_fields=["status"])


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def record_download(*, actor: User, document: Document, version: DocumentVersion) -> None:
    require(actor, "documents.download")
    with transaction.atomic():
        audit.record(
            action=AuditAction.DOWNLOAD,
            resource_type="document",
            resource_id=document.pk,
            actor=actor,
            summary=f"{actor.display_name} downloaded {document.number} v{version.version} ({version.original_filename})",
            new_values={"version": version.version, "sha256": version.sha256, "file": version.file.name},
        )


# What a document's use cases read with it (and the kit joins when it locks a document).
DOCUMENT_RELATED = (
    "document_type",
    "current_version",
    "effective_version",
    "effective_version__workflow_instance",
    "workflow_instance",
    "workflow_instance__current_state",
    "workflow_instance__template",
)


def _lock(document: Document) -> Document:
    try:
        return Document.objects.select_for_update(of=("self",)).select_related(*DOCUMENT_RELATED).get(pk=document.pk)
    except Document.DoesNotExist:
        raise NotFound("Document not found.")


# --- document types ----------------------------------------------------------------------------------


def create_document_type(*, actor: User | None, data: dict) -> DocumentType:
    require(actor, "document_types.manage")
    with transaction.atomic():
        _check_type_unique(data)
        doc_type = DocumentType(**{k: v for k, v in data.items() if k in TYPE_FIELDS})
        doc_type.full_clean()
        doc_type.save()
        audit.record(
            action=AuditAction.CREATE,
            resource_type=DocumentType.audit_resource_type,
            resource_id=doc_type.pk,
            actor=actor,
            summary=f"Document type {doc_type.code} ({doc_type.name}) created",
            new_values=audit_changes.snapshot(doc_type, DocumentType.audit_fields),
        )
    return doc_type


def update_document_type(
    *, actor: User | None, doc_type: DocumentType, data: dict, reason: str = "", row_version: int | None = None
) -> DocumentType:
    require(actor, "document_types.manage")
    with transaction.atomic():
        doc_type = DocumentType.objects.select_for_update().get(pk=doc_type.pk)
        check_row_version(doc_type, row_version)
        if "code" in data and data["code"] != doc_type.code and doc_type.documents.exists():
            raise Conflict(
                "The code of a type that already has documents cannot change (their numbers use it).",
                error_code=ErrorCode.CODE_IN_USE,
            )
        _check_type_unique(data, exclude=doc_type.pk)
        before = doc_type.audit_snapshot()
        for field, value in data.items():
            if field in TYPE_FIELDS:
                setattr(doc_type, field, value)
        doc_type.full_clean()
        _save_changes(doc_type, before=before, actor=actor, summary=f"Document type {doc_type.code} changed", reason=reason)
    return doc_type


def _check_type_unique(data: dict, exclude: int | None = None) -> None:
    for field in ("name", "code"):
        if field in data and DocumentType.objects.filter(**{f"{field}__iexact": data[field]}).exclude(pk=exclude).exists():
            raise Conflict(
                f"A document type with {field} {data[field]!r} already exists.", error_code=ErrorCode(f"{field.upper()}_TAKEN")
            )


def _save_changes(obj, *, before: dict, actor: User | None, summary: str, reason: str) -> list[str]:
    """Audits the changed audit_fields of `obj` (audit.services.record_change) and, when there are
    any, saves it with the next row_version; nothing happens when nothing changed. Returns the
    names of the changed fields."""
    event = audit.record_change(obj=obj, before=before, actor=actor, summary=summary, reason=reason)
    if event is None:
        return []
    obj.row_version += 1
    obj.save()
    return sorted(event.new_values or {})


# --- document templates --------------------------------------------------------------------------------


def create_template(*, actor: User | None, data: dict) -> DocumentTemplate:
    require(actor, "templates.manage")
    variables = rendering.normalise_variables(data.get("variables") or [])
    rendering.check_template(data.get("body", ""), variables)
    with transaction.atomic():
        if DocumentTemplate.objects.filter(name__iexact=data["name"]).exists():
            raise _template_name_taken(data["name"])
        template = DocumentTemplate.objects.create(
            **{k: v for k, v in data.items() if k in TEMPLATE_FIELDS and k != "variables"}, variables=variables, created_by=actor
        )
        audit.record(
            action=AuditAction.CREATE,
            resource_type=DocumentTemplate.audit_resource_type,
            resource_id=template.pk,
            actor=actor,
            summary=f"Document template {template.name!r} created",
            new_values=template.audit_snapshot(),
        )
    return template


def update_template(
    *, actor: User | None, template: DocumentTemplate, data: dict, reason: str = "", row_version: int | None = None
) -> DocumentTemplate:
    require(actor, "templates.manage")
    with transaction.atomic():
        template = DocumentTemplate.objects.select_for_update().get(pk=template.pk)
        check_row_version(template, row_version)
        if "variables" in data:
            data = {**data, "variables": rendering.normalise_variables(data["variables"] or [])}
        rendering.check_template(data.get("body", template.body), data.get("variables", template.variables))
        if "name" in data and DocumentTemplate.objects.filter(name__iexact=data["name"]).exclude(pk=template.pk).exists():
            raise _template_name_taken(data["name"])
        before = template.audit_snapshot()
        for field, value in data.items():
            if field in TEMPLATE_FIELDS:
                setattr(template, field, value)
        _save_changes(template, before=before, actor=actor, summary=f"Document template {template.name!r} changed", reason=reason)
    return template


def _template_name_taken(name: str) -> Conflict:
    return Conflict(f"A template named {name!r} already exists.", error_code=ErrorCode.NAME_TAKEN)


def use_template(
    *,
    actor: User,
    template: DocumentTemplate,
    variables: dict,
    title: str = "",
    category: str | None = None,
    description: str = "",
    keywords="",
) -> Document:
    """A draft document whose version 1.0 is the template rendered with `variables` (as DOCX or PDF,
    with the Markdown kept as the version's source text). Every variable problem is a 422."""
    require(actor, "templates.use")
    if not template.is_active:
        raise Conflict(f"Template {template.name!r} is inactive.", error_code=ErrorCode.TEMPLATE_INACTIVE)
    values = rendering.resolve_values(template.variables, variables or {})
    markdown = rendering.render(template.body, values)
    title = (title or values.get("title") or template.name).strip()
    if template.output_format == "pdf":
        data, ext, mime = rendering.to_pdf(markdown, title=title), ".pdf", "application/pdf"
    else:
        data, ext, mime = rendering.to_docx(markdown, title=title), ".docx", files.DOCX
    safe_name = files.sanitize_filename(f"{slugify(title)[:80] or 'document'}{ext}")
    files.check_file_size(len(data))
    content = ContentFile(data, name=safe_name)
    with transaction.atomic():
        DocumentTemplate.objects.filter(pk=template.pk).update(usage_count=F("usage_count") + 1)
        document = _create_document(
            actor=actor,
            content=content,
            safe_name=safe_name,
            mime=mime,
            title=title,
            document_type=template.document_type,
            category=template.category if category is None else category,
            description=description,
            keywords=keywords,
            change_summary=f"Created from template {template.name!r}",
            source_text=markdown,
            audit_extra={"template_id": template.pk, "template": template.name, "variables": values},
        )
    return document
