"""Helpers for tests that need a handler of their own for the duration of a test."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .handlers import register_handler, unregister_handler


@contextmanager
def handler_registered(pattern: str, func: Callable, *, name: str) -> Iterator[None]:
    """Subscribes `func` under `name` inside the block only."""
    register_handler(pattern, func, name=name)
    try:
        yield
    finally:
        unregister_handler(name)
