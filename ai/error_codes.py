"""The `error_code` values the AI assistant answers with."""

from enum import StrEnum


class ErrorCode(StrEnum):
    AI_DISABLED = "AI_DISABLED"  # 503: no OPENAI_API_KEY, or AI_ENABLED=false
    AI_UNAVAILABLE = "AI_UNAVAILABLE"  # 503 (provider error, rate limited upstream) or 504 (no answer in time)
    AI_INVALID_ANSWER = "AI_INVALID_ANSWER"  # 503: the provider's answer was not the JSON asked for
    NO_TEXT = "NO_TEXT"  # 409: the document has no extracted text to analyse
    SUGGESTION_UNAVAILABLE = "SUGGESTION_UNAVAILABLE"  # 503: no AI answer and the search index is unreachable
