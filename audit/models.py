"""The append-only audit trail (hash-chained events) and electronic signatures.

Neither model has a cascading foreign key to the records it describes: an audit event stores the
actor's id as a plain integer with a snapshot of their username and full name, and the record as
(resource_type, resource_id). Deleting anything else never deletes its history.
"""

import datetime

from django.conf import settings
from django.db import models

from . import keys
from .canonical import canonical_json, sha256_hex, utc_iso

GENESIS_HASH = "0" * 64
# How an event's hash is computed. 1: SHA-256 over the previous hash and the event (events written
# before the chain was keyed; they keep verifying as they are). 2: HMAC-SHA256 with AUDIT_HMAC_KEY
# over the previous hash and the event including its subject, hash version and key id.
LEGACY_HASH_VERSION = 1
KEYED_HASH_VERSION = 2


class ImmutableRecordError(Exception):
    """An attempt to change or delete an append-only record through the ORM."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableRecordError(f"{self.model.__name__} rows are append-only and cannot be updated.")

    def delete(self):
        raise ImmutableRecordError(f"{self.model.__name__} rows are append-only and cannot be deleted.")

    update.queryset_only = True
    delete.queryset_only = True


class AppendOnlyModel(models.Model):
    """Base of another app's records that are written once and never changed or deleted (e.g. training
    completions): the ORM refuses to save an existing row or delete one, one by one or as a queryset.

    Subclassing declares the table append-only in the database as well: add
    `audit.immutability.AppendOnlyTriggers(["<table>", ...])` to the app's migrations (UPDATE,
    DELETE and TRUNCATE are then rejected by triggers), and `manage.py setup_database_roles` gives
    the application role only INSERT and SELECT on it (audit.immutability.append_only_tables).
    """

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRecordError(f"{self._meta.verbose_name_plural.capitalize()} cannot be changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError(f"{self._meta.verbose_name_plural.capitalize()} cannot be deleted.")


class AuditEvent(models.Model):
    """One thing that happened: who, when, what, to which record, old and new values, why.

    `subject_type`/`subject_id` name the root record the event belongs to (a document for its
    versions' events and signatures; the record itself by default), so a record's trail can be
    read, filtered and exported as a whole.

    `hash = HMAC-SHA256(key, previous_hash + canonical JSON of the event)` (hash version 2; events
    of version 1 use plain SHA-256 and do not cover the subject); `sequence` numbers the chain 1, 2,
    3, ... without gaps, in commit order. The database rejects UPDATE, DELETE and TRUNCATE on this
    table (see audit/immutability.py).
    """

    sequence = models.BigIntegerField(unique=True, editable=False)
    timestamp = models.DateTimeField(db_index=True, editable=False)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True, editable=False)
    actor_username = models.CharField(max_length=150, blank=True, editable=False)
    actor_full_name = models.CharField(max_length=200, blank=True, editable=False)
    action = models.CharField(max_length=50, db_index=True, editable=False)
    resource_type = models.CharField(max_length=50, editable=False)
    resource_id = models.BigIntegerField(null=True, blank=True, editable=False)
    subject_type = models.CharField(max_length=50, blank=True, editable=False)
    subject_id = models.BigIntegerField(null=True, blank=True, editable=False)
    summary = models.TextField(editable=False)
    old_values = models.JSONField(null=True, blank=True, editable=False)
    new_values = models.JSONField(null=True, blank=True, editable=False)
    reason = models.TextField(blank=True, editable=False)
    ip_address = models.GenericIPAddressField(null=True, blank=True, editable=False)
    request_id = models.CharField(max_length=128, blank=True, db_index=True, editable=False)
    user_agent = models.CharField(max_length=500, blank=True, editable=False)
    previous_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)
    hash_version = models.PositiveSmallIntegerField(default=LEGACY_HASH_VERSION, editable=False)
    key_id = models.CharField(max_length=16, blank=True, editable=False, help_text="Fingerprint of the key that sealed it")
    context = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="Where the change came from beyond the request, e.g. the import run and row (audit.context)",
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-sequence"]
        indexes = [
            models.Index(fields=["resource_type", "resource_id"], name="audit_event_resource_idx"),
            models.Index(fields=["subject_type", "subject_id"], name="audit_event_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.resource_type}:{self.resource_id} by {self.actor_username or 'system'}"

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            raise ImmutableRecordError("Audit events are append-only and cannot be changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Audit events are append-only and cannot be deleted.")

    def hashed_content(self) -> dict:
        """Every recorded field except the hashes themselves and the database id (version 1 events:
        without subject, hash version and key id, which did not exist when they were written; the
        context only when the event has one)."""
        content = {
            "sequence": self.sequence,
            "timestamp": utc_iso(self.timestamp),
            "actor_id": self.actor_id,
            "actor_username": self.actor_username,
            "actor_full_name": self.actor_full_name,
            "action": self.action,
            "resource_type": self.resource_type,
            "resource_id": self.resource_id,
            "summary": self.summary,
            "old_values": self.old_values,
            "new_values": self.new_values,
            "reason": self.reason,
            "ip_address": self.ip_address,
            "request_id": self.request_id,
            "user_agent": self.user_agent,
        }
        if self.hash_version != LEGACY_HASH_VERSION:
            content.update(
                subject_type=self.subject_type,
                subject_id=self.subject_id,
                hash_version=self.hash_version,
                key_id=self.key_id,
            )
            if self.context is not None:  # sealed when present; events without one hash as before
                content["context"] = self.context
        return content

    def _hash_input(self) -> str:
        return self.previous_hash + canonical_json(self.hashed_content())

    def compute_hash(self) -> str:
        """The event's hash as the application computes it (with the key it names, for version 2)."""
        if self.hash_version == LEGACY_HASH_VERSION:
            return sha256_hex(self._hash_input())
        return keys.seal(self._hash_input(), key_id=self.key_id)

    def hash_matches(self) -> bool:
        """Raises keys.UnknownKey when the event names a key the application does not hold."""
        if self.hash_version == LEGACY_HASH_VERSION:
            return sha256_hex(self._hash_input()) == self.hash
        return keys.matches(self._hash_input(), self.hash, key_id=self.key_id)

    @property
    def actor_display(self) -> str:
        if self.actor_full_name and self.actor_username:
            return f"{self.actor_full_name} ({self.actor_username})"
        return self.actor_username or "system"


class ChainHead(models.Model):
    """The single row holding the end of the hash chain; appends lock it to stay in order."""

    length = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    last_event_id = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"audit chain of {self.length} events"


class SignatureType(models.TextChoices):
    APPROVAL = "approval", "Approval"
    REVIEW = "review", "Review"
    AUTHORSHIP = "authorship", "Authorship"
    RESPONSIBILITY = "responsibility", "Responsibility"
    TRAINING_COMPLETION = "training_completion", "Training completion"
    EFFECTIVENESS = "effectiveness", "Effectiveness"


class Signature(models.Model):
    """An electronic signature (21 CFR 11.50, 11.70, 11.200) on one record.

    `content_hash` is SHA-256 over the canonical JSON of the record's `signature_content()` at
    signing; `signature_hash` binds signer, time, meaning, record and content hash, so the
    signature cannot be copied or re-pointed to another record without verification failing.
    The subject (the root record, e.g. the document of a signed version) follows from the signed
    record and is not part of the binding; the signature's `sign` event in the keyed audit chain
    records it.
    """

    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatures")
    signer_username = models.CharField(max_length=150)
    signer_full_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField(db_index=True)
    signature_type = models.CharField(max_length=30, choices=SignatureType.choices)
    intent = models.TextField()
    reason = models.TextField(blank=True)
    resource_type = models.CharField(max_length=50)
    resource_id = models.BigIntegerField()
    subject_type = models.CharField(max_length=50, blank=True, help_text="The root record (e.g. the document of a version)")
    subject_id = models.BigIntegerField(null=True, blank=True)
    signed_content = models.JSONField(help_text="The canonical content that was signed (its hash is content_hash).")
    content_hash = models.CharField(max_length=64)
    signature_hash = models.CharField(max_length=64, unique=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=128, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at", "-pk"]
        indexes = [
            models.Index(fields=["resource_type", "resource_id"], name="signature_resource_idx"),
            models.Index(fields=["subject_type", "subject_id"], name="signature_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_signature_type_display()} by {self.signer_username} on {self.resource_type}:{self.resource_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRecordError("Signatures cannot be changed once applied.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Signatures cannot be deleted.")

    def hashed_content(self) -> dict:
        return {
            "signer_id": self.signer_id,
            "signer_username": self.signer_username,
            "signer_full_name": self.signer_full_name,
            "signed_at": utc_iso(self.signed_at),
            "signature_type": self.signature_type,
            "intent": self.intent,
            "reason": self.reason,
            "resource_type": self.resource_type,
            "resource_id": self.resource_id,
            "content_hash": self.content_hash,
        }

    def compute_signature_hash(self) -> str:
        return sha256_hex(canonical_json(self.hashed_content()))

    @property
    def printed_name(self) -> str:
        return self.signer_full_name or self.signer_username

    @property
    def meaning(self) -> str:
        return self.get_signature_type_display()

    @property
    def manifestation_text(self) -> str:
        """The §11.50 manifestation: printed name, date and time (with zone), meaning."""
        when = self.signed_at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return (
            f"Electronically signed by {self.printed_name} ({self.signer_username}) on {when}. "
            f"Meaning: {self.meaning} - {self.intent}"
        )
