"""Records of other modules that refer to a record, so that the record's page shows them without
its app importing those modules (e.g. a document's page lists the deviations citing it: documents
never import deviations).

    # deviations/apps.py
    register_related("document", "deviations", deviations_citing_document)

A provider is `provider(record, user) -> [{"kind", "number", "title", "url", "status", "reason"}]`,
the rows `user` may see, in a fixed number of queries. The page includes
"workflows/includes/related_records.html" with `rows=related_records("document", document, user)`.
"""

from __future__ import annotations

from collections.abc import Callable

Provider = Callable[..., list[dict]]

_PROVIDERS: dict[str, dict[str, Provider]] = {}


def register_related(resource_type: str, name: str, provider: Provider) -> None:
    """Adds (or replaces) the provider `name` of records referring to records of `resource_type`."""
    _PROVIDERS.setdefault(resource_type, {})[name] = provider


def unregister_related(resource_type: str, name: str) -> None:
    _PROVIDERS.get(resource_type, {}).pop(name, None)


def related_records(resource_type: str, record, user) -> list[dict]:
    """Every registered provider's rows for the record, in registration order."""
    return [row for provider in _PROVIDERS.get(resource_type, {}).values() for row in provider(record, user)]
