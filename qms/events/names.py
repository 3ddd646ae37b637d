"""Event names: one enum per app, all of them subclasses of `EventName`, collected in one catalogue.

    class DocumentEvent(EventName):
        CREATED = "document.created"

A name is `<resource type>.<what happened>` in lower case (`document.effective`,
`signature.created`). Defining the enum registers its names; `catalogue()` first imports every
installed app's `events` module, so it lists every event that exists (webhook subscriptions are
validated against it).
"""

from __future__ import annotations

import re
from enum import StrEnum

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")

_CATALOGUE: dict[str, EventName] = {}
_discovered = False


class EventName(StrEnum):
    """Base of every app's event enum; its members are the event names."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for member in cls:
            if not NAME_PATTERN.match(member.value):
                raise ValueError(f"Event name {member.value!r} of {cls.__name__} is not '<resource_type>.<event>' in lower case.")
            existing = _CATALOGUE.get(member.value)
            if existing is not None and _origin(type(existing)) != _origin(cls):
                raise ValueError(f"Event name {member.value!r} is declared by {type(existing).__name__} and {cls.__name__}.")
        for member in cls:
            _CATALOGUE[member.value] = member


def _origin(enum_class) -> tuple[str, str]:
    return enum_class.__module__, enum_class.__qualname__


def catalogue() -> dict[str, EventName]:
    """Every event name that exists, sorted, mapped to its enum member."""
    global _discovered
    if not _discovered:
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("events")
        _discovered = True
    return dict(sorted(_CATALOGUE.items()))


def is_known(name: str) -> bool:
    return name in _CATALOGUE or name in catalogue()


def pattern_matches(pattern: str, name: str) -> bool:
    """`*` matches every event, `document.*` every event of documents, anything else itself only."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return name.startswith(pattern[:-1])
    return name == pattern


def check_pattern(pattern: str) -> None:
    """Raises ValueError for a pattern that is neither `*`, `<prefix>.*` nor an event name."""
    if pattern == "*" or (pattern.endswith(".*") and re.match(r"^[a-z][a-z0-9_.]*$", pattern[:-2])):
        return
    if not NAME_PATTERN.match(pattern):
        raise ValueError(f"{pattern!r} is not an event name, '<prefix>.*' or '*'.")
