"""Handlers of events, registered from their app's `AppConfig.ready()`:

    @subscribe(DocumentEvent.VERSION_UPLOADED, name="documents.extract_text")
    def queue_text_extraction(event: OutboxEvent) -> None:
        queue_task(tasks.extract_text, event.data["version_id"])

`name` is stable: each (event, handler name) pair has one delivery row, so renaming a handler
leaves its pending deliveries behind (they fail as "no such handler" and can be redelivered).

Delivery is at least once: a handler may see the same event again (after a crash, a lost claim,
or a redelivery), so it must be idempotent. Each call runs in its own transaction; an exception
rolls back what the handler wrote and the delivery is retried with exponential backoff. Slow work
belongs in a Celery task that the handler queues with `queue_task(...)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.db import transaction

from .names import check_pattern, pattern_matches


@dataclass(frozen=True)
class Handler:
    name: str
    pattern: str
    func: Callable

    def matches(self, event_name: str) -> bool:
        return pattern_matches(self.pattern, event_name)


_HANDLERS: dict[str, Handler] = {}


def register_handler(pattern: str, func: Callable, *, name: str) -> Handler:
    """Registers `func(event)` for events matching `pattern` (an event name, `"document.*"` or `"*"`)."""
    pattern = str(pattern)
    check_pattern(pattern)
    if not name or len(name) > 100:
        raise ValueError("A handler needs a stable name of at most 100 characters.")
    handler = Handler(name=name, pattern=pattern, func=func)
    existing = _HANDLERS.get(name)
    if existing is not None and (existing.pattern != pattern or _origin(existing.func) != _origin(func)):
        raise ValueError(f"An event handler named {name!r} is already registered ({existing.func.__qualname__}).")
    _HANDLERS[name] = handler
    return handler


def _origin(func) -> tuple[str, str]:
    return getattr(func, "__module__", ""), getattr(func, "__qualname__", repr(func))


def subscribe(pattern: str, *, name: str) -> Callable:
    """Decorator form of `register_handler`."""

    def decorate(func: Callable) -> Callable:
        register_handler(pattern, func, name=name)
        return func

    return decorate


def unregister_handler(name: str) -> None:
    _HANDLERS.pop(name, None)


def handlers_for(event_name: str) -> list[Handler]:
    return [h for h in _HANDLERS.values() if h.matches(event_name)]


def get_handler(name: str) -> Handler | None:
    return _HANDLERS.get(name)


def registered_handlers() -> dict[str, Handler]:
    return dict(sorted(_HANDLERS.items()))


def queue_task(task, *args, **kwargs) -> None:
    """Queues a Celery task from a handler. With a broker, a broker error fails the delivery, which
    is then retried; without one (eager), the task runs as soon as the handler's transaction has
    committed, not inside it."""
    if task.app.conf.task_always_eager:
        transaction.on_commit(partial(task.apply_async, args, kwargs))
    else:
        task.apply_async(args, kwargs)
