"""Chroma, the vector store: embedded (a folder, CHROMA_PATH) by default, a Chroma server
(CHROMA_URL) when set. One collection per record type (`qms_<type>`, cosine distance); vectors are
keyed by SearchChunk.key and carry no metadata that search would filter on (filtering happens in
SQL, see search.services). Any failure of Chroma surfaces as VectorStoreUnavailable so callers can
degrade (keyword-only search, indexing retried later).
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlparse

import numpy as np
from django.conf import settings

logger = logging.getLogger("qms.search")

COLLECTION_PREFIX = "qms_"


class VectorStoreUnavailable(Exception):
    pass


_client = None
_client_key = None
_lock = threading.Lock()


def _settings():
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, allow_reset=False)


def client():
    """The process-wide Chroma client for the current CHROMA_URL / CHROMA_PATH."""
    global _client, _client_key
    key = (settings.CHROMA_URL, settings.CHROMA_PATH)
    if _client is not None and _client_key == key:
        return _client
    with _lock:
        if _client is not None and _client_key == key:
            return _client
        try:
            import chromadb

            if settings.CHROMA_URL:
                url = urlparse(settings.CHROMA_URL)
                made = chromadb.HttpClient(
                    host=url.hostname or "localhost",
                    port=url.port or (443 if url.scheme == "https" else 8000),
                    ssl=url.scheme == "https",
                    settings=_settings(),
                )
            else:
                made = chromadb.PersistentClient(path=settings.CHROMA_PATH, settings=_settings())
        except Exception as exc:  # noqa: BLE001 - any client failure means "unavailable"
            raise VectorStoreUnavailable(f"Chroma is unreachable: {exc}") from exc
        _client, _client_key = made, key
        return made


def reset_client() -> None:
    global _client, _client_key
    with _lock:
        _client, _client_key = None, None
        _collections.clear()


def where() -> str:
    return settings.CHROMA_URL or settings.CHROMA_PATH


def collection_name(resource_type: str) -> str:
    return f"{COLLECTION_PREFIX}{resource_type}"


_collections: dict = {}


def _collection(resource_type: str):
    key = (id(client()), resource_type)
    cached = _collections.get(key)
    if cached is not None:
        return cached
    made = client().get_or_create_collection(
        name=collection_name(resource_type),
        configuration={"hnsw": {"space": "cosine"}},
        metadata={"embedding_model": settings.EMBEDDING_MODEL_NAME if settings.EMBEDDING_BACKEND == "local" else ""},
        embedding_function=None,
    )
    _collections[key] = made
    return made


def _guard(what: str, func):
    try:
        return func()
    except VectorStoreUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - Chroma raises many kinds (HTTP, sqlite, value errors)
        logger.warning("Chroma %s failed: %s", what, exc)
        raise VectorStoreUnavailable(f"Chroma {what} failed: {exc}") from exc


def upsert(resource_type: str, keys: list[str], vectors: np.ndarray, metadatas: list[dict]) -> None:
    if not keys:
        return

    def run():
        col = _collection(resource_type)
        batch = 1000
        for start in range(0, len(keys), batch):
            col.upsert(
                ids=keys[start : start + batch],
                embeddings=vectors[start : start + batch],
                metadatas=metadatas[start : start + batch],
            )

    _guard("upsert", run)


def delete(resource_type: str, keys: list[str]) -> None:
    if keys:
        _guard("delete", lambda: _collection(resource_type).delete(ids=list(keys)))


def delete_record(resource_type: str, resource_id: int) -> None:
    """Every vector of a record, including any the SQL side no longer knows about."""
    _guard("delete", lambda: _collection(resource_type).delete(where={"resource_id": int(resource_id)}))


def query(resource_type: str, vector: np.ndarray, n: int, keys: list[str] | None = None) -> list[tuple[str, float]]:
    """The `n` nearest vectors as (key, cosine similarity), best first; only among `keys` when given."""

    def run():
        col = _collection(resource_type)
        kwargs = {"query_embeddings": [vector], "n_results": n, "include": ["distances"]}
        if keys is not None:
            if not keys:
                return []
            kwargs["ids"] = keys
            kwargs["n_results"] = min(n, len(keys))
        result = col.query(**kwargs)
        return [(key, 1.0 - float(distance)) for key, distance in zip(result["ids"][0], result["distances"][0], strict=True)]

    return _guard("query", run)


def get_vectors(resource_type: str, keys: list[str]) -> dict[str, np.ndarray]:
    if not keys:
        return {}

    def run():
        result = _collection(resource_type).get(ids=list(keys), include=["embeddings"])
        return {key: np.asarray(vec, dtype=np.float32) for key, vec in zip(result["ids"], result["embeddings"], strict=True)}

    return _guard("get", run)


def count(resource_type: str) -> int:
    return _guard("count", lambda: _collection(resource_type).count())


def heartbeat() -> bool:
    try:
        client().heartbeat()
    except Exception:  # noqa: BLE001
        return False
    return True


def drop(resource_type: str) -> None:
    """Deletes the collection (reindex --rebuild, tests)."""

    def run():
        _collections.pop((id(client()), resource_type), None)
        try:
            client().delete_collection(collection_name(resource_type))
        except Exception as exc:  # noqa: BLE001
            if "does not exist" not in str(exc).lower() and "not found" not in str(exc).lower():
                raise

    _guard("drop", run)
