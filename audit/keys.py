"""The key that seals the audit trail: HMAC-SHA256 with a key kept outside the database.

`AUDIT_HMAC_KEY` seals new events and checkpoints; `AUDIT_HMAC_OLD_KEYS` (comma-separated) keep
verifying what earlier keys sealed. Every sealed event and checkpoint names its key by a key id:
the first 16 hex digits of HMAC-SHA256(key, "qms-audit-key-id"), a fingerprint that reveals
nothing about the key. Rotating is therefore: move the current key to AUDIT_HMAC_OLD_KEYS, set a
new AUDIT_HMAC_KEY, restart; nothing in the database changes.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

_KEY_ID_LABEL = b"qms-audit-key-id"


class UnknownKey(LookupError):
    """An event or checkpoint names a key that is neither the current nor an old key."""


def key_id_of(key: str) -> str:
    return hmac.new(key.encode("utf-8"), _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def _keys() -> dict[str, bytes]:
    keys = {key_id_of(k): k.encode("utf-8") for k in getattr(settings, "AUDIT_HMAC_OLD_KEYS", []) if k}
    current = settings.AUDIT_HMAC_KEY
    keys[key_id_of(current)] = current.encode("utf-8")
    return keys


def current_key_id() -> str:
    return key_id_of(settings.AUDIT_HMAC_KEY)


def seal(text: str, *, key_id: str | None = None) -> str:
    """HMAC-SHA256 of `text` (hex) with the key named `key_id` (default: the current key)."""
    keys = _keys()
    key_id = key_id or current_key_id()
    try:
        key = keys[key_id]
    except KeyError:
        raise UnknownKey(key_id) from None
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def matches(text: str, mac: str, *, key_id: str) -> bool:
    """Whether `mac` seals `text` with key `key_id` (constant-time comparison)."""
    return hmac.compare_digest(seal(text, key_id=key_id), mac or "")
