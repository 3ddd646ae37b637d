"""The AI provider: any OpenAI-compatible chat-completions API, through the official `openai` client.

Off unless OPENAI_API_KEY is set (and AI_ENABLED is not false): callers get AIDisabled (503
AI_DISABLED). Each call has a total budget of AI_TIMEOUT_SECONDS: transient failures (connection
errors, timeouts, 429, 5xx) are retried with exponential backoff (honouring Retry-After) up to
AI_MAX_RETRIES times while the budget lasts; then AIUnavailable (503, or 504 after a timeout).
The client's own retries are off so the budget holds.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings

from qms.errors import DomainError

from .error_codes import ErrorCode


class AIDisabled(DomainError):
    status_code = 503
    error_code = ErrorCode.AI_DISABLED
    default_detail = "The AI assistant is not configured (set OPENAI_API_KEY)."


class AIUnavailable(DomainError):
    status_code = 503
    error_code = ErrorCode.AI_UNAVAILABLE
    default_detail = "The AI provider is unavailable; try again later."


class AITimeout(AIUnavailable):
    status_code = 504


def enabled() -> bool:
    return bool(settings.AI_ENABLED and settings.OPENAI_API_KEY)


def require_enabled() -> None:
    if not enabled():
        raise AIDisabled()


_client = None
_client_key = None
_lock = threading.Lock()


def client():
    """The process-wide OpenAI client for the current key and base URL."""
    import openai

    global _client, _client_key
    key = (settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL)
    with _lock:
        if _client is None or _client_key != key:
            _client = openai.OpenAI(
                api_key=settings.OPENAI_API_KEY or "unset",
                base_url=settings.OPENAI_BASE_URL or None,
                max_retries=0,
                timeout=settings.AI_TIMEOUT_SECONDS,
            )
            _client_key = key
        return _client


@dataclass
class Completion:
    text: str
    model: str
    usage: dict = field(default_factory=dict)
    attempts: int = 1

    def json(self) -> dict:
        """The answer as a JSON object (JSON mode), or AIUnavailable when it is not one."""
        try:
            value = json.loads(self.text)
        except (TypeError, ValueError):
            raise AIUnavailable("The AI provider's answer was not valid JSON.", error_code=ErrorCode.AI_INVALID_ANSWER) from None
        if not isinstance(value, dict):
            raise AIUnavailable("The AI provider's answer was not a JSON object.", error_code=ErrorCode.AI_INVALID_ANSWER)
        return value


def _transient(exc) -> bool:
    import openai

    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError, openai.RateLimitError)):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


def _retry_after(exc) -> float | None:
    response = getattr(exc, "response", None)
    raw = response.headers.get("retry-after") if response is not None else None
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def complete(
    messages: list[dict], *, json_mode: bool = False, schema: dict | None = None, temperature: float = 0.2
) -> Completion:
    """One chat completion within the time budget (see module docstring). `json_mode` asks for a JSON
    object; `schema` ({"name", "schema"}) for one matching a JSON schema (structured output)."""
    import openai

    require_enabled()
    deadline = time.monotonic() + settings.AI_TIMEOUT_SECONDS
    attempt = 0
    kwargs = {"model": settings.OPENAI_MODEL, "messages": messages, "temperature": temperature}
    if schema is not None:
        kwargs["response_format"] = {"type": "json_schema", "json_schema": {**schema, "strict": True}}
    elif json_mode:
        kwargs["response_format"] = {"type": "json_object"}
    while True:
        attempt += 1
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AITimeout("The AI provider did not answer in time.")
        try:
            response = client().with_options(timeout=remaining).chat.completions.create(**kwargs)
        except openai.OpenAIError as exc:
            wait = _retry_after(exc) or 0.5 * 2 ** (attempt - 1)
            if _transient(exc) and attempt <= settings.AI_MAX_RETRIES and time.monotonic() + wait < deadline:
                time.sleep(wait)
                continue
            raise _mapped(exc) from exc
        choice = response.choices[0] if response.choices else None
        text = (choice.message.content or "") if choice else ""
        usage = response.usage.model_dump() if response.usage else {}
        return Completion(text=text, model=response.model or settings.OPENAI_MODEL, usage=_usage(usage), attempts=attempt)


def _usage(raw: dict) -> dict:
    return {k: raw.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens") if raw.get(k) is not None}


def _mapped(exc) -> AIUnavailable:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return AITimeout("The AI provider did not answer in time.")
    if isinstance(exc, openai.RateLimitError):
        return AIUnavailable("The AI provider is rate limiting requests; try again shortly.")
    if isinstance(exc, openai.APIStatusError):
        return AIUnavailable(f"The AI provider answered with an error (HTTP {exc.status_code}).")
    if isinstance(exc, openai.APIConnectionError):
        return AIUnavailable("The AI provider could not be reached.")
    return AIUnavailable(f"The AI provider failed ({type(exc).__name__}).")
