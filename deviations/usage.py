"""Whether a form template version is in use, i.e. referenced by records reported with it.

Records that keep the version they were filled in with register a counter, e.g. the deviation
record from its AppConfig.ready():

    from deviations import usage
    usage.register_usage("deviation", usage.references(Deviation, "form_version"))

A version in use is never edited in place (services make a new version instead).
A counter takes a list of version ids and returns {version id: number of references}.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db.models import Count

Counter = Callable[[list[int]], dict[int, int]]

_COUNTERS: dict[str, Counter] = {}


def register_usage(name: str, counter: Counter) -> None:
    """Adds (or replaces) the counter called `name`."""
    _COUNTERS[name] = counter


def unregister_usage(name: str) -> None:
    _COUNTERS.pop(name, None)


def references(model, field_name: str) -> Counter:
    """A counter of the rows of `model` whose foreign key `field_name` points at each version
    (one query per call, whatever the number of versions)."""

    def count(version_ids: list[int]) -> dict[int, int]:
        rows = (
            model._default_manager.filter(**{f"{field_name}__in": version_ids})
            .values(field_name)
            .annotate(n=Count("pk"))
            .values_list(field_name, "n")
        )
        return dict(rows)

    return count


def usage_counts(version_ids: Iterable[int]) -> dict[int, int]:
    """{version id: references from every registered kind of record} (0 when unused)."""
    ids = list(version_ids)
    totals = dict.fromkeys(ids, 0)
    if not ids:
        return totals
    for counter in _COUNTERS.values():
        for version_id, n in counter(ids).items():
            if version_id in totals:
                totals[version_id] += n
    return totals


def usage_count(version) -> int:
    return usage_counts([version.pk])[version.pk]


def in_use(version) -> bool:
    return usage_count(version) > 0
