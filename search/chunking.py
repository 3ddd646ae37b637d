"""Splitting text into overlapping chunks for embedding and keyword search.

A chunk is about CHUNK_WORDS words (≈ 230 model tokens of English, under the 256-token limit of
all-MiniLM-L6-v2) and repeats the last OVERLAP_WORDS words of the chunk before it, so a passage cut
at a boundary is still found whole in one of the two. Text with form feeds (PDF extraction puts
one between pages) is split page by page and each chunk keeps its page number.
"""

from __future__ import annotations

import re

CHUNK_WORDS = 180
OVERLAP_WORDS = 40
_WORD = re.compile(r"\S+")


def split(text: str, *, paged: bool = False, first_page: int | None = None) -> list[tuple[str, int | None]]:
    """[(chunk text, page or None)] for `text`."""
    if not text or not text.strip():
        return []
    if paged and "\f" in text:
        out = []
        for number, page_text in enumerate(text.split("\f"), start=first_page or 1):
            out.extend((chunk, number) for chunk in _windows(page_text))
        return out
    page = (first_page or 1) if paged else first_page
    return [(chunk, page) for chunk in _windows(text)]


def _windows(text: str) -> list[str]:
    spans = [m.span() for m in _WORD.finditer(text)]
    if not spans:
        return []
    out, start = [], 0
    step = CHUNK_WORDS - OVERLAP_WORDS
    while True:
        end = min(start + CHUNK_WORDS, len(spans))
        out.append(text[spans[start][0] : spans[end - 1][1]])
        if end >= len(spans):
            return out
        start += step
