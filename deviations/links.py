"""Related items of a deviation: which kinds of records it can be linked to, and the links other
records hold to it ("linked from"), so that a link shows on both records.

Link targets are resolved by the pickers (deviations/pickers.py), for the user who links: only
records they may view can be linked. A CAPA link is in place before the CAPA module exists: until
it registers its picker (`register_picker("capa_picker", CapaPicker())`), linking a CAPA says it is
not available. Another module that keeps its own links to deviations shows them on the deviation's
page by registering a backlink provider (without deviations importing it):

    from deviations.links import register_backlinks
    register_backlinks("capa", lambda deviation, user: [{"type": "capa", "id": ..., "number": ...,
                       "title": ..., "reason": ..., "linked_at": ..., "linked_by": user or None}])

A provider answers in a fixed number of queries, whatever the number of links.

A module that creates records from a deviation offers it on the deviation's page the same way
(`register_raise_action("capa", lambda deviation, user: {"label": "Raise CAPA", "url": ...} or None)`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import pickers


@dataclass(frozen=True)
class LinkType:
    name: str  # the link's target_type
    label: str
    picker_key: str

    @property
    def picker(self) -> pickers.Picker:
        return pickers.picker_for(self.picker_key)

    @property
    def available(self) -> bool:
        return self.picker.available


LINK_TYPES: dict[str, LinkType] = {
    "document": LinkType("document", "Document", "document_picker"),
    "deviation": LinkType("deviation", "Deviation", "deviation_picker"),
    "capa": LinkType("capa", "CAPA", "capa_picker"),
}

Backlinks = Callable[..., list[dict]]
_BACKLINKS: dict[str, Backlinks] = {}


def link_type(name: str) -> LinkType | None:
    return LINK_TYPES.get(name)


def register_backlinks(name: str, provider: Backlinks) -> None:
    """Adds (or replaces) a provider of links other records hold to a deviation."""
    _BACKLINKS[name] = provider


def unregister_backlinks(name: str) -> None:
    _BACKLINKS.pop(name, None)


def backlinks(deviation, user) -> list[dict]:
    rows: list[dict] = []
    for provider in _BACKLINKS.values():
        rows.extend(provider(deviation, user))
    return sorted(rows, key=lambda row: (row["linked_at"], row["type"], row["id"]))


RaiseAction = Callable[..., dict | None]
_RAISE_ACTIONS: dict[str, RaiseAction] = {}


def register_raise_action(name: str, provider: RaiseAction) -> None:
    """Adds (or replaces) a provider of a record another module can raise from a deviation:
    `provider(deviation, user)` -> {"label", "url"} when `user` may raise it now, else None."""
    _RAISE_ACTIONS[name] = provider


def unregister_raise_action(name: str) -> None:
    _RAISE_ACTIONS.pop(name, None)


def raise_actions(deviation, user) -> list[dict]:
    return [action for provider in _RAISE_ACTIONS.values() if (action := provider(deviation, user))]
