"""The actions the AI assistant writes to the audit trail (never with the prompt or answer text)."""

from enum import StrEnum


class AuditAction(StrEnum):
    CHAT = "ai_chat"  # a chat answer (or a failed attempt)
    GENERATE = "ai_generate"  # generated content, possibly saved as a draft document
    ANALYZE = "ai_analyze"  # findings over a document's text
    SUGGEST_SEVERITY = "ai_suggest_severity"  # a deviation severity suggested by the provider (or a failed attempt)
