"""Choices a select field takes from the records they name, instead of options typed into the form.

A select field with `"options_from": "deviation_categories"` offers the active categories as they
are now (configured in the admin), so adding a category needs no new form version. Sources are
registered by name from an AppConfig.ready():

    register_option_source("deviation_categories", label="Deviation categories (admin)",
                           options=lambda: [{"value": c.name, "label": c.name} for c in ...])

An option's value is what the answer keeps (a name, readable as evidence), like typed options.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class OptionSource:
    name: str
    label: str
    options: Callable[[], list[dict]]


_SOURCES: dict[str, OptionSource] = {}


def register_option_source(name: str, *, label: str, options: Callable[[], list[dict]]) -> None:
    _SOURCES[name] = OptionSource(name=name, label=label, options=options)


def sources() -> dict[str, OptionSource]:
    return dict(_SOURCES)


def is_source(name) -> bool:
    return name in _SOURCES


class CurrentOptions:
    """The current options of each source, read once (one query per source used, however many fields)."""

    def __init__(self):
        self._read: dict[str, list[dict]] = {}

    def of(self, spec: dict) -> list[dict]:
        """The options of a field: its own, or its source's current ones."""
        source = spec.get("options_from")
        if not source:
            return spec.get("options") or []
        if source not in self._read:
            self._read[source] = _SOURCES[source].options() if source in _SOURCES else []
        return self._read[source]

    def resolved(self, spec: dict) -> dict:
        """The field with its options filled in (the field itself when it has its own)."""
        return {**spec, "options": self.of(spec)} if spec.get("options_from") else spec

    def sections(self, sections: list) -> list:
        """A form's sections with every field's current options filled in (for clients and pages)."""
        return [
            {**section, "fields": [self.resolved(spec) for spec in section.get("fields", [])]}
            if isinstance(section, dict)
            else section
            for section in sections
        ]
