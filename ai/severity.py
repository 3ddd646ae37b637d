"""POST /api/deviations/suggest-severity: a severity for a deviation's description, as a suggestion.

Two methods, answered as `method`:

- `llm`: with the AI assistant configured (and the caller holding `ai.use`), the provider is asked
  for a JSON object matching SEVERITY_SCHEMA (structured output). The answer is validated against
  the schema; an invalid answer, or a provider that is down, slow or rate limiting, falls back to
  the next method (the report form never waits on the AI). The call is audited like every AI call
  (model, SHA-256 of the description, token usage; never the text).
- `similar_history`: offline, the weighted k-nearest-neighbour vote of closed deviations in the
  search index (search.deviation_helpers.severity_from_history), with its calibrated confidence.

Sent to the provider: the description only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import jsonschema
from django.db import transaction

from deviations.models import Severity
from qms.errors import DomainError, InvalidInput
from qms.permissions import has, require_any
from search import deviation_helpers, vectorstore
from search.embedding import EmbeddingUnavailable

from . import prompts, provider
from .audit_actions import AuditAction
from .error_codes import ErrorCode
from .services import _audit, _complete, _hash

logger = logging.getLogger("qms.ai")

LLM = "llm"
SIMILAR_HISTORY = "similar_history"
MAX_DESCRIPTION = 5000

SEVERITY_SCHEMA = {
    "name": "severity_suggestion",
    "schema": {
        "type": "object",
        "properties": {
            "severity": {"type": "string", "enum": list(Severity.values)},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "rationale": {"type": "string", "minLength": 1, "maxLength": 1000},
        },
        "required": ["severity", "confidence", "rationale"],
        "additionalProperties": False,
    },
}


class SuggestionUnavailable(DomainError):
    status_code = 503
    error_code = ErrorCode.SUGGESTION_UNAVAILABLE
    default_detail = "No severity can be suggested now: the search index is unreachable and the AI assistant is off."


@dataclass
class SeveritySuggestion:
    severity: str | None
    confidence: float
    rationale: str
    method: str

    def as_dict(self) -> dict:
        return {"severity": self.severity, "confidence": self.confidence, "rationale": self.rationale, "method": self.method}


def suggest_severity(*, actor, description: str) -> SeveritySuggestion:
    """A suggested severity for `description` (for those who report or investigate deviations)."""
    require_any(actor, "deviations.create", "deviations.edit")
    description = " ".join((description or "").split())
    if not description:
        raise InvalidInput("Describe the deviation.", field="description", error_type="value_error.missing")
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"At most {MAX_DESCRIPTION} characters.", field="description", error_type="value_error.any_str.max_length"
        )
    if provider.enabled() and has(actor, "ai.use"):
        suggestion = _from_llm(actor, description)
        if suggestion is not None:
            return suggestion
    return _from_history(actor, description)


def _from_llm(actor, description: str) -> SeveritySuggestion | None:
    """The provider's answer, or None (logged) when it is unavailable or not a valid answer."""
    prompt_hash = _hash(description)
    try:
        completion = _complete(
            actor=actor,
            endpoint="suggest_severity",
            prompt_hash=prompt_hash,
            records={},
            messages=prompts.severity_messages(description=description),
            schema=SEVERITY_SCHEMA,
        )
    except provider.AIUnavailable as exc:
        logger.warning("Severity suggestion falls back to similar history: %s", exc)
        return None
    outcome = "suggested"
    try:
        answer = completion.json()
        jsonschema.validate(answer, SEVERITY_SCHEMA["schema"])
    except (provider.AIUnavailable, jsonschema.ValidationError) as exc:
        logger.warning("Severity suggestion falls back to similar history: invalid answer (%s)", str(exc)[:200])
        answer, outcome = None, "invalid_answer"
    with transaction.atomic():
        _audit(
            actor=actor,
            action=AuditAction.SUGGEST_SEVERITY,
            endpoint="suggest_severity",
            resource_type="ai_call",
            resource_id=None,
            completion=completion,
            prompt_hash=prompt_hash,
            records={"outcome": outcome, **({"severity": answer["severity"]} if answer else {})},
            summary=f"{actor.display_name} asked the AI assistant for a deviation severity"
            + (f" ({answer['severity']})" if answer else " (invalid answer: similar history used)"),
        )
    if answer is None:
        return None
    return SeveritySuggestion(
        severity=answer["severity"],
        confidence=round(float(answer["confidence"]), 2),
        rationale=answer["rationale"].strip(),
        method=LLM,
    )


def _from_history(actor, description: str) -> SeveritySuggestion:
    try:
        vote = deviation_helpers.severity_from_history(description)
    except (vectorstore.VectorStoreUnavailable, EmbeddingUnavailable) as exc:
        logger.warning("No severity suggestion: %s", exc)
        raise SuggestionUnavailable() from exc
    return SeveritySuggestion(
        severity=vote.severity, confidence=vote.confidence, rationale=vote.rationale(actor), method=SIMILAR_HISTORY
    )
