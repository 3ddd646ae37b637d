"""Canonical JSON and SHA-256: the one rendering that audit hashes and signature hashes are computed over.

Keys sorted, no insignificant whitespace, UTF-8, datetimes as ISO 8601 in UTC. Two equal
structures always give the same bytes, so a hash computed today can be recomputed years later.
"""

import datetime
import decimal
import hashlib
import json
import uuid


def _default(value):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC)
        return value.isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default, allow_nan=False)


def json_safe(value):
    """The value as it will read back from a JSON column (so hashing before and after storing agree)."""
    if value is None:
        return None
    return json.loads(canonical_json(value))


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def utc_iso(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).isoformat()
