"""Checkpoints of the audit chain, kept outside the database.

A checkpoint states "the chain had N events and its head hash was H at time T", signed with the
audit key (HMAC-SHA256, AUDIT_HMAC_KEY). `manage.py audit_checkpoint` (and the beat job) appends
one JSON line per checkpoint to `AUDIT_CHECKPOINT_DIR/checkpoints-YYYY-MM.jsonl`, a file opened
only for appending (make it append-only at the file system or ship it to WORM storage). Each
checkpoint also carries the signature of the one before it, and is itself recorded in the audit
trail (action `checkpoint`). Verification then reports:

- a truncated tail: a checkpoint names a sequence the chain no longer reaches;
- a re-hashed history: the event at a checkpoint's sequence has another hash;
- a deleted or altered checkpoint: a line whose signature does not verify, a gap in the chain of
  checkpoints, or a checkpoint the audit trail records but the store no longer holds.

Every audit export carries a signed statement of the same kind (`statement()`), so the copy an
inspector takes away can be checked against the database later.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from . import keys
from .canonical import canonical_json, utc_iso

FILE_PATTERN = "checkpoints-*.jsonl"


class CheckpointStoreError(Exception):
    """The checkpoint store is not configured or cannot be written."""


@dataclass(frozen=True)
class Checkpoint:
    number: int
    sequence: int
    head_hash: str
    created_at: str
    key_id: str
    previous_signature: str
    signature: str
    source: str = ""

    def payload(self) -> dict:
        body = asdict(self)
        body.pop("signature")
        body.pop("source")
        return body

    def signature_valid(self) -> bool:
        try:
            return keys.matches(canonical_json(self.payload()), self.signature, key_id=self.key_id)
        except keys.UnknownKey:
            return False

    def as_dict(self) -> dict:
        body = asdict(self)
        body.pop("source")
        return body


def store_dir() -> Path | None:
    configured = getattr(settings, "AUDIT_CHECKPOINT_DIR", "")
    return Path(configured) if configured else None


def read_all() -> tuple[list[Checkpoint], list[str]]:
    """Every checkpoint in the store, oldest first, and the problems found reading it."""
    directory = store_dir()
    if directory is None or not directory.is_dir():
        return [], []
    checkpoints, problems = [], []
    for path in sorted(directory.glob(FILE_PATTERN)):
        for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path.name} line {line_number}"
            try:
                data = json.loads(line)
                checkpoint = Checkpoint(
                    number=int(data["number"]),
                    sequence=int(data["sequence"]),
                    head_hash=str(data["head_hash"]),
                    created_at=str(data["created_at"]),
                    key_id=str(data["key_id"]),
                    previous_signature=str(data["previous_signature"]),
                    signature=str(data["signature"]),
                    source=where,
                )
            except (ValueError, KeyError, TypeError):
                problems.append(f"checkpoint store: {where} is not a checkpoint (the file was altered)")
                continue
            checkpoints.append(checkpoint)
    return checkpoints, problems


def check_store(checkpoints: list[Checkpoint]) -> list[str]:
    """Problems within the store itself: bad signatures, gaps or reordering in the checkpoint chain."""
    problems = []
    previous = None
    for checkpoint in checkpoints:
        if not checkpoint.signature_valid():
            problems.append(
                f"checkpoint {checkpoint.number} ({checkpoint.source}) is not signed with an audit key (altered or forged)"
            )
        elif previous is not None and (
            checkpoint.number != previous.number + 1 or checkpoint.previous_signature != previous.signature
        ):
            problems.append(
                f"checkpoint {checkpoint.number} ({checkpoint.source}) does not follow checkpoint {previous.number}: "
                "checkpoints were removed from the store"
            )
        previous = checkpoint
    return problems


def new_checkpoint(*, sequence: int, head_hash: str, previous: Checkpoint | None) -> Checkpoint:
    payload = {
        "number": previous.number + 1 if previous else 1,
        "sequence": sequence,
        "head_hash": head_hash,
        "created_at": utc_iso(timezone.now()),
        "key_id": keys.current_key_id(),
        "previous_signature": previous.signature if previous else "",
    }
    return Checkpoint(**payload, signature=keys.seal(canonical_json(payload)))


@contextmanager
def locked() -> Iterator[None]:
    """Holds the store's lock file, so that two writers (the beat job and an operator) cannot both
    number their checkpoint after the same predecessor."""
    directory = store_dir()
    if directory is None:
        raise CheckpointStoreError("AUDIT_CHECKPOINT_DIR is not set: checkpoints have nowhere to go.")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(directory / ".lock", os.O_WRONLY | os.O_CREAT, 0o640)
    except OSError as exc:
        raise CheckpointStoreError(f"Cannot use the checkpoint store {directory}: {exc}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def append(checkpoint: Checkpoint) -> Path:
    """Appends the checkpoint as one line to this month's file (created if missing) and syncs it to disk."""
    directory = store_dir()
    if directory is None:
        raise CheckpointStoreError("AUDIT_CHECKPOINT_DIR is not set: checkpoints have nowhere to go.")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"checkpoints-{timezone.now():%Y-%m}.jsonl"
        line = json.dumps(checkpoint.as_dict(), sort_keys=True) + "\n"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise CheckpointStoreError(f"Cannot write the checkpoint to {directory}: {exc}") from exc
    return path


def statement(*, sequence: int, head_hash: str) -> dict:
    """A signed statement of the chain head for an export: sequence, head hash, time, key id, signature."""
    payload = {
        "sequence": sequence,
        "head_hash": head_hash,
        "created_at": utc_iso(timezone.now()),
        "key_id": keys.current_key_id(),
    }
    return {**payload, "signature": keys.seal(canonical_json(payload))}


def statement_valid(data: dict) -> bool:
    """Whether an export's statement was signed with one of the audit keys."""
    payload = {k: data.get(k) for k in ("sequence", "head_hash", "created_at", "key_id")}
    try:
        return keys.matches(canonical_json(payload), data.get("signature", ""), key_id=str(data.get("key_id")))
    except keys.UnknownKey:
        return False
