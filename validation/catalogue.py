"""The catalogue of requirements (validation/requirements.toml): 21 CFR Part 11, EU GMP Annex 11 and
QMS's functional requirements. Plain Python (no Django), so the pytest plugin can check marker ids
at collection time."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_PATH = Path(__file__).resolve().parent / "requirements.toml"


@dataclass(frozen=True)
class Requirement:
    id: str
    source: str
    title: str
    text: str


class CatalogueError(ValueError):
    pass


def load(path: str | Path | None = None) -> list[Requirement]:
    """The requirements in catalogue order; ids must be unique and every field given."""
    path = Path(path or DEFAULT_PATH)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(f"Cannot read the requirements catalogue {path}: {exc}") from exc
    requirements, seen = [], set()
    for index, entry in enumerate(data.get("requirement", []), start=1):
        missing = [key for key in ("id", "source", "title", "text") if not str(entry.get(key, "")).strip()]
        if missing:
            raise CatalogueError(f"{path}: requirement #{index} lacks {', '.join(missing)}.")
        if entry["id"] in seen:
            raise CatalogueError(f"{path}: requirement {entry['id']!r} is listed twice.")
        seen.add(entry["id"])
        requirements.append(Requirement(entry["id"], entry["source"], entry["title"], " ".join(entry["text"].split())))
    if not requirements:
        raise CatalogueError(f"{path} lists no requirement.")
    return requirements


@lru_cache(maxsize=8)
def known_ids(path: str | None = None) -> frozenset[str]:
    return frozenset(r.id for r in load(path))
