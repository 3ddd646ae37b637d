"""The AI assistant's use cases: chat (retrieval-augmented, with citations), generate (draft content,
optionally saved as a draft document), analyze (findings over a document's text).

Each one: `ai.use` checked here, the provider called OUTSIDE any transaction (it is slow and may
fail), then one transaction that stores what the user keeps (conversation messages, a draft
document) and the audit record. The audit record names the user, the endpoint, the model, a
SHA-256 of the prompt, the record ids involved and the token usage, never the text itself.
Answers are suggestions: every response says so.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.text import slugify

from audit import services as audit
from documents import selectors as document_selectors
from documents import services as documents
from documents.models import Document, DocumentType
from qms.errors import Conflict, InvalidInput, NotFound
from qms.permissions import require
from search import selectors as search_selectors

from . import prompts, provider
from .audit_actions import AuditAction
from .error_codes import ErrorCode
from .models import Conversation, Message, MessageRole

NOTICE = "AI-generated suggestion: check it against the controlled documents before relying on it."
HISTORY_MESSAGES = 10
SEVERITIES = ("low", "medium", "high", "critical")


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _audit(
    *,
    actor,
    action: str,
    endpoint: str,
    resource_type: str,
    resource_id,
    completion,
    prompt_hash: str,
    records: dict,
    summary: str,
):
    audit.record(
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        actor=actor,
        summary=summary,
        new_values={
            "endpoint": endpoint,
            "model": completion.model,
            "prompt_sha256": prompt_hash,
            **records,
            "usage": completion.usage,
        },
    )


def _complete(
    *, actor, endpoint: str, prompt_hash: str, records: dict, messages: list[dict], json_mode: bool = False, schema=None
):
    """The provider call; a failure is audited too (with its error code) before it is raised."""
    try:
        return provider.complete(messages, json_mode=json_mode, schema=schema)
    except provider.AIUnavailable as exc:
        with transaction.atomic():
            audit.record(
                action=AuditAction(f"ai_{endpoint}"),
                resource_type="ai_call",
                resource_id=None,
                actor=actor,
                summary=f"AI {endpoint} call by {actor.display_name} failed: {exc.error_code}",
                new_values={
                    "endpoint": endpoint,
                    "model": settings.OPENAI_MODEL,
                    "prompt_sha256": prompt_hash,
                    **records,
                    "outcome": "failed",
                    "error_code": exc.error_code,
                    "status": exc.status_code,
                },
            )
        raise


def _visible_documents(actor, ids: list[int]) -> list[Document]:
    found = {d.pk: d for d in document_selectors.document_list(actor).filter(pk__in=ids)}
    for document_id in ids:
        if document_id not in found:
            raise NotFound(f"Document {document_id} not found.")
    return [found[i] for i in ids]


# --- chat ----------------------------------------------------------------------------------------------


@dataclass
class ChatOutcome:
    conversation: Conversation
    message: Message
    citations: list[dict] = field(default_factory=list)


def chat(*, actor, message: str, context_documents: list[int] | None = None, conversation_id: int | None = None) -> ChatOutcome:
    """An answer grounded in the given documents (or, without any, in the top search hits the user
    may read), citing the passages it was given."""
    require(actor, "ai.use")
    provider.require_enabled()
    message = (message or "").strip()
    if not message:
        raise InvalidInput("Ask something.", field="message", error_type="value_error.missing")
    context_ids = list(dict.fromkeys(context_documents or []))
    conversation = None
    if conversation_id is not None:
        conversation = Conversation.objects.filter(pk=conversation_id, user=actor).first()
        if conversation is None:
            raise NotFound("Conversation not found.")
    _visible_documents(actor, context_ids)
    found = search_selectors.passages(user=actor, query=message, resource_ids=context_ids or None, limit=6)
    citations = [
        {
            "document_id": p.resource_id,
            "number": p.number,
            "title": p.title,
            "version": p.version,
            "page": p.page,
            "excerpt": " ".join(p.text.split())[:300],
        }
        for p in found
    ]
    history = list(conversation.messages.order_by("-created_at", "-pk")[:HISTORY_MESSAGES]) if conversation else []
    messages = prompts.chat_messages(question=message, passages=found, history=list(reversed(history)))
    completion = _complete(
        actor=actor, endpoint="chat", prompt_hash=_hash(message), records={"context_documents": context_ids}, messages=messages
    )
    with transaction.atomic():
        if conversation is None:
            conversation = Conversation.objects.create(user=actor, title=message[:200])
        Message.objects.create(conversation=conversation, role=MessageRole.USER, content=message, context_documents=context_ids)
        reply = Message.objects.create(
            conversation=conversation,
            role=MessageRole.ASSISTANT,
            content=completion.text,
            citations=citations,
            model=completion.model,
            usage=completion.usage,
        )
        conversation.save(update_fields=["updated_at"])
        _audit(
            actor=actor,
            action=AuditAction.CHAT,
            endpoint="chat",
            resource_type="ai_conversation",
            resource_id=conversation.pk,
            completion=completion,
            prompt_hash=_hash(message),
            records={"context_documents": context_ids, "cited_documents": sorted({c["document_id"] for c in citations})},
            summary=f"{actor.display_name} asked the AI assistant (conversation {conversation.pk}, {len(citations)} passages)",
        )
    return ChatOutcome(conversation=conversation, message=reply, citations=citations)


# --- generate ------------------------------------------------------------------------------------------


@dataclass
class GenerateOutcome:
    content: str
    model: str
    document: Document | None = None


def resolve_document_type(value) -> DocumentType | None:
    value = str(value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return DocumentType.objects.filter(pk=int(value), is_active=True).first()
    return DocumentType.objects.filter(is_active=True).filter(code__iexact=value).first() or (
        DocumentType.objects.filter(is_active=True, name__iexact=value).first()
    )


def generate(*, actor, prompt: str, document_type: str = "", save_as_draft: bool = False, title: str = "") -> GenerateOutcome:
    """Draft content (Markdown). With `save_as_draft`, a new draft document of the matching type is
    created through the document services, so it enters review and approval like any draft."""
    require(actor, "ai.use")
    provider.require_enabled()
    prompt = (prompt or "").strip()
    if not prompt:
        raise InvalidInput("Say what to write.", field="prompt", error_type="value_error.missing")
    doc_type = None
    if save_as_draft:
        require(actor, "documents.create")
        doc_type = resolve_document_type(document_type)
        if doc_type is None:
            raise InvalidInput(
                "To save a draft, document_type must name an active document type (its code, name or id).",
                field="document_type",
            )
    completion = _complete(
        actor=actor,
        endpoint="generate",
        prompt_hash=_hash(prompt),
        records={"document_type": document_type},
        messages=prompts.generate_messages(prompt=prompt, kind=document_type or "document"),
    )
    content = completion.text.strip()
    if not content:
        raise provider.AIUnavailable("The AI provider returned no content.", error_code=ErrorCode.AI_INVALID_ANSWER)
    document = None
    with transaction.atomic():
        if doc_type is not None:
            title = (title or _first_heading(content) or prompt)[:255].strip()
            document = documents.upload_document(
                actor=actor,
                file=ContentFile(content.encode(), name=f"{slugify(title)[:80] or 'draft'}.md"),
                title=title,
                document_type=doc_type,
                description=f"Drafted with the AI assistant from a prompt. {NOTICE}",
                change_summary="Draft generated with the AI assistant",
            )
        _audit(
            actor=actor,
            action=AuditAction.GENERATE,
            endpoint="generate",
            resource_type="document" if document else "ai_generation",
            resource_id=document.pk if document else None,
            completion=completion,
            prompt_hash=_hash(prompt),
            records={"document_type": document_type, "saved_document": document.pk if document else None},
            summary=(
                f"{actor.display_name} generated content with the AI assistant"
                + (f", saved as draft {document.number}" if document else "")
            ),
        )
    return GenerateOutcome(content=content, model=completion.model, document=document)


def _first_heading(markdown: str) -> str:
    match = re.search(r"^#{1,3}\s+(.+)$", markdown, re.MULTILINE)
    return match.group(1).strip() if match else ""


# --- analyze ---------------------------------------------------------------------------------------------


@dataclass
class AnalyzeOutcome:
    document: Document
    version: str
    findings: list[dict]
    model: str
    parts: int


class NoText(Conflict):
    error_code = ErrorCode.NO_TEXT


def analyze(*, actor, document_id: int, instructions: str = "") -> AnalyzeOutcome:
    """Findings over the text of the version the user reads, part by part when it is longer than
    AI_CONTEXT_CHARS (map), merged and de-duplicated (reduce)."""
    require(actor, "ai.use")
    provider.require_enabled()
    (document,) = _visible_documents(actor, [document_id])
    version_id = document.current_version_id if document_selectors.sees_all_versions(actor) else document.effective_version_id
    version = document.versions.filter(pk=version_id).first()
    text = (version.extracted_text or version.source_text) if version else ""
    if not text.strip():
        raise NoText(f"{document.number} has no extracted text to analyse (yet).")
    parts = prompts.split_for_context(text, paged=bool(version.page_count and version.extracted_text))
    findings, seen, usage, model = [], set(), {}, ""
    for index, part in enumerate(parts, start=1):
        completion = _complete(
            actor=actor,
            endpoint="analyze",
            prompt_hash=_hash(instructions or ""),
            records={"document_id": document.pk, "version": version.version, "part": index},
            messages=prompts.analyze_messages(
                number=document.number, title=document.title, instructions=instructions, part=part, index=index, total=len(parts)
            ),
            json_mode=True,
        )
        model = completion.model
        for key, value in completion.usage.items():
            usage[key] = usage.get(key, 0) + (value or 0)
        for finding in _valid_findings(completion.json()):
            marker = finding["finding"].lower()
            if marker not in seen:
                seen.add(marker)
                findings.append(finding)
    summary_completion = provider.Completion(text="", model=model, usage=usage)
    with transaction.atomic():
        _audit(
            actor=actor,
            action=AuditAction.ANALYZE,
            endpoint="analyze",
            resource_type="document",
            resource_id=document.pk,
            completion=summary_completion,
            prompt_hash=_hash(instructions or ""),
            records={"document_id": document.pk, "version": version.version, "parts": len(parts), "findings": len(findings)},
            summary=(
                f"{actor.display_name} analysed {document.number} v{version.version} with the AI assistant "
                f"({len(findings)} findings)"
            ),
        )
    return AnalyzeOutcome(document=document, version=version.version, findings=findings, model=model, parts=len(parts))


def _valid_findings(answer: dict) -> list[dict]:
    raw = answer.get("findings")
    if not isinstance(raw, list):
        raise provider.AIUnavailable("The AI provider's answer had no findings list.", error_code=ErrorCode.AI_INVALID_ANSWER)
    out = []
    for item in raw:
        if not isinstance(item, dict) or not str(item.get("finding") or "").strip():
            continue
        severity = str(item.get("severity") or "").lower()
        location = item.get("location") if isinstance(item.get("location"), dict) else {}
        page = location.get("page")
        out.append(
            {
                "finding": str(item["finding"]).strip()[:2000],
                "severity": severity if severity in SEVERITIES else "medium",
                "location": {
                    "page": page if isinstance(page, int) and page > 0 else None,
                    "section": str(location.get("section") or "")[:200],
                },
                "excerpt": str(item.get("excerpt") or "")[:1000],
            }
        )
    return out
