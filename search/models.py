"""The search index kept in SQL: one row per indexed chunk of text (the keyword index, and the map
from vector ids in Chroma back to records), and one row per indexed record (its indexing state).

Vectors live in Chroma (one collection per record type), keyed by `SearchChunk.key`.
"""

from django.contrib.postgres.search import SearchVectorField
from django.db import models


class SearchChunk(models.Model):
    resource_type = models.CharField(max_length=50)
    resource_id = models.BigIntegerField()
    # What part of the record the chunk comes from, e.g. a document version id (0: the record itself).
    variant = models.BigIntegerField(default=0)
    position = models.PositiveIntegerField()
    key = models.CharField(max_length=120, unique=True, help_text="The vector's id in Chroma")
    text = models.TextField()
    page = models.PositiveIntegerField(null=True, blank=True)
    content_hash = models.CharField(max_length=64)
    embedded = models.BooleanField(default=False, help_text="Its vector is in the vector store")
    # PostgreSQL full-text vector (GIN-indexed there); unused on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["resource_type", "resource_id"], name="search_chunk_record"),
            # Visibility conditions select chunks by variant (e.g. the document versions a user may read).
            models.Index(fields=["resource_type", "variant"], name="search_chunk_variant"),
        ]

    def __str__(self) -> str:
        return self.key


class IndexStatus(models.TextChoices):
    INDEXED = "indexed", "Indexed"
    PENDING = "pending", "Waiting for the vector store"
    FAILED = "failed", "Failed"


class IndexedRecord(models.Model):
    """Where indexing of one record stands. `pending`: its text is in the keyword index but its
    vectors are not (yet) in Chroma, e.g. while Chroma is down; a retry or `reindex` completes it."""

    resource_type = models.CharField(max_length=50)
    resource_id = models.BigIntegerField()
    status = models.CharField(max_length=20, choices=IndexStatus.choices, default=IndexStatus.PENDING)
    chunk_count = models.PositiveIntegerField(default=0)
    embedding_model = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    requested_at = models.DateTimeField(help_text="When the record last asked to be (re)indexed")
    indexed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["resource_type", "resource_id"]
        constraints = [models.UniqueConstraint(fields=["resource_type", "resource_id"], name="search_indexed_record_unique")]
        indexes = [models.Index(fields=["resource_type", "status"], name="search_record_status")]

    def __str__(self) -> str:
        return f"{self.resource_type}:{self.resource_id} ({self.status})"
