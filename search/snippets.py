"""Query terms, and the passage of a chunk shown with a hit: HTML-escaped, the matching words
wrapped in <mark>…</mark> (the only markup in a snippet, so it is safe to render as HTML)."""

from __future__ import annotations

import re

from django.utils.html import escape

SNIPPET_CHARS = 240
_TERM = re.compile(r"[^\W_]+", re.UNICODE)
STOPWORDS = frozenset(
    "a an and are as at be by do does for from has have how i in is it of on or that the this to was what when where "
    "which who why with we our you your can should must".split()
)


def terms(query: str) -> list[str]:
    """Distinct lower-case words of the query, without stop words (all words when only stop words)."""
    words = [w.lower() for w in _TERM.findall(query or "")]
    kept = [w for w in words if w not in STOPWORDS] or words
    seen: dict[str, None] = {}
    for word in kept:
        seen.setdefault(word, None)
    return list(seen)


def stem(word: str) -> str:
    """A light suffix-stripper for matching and highlighting ("cleaning" ~ "cleaned" ~ "clean")."""
    for suffix in ("ations", "ation", "ings", "ing", "edly", "ed", "es", "s"):
        if len(word) - len(suffix) >= 4 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _pattern(query_terms: list[str]) -> re.Pattern | None:
    stems = sorted({stem(t) for t in query_terms if t}, key=len, reverse=True)
    if not stems:
        return None
    return re.compile(r"\b(" + "|".join(re.escape(s) for s in stems) + r")\w*", re.IGNORECASE)


def count_matches(text: str, query_terms: list[str]) -> dict[str, int]:
    """How often each query term (by stem) occurs in `text`."""
    lowered = text.lower()
    return {t: len(re.findall(r"\b" + re.escape(stem(t)), lowered)) for t in query_terms}


def snippet(text: str, query_terms: list[str], *, size: int = SNIPPET_CHARS) -> str:
    """About `size` characters of `text` around the densest cluster of query terms, escaped, with
    the terms marked. Without a match: the start of the text."""
    text = " ".join((text or "").split())
    pattern = _pattern(query_terms)
    matches = list(pattern.finditer(text)) if pattern else []
    if matches:
        best_start, best_count = matches[0].start(), 0
        for m in matches:
            count = sum(1 for other in matches if m.start() <= other.start() < m.start() + size)
            if count > best_count:
                best_start, best_count = m.start(), count
        start = max(0, best_start - size // 4)
    else:
        start = 0
    end = min(len(text), start + size)
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + size // 2 else end
    piece = text[start:end]
    out, last = [], 0
    for m in pattern.finditer(piece) if pattern else []:
        out.append(escape(piece[last : m.start()]))
        out.append(f"<mark>{escape(m.group(0))}</mark>")
        last = m.end()
    out.append(escape(piece[last:]))
    return ("…" if start > 0 else "") + "".join(out) + ("…" if end < len(text) else "")
