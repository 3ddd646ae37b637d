"""The `error_code` values the search app answers with."""

from enum import StrEnum


class ErrorCode(StrEnum):
    SEMANTIC_SEARCH_UNAVAILABLE = "SEMANTIC_SEARCH_UNAVAILABLE"  # 503: similarity needs the vector store, unreachable
