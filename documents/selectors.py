"""Reads about documents that the API, pages, dashboard and search share, with bounded query counts.

Readers (people without authoring, reviewing or audit permissions) see only documents that have an
effective version, and only that version: uncontrolled drafts are not available at the point of use.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from audit.canonical import json_safe
from audit.models import Signature
from audit.signatures import content_hash_of
from workflows import selectors as workflow_selectors
from workflows.models import WorkflowHistory, WorkflowInstance

from .models import Document, DocumentTemplate, DocumentType, DocumentVersion

# Holding any of these shows drafts and every version, not only what is effective.
CONTROLLED_ACCESS = ("documents.create", "documents.edit", "documents.transition", "documents.approve", "audit.view")


def sees_all_versions(user) -> bool:
    return any(user.has_qms_permission(c) for c in CONTROLLED_ACCESS)


def document_list(user) -> QuerySet[Document]:
    """Documents visible to `user`, with what a list row shows joined in (constant query count)."""
    qs = Document.objects.select_related("document_type", "owner", "current_version", "effective_version").defer(
        # Extracted and source text can be megabytes; rows never show them.
        "current_version__extracted_text",
        "current_version__source_text",
        "effective_version__extracted_text",
        "effective_version__source_text",
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
    """The manual transitions of the document's current workflow cycle that this user may perform.
    (While a revision is under way, the effective version's own transitions wait until it ends.)"""
    instance = document.workflow_instance
    if instance is None or instance.current_state.is_terminal:
        return []
    return [
        AvailableTransition(t.name, t.label, t.to_state.name, t.requires_signature, t.requires_comment, t.signature_type)
        for t in workflow_selectors.available_transitions(instance, user)
    ]


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
    workflow: dict | None
    available_transitions: list[AvailableTransition]
    approvals: list[dict]
    signatures: list[dict]
    history: list[dict]


def document_detail(document: Document, user) -> DocumentDetail:
    """Everything the detail page and API show besides the document row, in a fixed number of
    queries (independent of the number of versions, approvals and signatures)."""
    all_versions = list(DocumentVersion.objects.filter(document=document).select_related("created_by").order_by("major", "minor"))
    full = sees_all_versions(user)
    versions = all_versions if full else [v for v in all_versions if v.pk == document.effective_version_id]
    label_by_instance: dict[int, str] = {}
    for v in all_versions:  # the latest version of each cycle names it
        label_by_instance[v.workflow_instance_id] = v.version
    version_by_id = {v.pk: v for v in all_versions}

    history = []
    if full:
        for h in WorkflowHistory.objects.filter(instance_id__in=list(label_by_instance)).select_related("actor").order_by("pk"):
            history.append(
                {
                    "id": h.pk,
                    "workflow_instance": h.instance_id,
                    "version": label_by_instance.get(h.instance_id),
                    "action": h.action,
                    "transition": h.transition_name,
                    "from_state": h.from_state,
                    "to_state": h.to_state,
                    "actor": h.actor,
                    "actor_name": h.actor_name,
                    "comment": h.comment,
                    "signature_id": h.signature_id,
                    "is_automatic": h.is_automatic,
                    "created_at": h.created_at,
                }
            )

    instance = document.workflow_instance
    workflow = None
    approvals: list[dict] = []
    if instance is not None:
        policy = workflow_selectors.approval_policy(instance) if full else None
        workflow = {
            "instance_id": instance.pk,
            "template": {"id": instance.template_id, "name": instance.template.name, "version": instance.template.version},
            "state": {
                "name": instance.current_state.name,
                "label": instance.current_state.label,
                "kind": instance.current_state.kind,
            },
            "started_at": instance.started_at,
            "approval": _approval_status(policy) if policy is not None and policy.requires_approval else None,
            "history": history,
        }
        if full:
            for a in workflow_selectors.approvals_for(label_by_instance):
                approvals.append(
                    {
                        "id": a.pk,
                        "approver": a.approver,
                        "approver_name": a.approver_name,
                        "approver_role": a.approver_role,
                        "state": a.state.name,
                        "version": label_by_instance.get(a.instance_id),
                        "rule": a.rule_description,
                        "comment": a.comment,
                        "signature_id": a.signature_id,
                        "current": a.instance_id == instance.pk and a.state_entry == instance.state_entry,
                        "created_at": a.created_at,
                    }
                )

    signature_rows = []
    if user.has_qms_permission("signatures.view") or full:
        current_hash = {}
        for sig in (
            Signature.objects.filter(
                Q(resource_type="document", resource_id=document.pk)
                | Q(resource_type="document_version", resource_id__in=list(version_by_id))
            )
            .select_related("signer")
            .order_by("signed_at", "pk")
        ):
            if sig.resource_type == "document_version":
                record = version_by_id.get(sig.resource_id)
                key = ("document_version", sig.resource_id)
                content = record.signature_content(document=document) if record else None
                label = record.version if record else None
            else:
                key = ("document", document.pk)
                content = document.signature_content() if document.current_version_id else None
                label = sig.signed_content.get("version") if isinstance(sig.signed_content, dict) else None
            if key not in current_hash:
                current_hash[key] = content_hash_of(json_safe(content)) if content is not None else None
            if not full and label != (document.effective_version.version if document.effective_version_id else None):
                continue
            content_ok = current_hash[key] == sig.content_hash
            binding_ok = sig.compute_signature_hash() == sig.signature_hash
            signature_rows.append(
                {
                    "id": sig.pk,
                    "signer": sig.signer,
                    "printed_name": sig.printed_name,
                    "signed_at": sig.signed_at,
                    "signature_type": sig.signature_type,
                    "meaning": sig.meaning,
                    "intent": sig.intent,
                    "reason": sig.reason,
                    "resource_type": sig.resource_type,
                    "resource_id": sig.resource_id,
                    "version": label,
                    "content_hash": sig.content_hash,
                    "valid": content_ok and binding_ok,
                    "signature": sig,
                    "verification": {
                        "valid": content_ok and binding_ok,
                        "content_hash_matches": content_ok,
                        "signature_hash_matches": binding_ok,
                    },
                }
            )
    return DocumentDetail(
        versions=versions,
        workflow=workflow,
        available_transitions=available_transitions(document, user),
        approvals=approvals,
        signatures=signature_rows,
        history=history,
    )


def _approval_status(policy) -> dict:
    return {
        "state": policy.state.name,
        "approval_mode": policy.mode,
        "author_may_approve": policy.author_may_approve,
        "overridden": policy.overridden,
        "satisfied": policy.satisfied,
        "rules": [
            {
                "kind": r.kind,
                "role": r.role_name,
                "required_approvals": r.required,
                "users": r.user_ids,
                "approvals": r.count,
                "satisfied": r.satisfied,
            }
            for r in policy.rules
        ],
    }
