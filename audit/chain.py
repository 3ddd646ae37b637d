"""The hash chain: appending events at the end of their transaction, and verifying the chain.

Appending. `append(event)` does not touch the chain: it queues the event on the database
connection (qms.db.before_commit). Just before the transaction commits, every queued event of
that transaction is appended in one go: the chain head row is locked, the events get the next
sequence numbers, each is sealed with HMAC-SHA256 over the previous hash and its content, they
are inserted, the head moves, and the transaction commits, releasing the lock. So

- the events are committed atomically with the change they describe (same transaction; a
  rolled-back transaction or savepoint queues nothing that survives);
- the head is locked only from that append to the commit, never while a use case runs: a long
  transaction no longer blocks every other audited write;
- `sequence` is the order in which transactions committed (an event's `timestamp` is when its
  change was made, so timestamps of concurrent transactions may interleave).

Verifying walks the chain in sequence order and reports the first event that does not verify,
then compares the chain with the checkpoints kept outside the database (audit.checkpoints).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import DatabaseError, transaction
from django.db.models import F

from qms.db import before_commit

from . import checkpoints, keys
from .models import GENESIS_HASH, KEYED_HASH_VERSION, LEGACY_HASH_VERSION, AuditEvent, ChainHead

HEAD_PK = 1
CHECKPOINT_ACTION = "checkpoint"


def append(event: AuditEvent) -> None:
    """Queues `event` to be appended to the chain just before the current transaction commits."""
    with transaction.atomic():
        before_commit(_append_queued, item=event)


def _append_queued(events: list[AuditEvent]) -> None:
    head = _lock_head()
    sequence, previous, key_id = head.length, head.last_hash, keys.current_key_id()
    for event in events:
        sequence += 1
        event.sequence, event.previous_hash = sequence, previous
        event.hash_version, event.key_id = KEYED_HASH_VERSION, key_id
        event.hash = previous = event.compute_hash()
    AuditEvent.objects.bulk_create(events)
    last = events[-1]
    ChainHead.objects.filter(pk=HEAD_PK).update(length=last.sequence, last_hash=last.hash, last_event_id=last.pk)


def _lock_head() -> ChainHead:
    """Locks the chain head until the commit and returns it.

    The UPDATE takes the row lock on PostgreSQL and the write lock on SQLite before the head is
    read, so two writers can never read the same head.
    """
    if not ChainHead.objects.filter(pk=HEAD_PK).update(length=F("length")):
        _create_head()
        if not ChainHead.objects.filter(pk=HEAD_PK).update(length=F("length")):
            raise RuntimeError("The audit chain head is missing and could not be created.")
    return ChainHead.objects.get(pk=HEAD_PK)


def _create_head() -> None:
    """The first append (or the first after a test database flush) starts the head at the last event."""
    last = AuditEvent.objects.order_by("-sequence").only("sequence", "hash", "pk").first()
    try:
        with transaction.atomic():
            ChainHead.objects.create(
                pk=HEAD_PK,
                length=last.sequence if last else 0,
                last_hash=last.hash if last else GENESIS_HASH,
                last_event_id=last.pk if last else None,
            )
    except DatabaseError:
        # Another writer created it first (a duplicate key, or the head's guard refusing a head that
        # is no longer the newest); the caller locks the one that exists.
        pass


def head() -> tuple[int, str]:
    """(sequence, hash) of the newest committed event: (0, genesis) for an empty trail."""
    row = ChainHead.objects.filter(pk=HEAD_PK).values_list("length", "last_hash").first()
    if row is not None:
        return row
    last = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
    return last or (0, GENESIS_HASH)


# --- verification ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainVerification:
    valid: bool
    events: int
    first_broken_event: int | None = None
    first_broken_sequence: int | None = None
    problem: str = ""
    checkpoint: dict | None = None
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        out = {"valid": self.valid, "events": self.events, "checkpoint": self.checkpoint}
        if not self.valid:
            out.update(
                first_broken_event=self.first_broken_event,
                first_broken_sequence=self.first_broken_sequence,
                problem=self.problem,
                problems=self.problems or [self.problem],
            )
        return out


def _event_problem(event: AuditEvent, expected_sequence: int, expected_previous: str, keyed_seen: bool) -> str:
    if event.sequence != expected_sequence:
        return f"sequence {event.sequence} follows {expected_sequence - 1}: events are missing"
    if event.previous_hash != expected_previous:
        return "previous_hash does not match the hash of the event before it"
    if event.hash_version == LEGACY_HASH_VERSION and keyed_seen:
        return "an unkeyed (legacy) event follows keyed events: the chain was re-hashed without the audit key"
    try:
        if not event.hash_matches():
            return "hash does not match the event's recorded contents (the row was altered, or re-hashed without the audit key)"
    except keys.UnknownKey:
        return f"the event is sealed with an unknown key {event.key_id!r} (add the old key to AUDIT_HMAC_OLD_KEYS)"
    return ""


def verify(*, chunk_size: int = 2000, since: checkpoints.Checkpoint | None = None) -> ChainVerification:
    """Walks the chain in order (from checkpoint `since`, or from the start), recomputing every hash,
    then checks the chain against the checkpoint store. Stops at the first broken event."""
    stored, store_problems = checkpoints.read_all()
    store_problems += checkpoints.check_store(stored)
    by_sequence = {c.sequence: c for c in stored if c.signature_valid()}
    latest = stored[-1].as_dict() if stored else None

    expected_previous, expected_sequence, count, keyed_seen = GENESIS_HASH, 1, 0, False
    queryset = AuditEvent.objects.order_by("sequence")
    if since is not None:
        anchor = AuditEvent.objects.filter(sequence=since.sequence).first()
        if anchor is None or anchor.hash != since.head_hash:
            return ChainVerification(
                False,
                0,
                getattr(anchor, "pk", None),
                since.sequence,
                f"the event at checkpoint {since.number} (sequence {since.sequence}) is missing or was re-hashed",
                latest,
            )
        expected_previous, expected_sequence = anchor.hash, anchor.sequence + 1
        keyed_seen = anchor.hash_version == KEYED_HASH_VERSION
        queryset = queryset.filter(sequence__gt=since.sequence)
    recorded_checkpoints: list[tuple[AuditEvent, dict]] = []
    for event in queryset.iterator(chunk_size=chunk_size):
        problem = _event_problem(event, expected_sequence, expected_previous, keyed_seen)
        if not problem and event.sequence in by_sequence and by_sequence[event.sequence].head_hash != event.hash:
            checkpoint = by_sequence[event.sequence]
            problem = (
                f"the event differs from checkpoint {checkpoint.number} taken at {checkpoint.created_at}: "
                "the history was rewritten and re-hashed"
            )
        if problem:
            return ChainVerification(False, count, event.pk, event.sequence, problem, latest, [problem, *store_problems])
        if event.action == CHECKPOINT_ACTION and event.resource_type == "audit_trail":
            recorded_checkpoints.append((event, event.new_values or {}))
        keyed_seen = keyed_seen or event.hash_version == KEYED_HASH_VERSION
        expected_previous, expected_sequence, count = event.hash, event.sequence + 1, count + 1

    last_sequence = expected_sequence - 1
    problems = list(store_problems)
    head_row = ChainHead.objects.filter(pk=HEAD_PK).first()
    if head_row is not None and (head_row.length != last_sequence or head_row.last_hash != expected_previous):
        problems.insert(
            0,
            f"the chain head records {head_row.length} events but the chain ends at {last_sequence}: "
            "events at the end were removed",
        )
    beyond = [c for c in stored if c.sequence > last_sequence]
    if beyond:
        problems.insert(
            0,
            f"checkpoint {beyond[0].number} taken at {beyond[0].created_at} covers sequence {beyond[0].sequence} "
            f"but the chain ends at {last_sequence}: events at the end were removed",
        )
    problems += _missing_checkpoints(recorded_checkpoints, stored)
    if problems:
        return ChainVerification(False, count, None, last_sequence + 1, problems[0], latest, problems)
    return ChainVerification(True, count, checkpoint=latest)


def _missing_checkpoints(recorded: list[tuple[AuditEvent, dict]], stored: list[checkpoints.Checkpoint]) -> list[str]:
    """Checkpoints the audit trail says were written that the store no longer holds (or holds altered)."""
    stored_signatures = {c.number: c.signature for c in stored}
    problems = []
    for event, values in recorded:
        number = values.get("number")
        if stored_signatures.get(number) != values.get("signature"):
            where = checkpoints.store_dir() or "(AUDIT_CHECKPOINT_DIR is not set)"
            problems.append(
                f"checkpoint {number}, recorded in the audit trail at sequence {event.sequence}, is missing from "
                f"the checkpoint store {where}: it was deleted or replaced"
            )
    return problems


def latest_checkpoint() -> checkpoints.Checkpoint | None:
    stored, _ = checkpoints.read_all()
    return stored[-1] if stored else None
