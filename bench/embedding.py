"""Benchmark of the local embedding backend against chromadb's own ONNX embedding function.

Both run the SAME model files (the installed model.onnx and tokenizer.json; chromadb's function is
pointed at a temporary folder holding links to them, so nothing is downloaded) on the SAME texts, in
one run. Prints texts/s of each, the speed-up, and the mean and minimum cosine similarity between
their vectors (goals: speed-up >= 20x, mean cosine >= 0.9999).

    .venv/bin/python bench/embedding.py [--texts 320] [--repeat 3] [--threads 0]
"""

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdef0123456789abcdef")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402

from search.embedding import LocalOnnxBackend, model_files  # noqa: E402

WORDS = (
    "batch contamination filling line cleaning validation deviation operator sanitise nozzle conductivity rinse "
    "label carton leaflet packaging clearance expiry coder record signature approval review quality manual "
    "procedure scope purpose responsibilities temperature humidity particle count environmental monitoring "
    "aseptic gowning hairnet gloves isopropyl alcohol detergent purified water equipment calibration"
).split()


def short_texts(n: int, seed: int = 7, words: tuple[int, int] = (6, 30)) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(*words))) for _ in range(n)]


def linked_model_folder(files) -> Path:
    """A folder laid out as chromadb's function expects (onnx/model.onnx, onnx/tokenizer.json, ...)
    whose files are links to ours: chromadb finds its model present and downloads nothing."""
    folder = Path(tempfile.mkdtemp(prefix="qms-bench-chroma-onnx-"))
    onnx_dir = folder / "onnx"
    onnx_dir.mkdir()
    (onnx_dir / "model.onnx").symlink_to(files.model)
    for name in ("config.json", "special_tokens_map.json", "tokenizer_config.json", "tokenizer.json", "vocab.txt"):
        (onnx_dir / name).symlink_to(files.tokenizer.parent / name)
    return folder


def best_of(repeat: int, fn, texts):
    """The result and the fastest wall time of `repeat` runs (the machine is shared: the minimum is
    the least disturbed measurement, taken the same way for both sides)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(texts)
        best = min(best, time.perf_counter() - start)
    return result, best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=320, help="texts per profile")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side; the fastest counts")
    parser.add_argument("--threads", type=int, default=settings.EMBEDDING_THREADS)
    args = parser.parse_args()
    files = model_files()
    print(f"model file: {files.model} (sha256 verified)")
    for label, words in (("queries and titles, 3-12 words", (3, 12)), ("sentences, 6-30 words", (6, 30))):
        print(f"== {args.texts} texts: {label}; fastest of {args.repeat} runs per side")
        compare(files, short_texts(args.texts, words=words), args)


def compare(files, texts: list[str], args) -> None:

    ours = LocalOnnxBackend(
        files=files, sha256=settings.EMBEDDING_MODEL_SHA256, name="bench", threads=args.threads, batch_size=16
    )
    ours.embed(texts)  # warm-up
    mine, our_seconds = best_of(args.repeat, ours.embed, texts)

    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    ONNXMiniLM_L6_V2.DOWNLOAD_PATH = linked_model_folder(files)
    theirs_fn = ONNXMiniLM_L6_V2(preferred_providers=["CPUExecutionProvider"])
    theirs_fn(texts[:32])  # warm-up (loads the model from the linked files)
    theirs, their_seconds = best_of(args.repeat, theirs_fn, texts)
    theirs = np.array(theirs, dtype=np.float32)

    cosine = (mine * theirs).sum(axis=1) / (np.linalg.norm(mine, axis=1) * np.linalg.norm(theirs, axis=1))
    print(f"  local backend (dynamic padding, batches of 16): {len(texts) / our_seconds:8.1f} texts/s  ({our_seconds:.2f} s)")
    print(f"  chromadb ONNXMiniLM_L6_V2 (pads to 256):        {len(texts) / their_seconds:8.1f} texts/s  ({their_seconds:.2f} s)")
    print(f"  speed-up: {their_seconds / our_seconds:.1f}x (goal >= 20x)")
    print(f"  cosine between the two: mean {cosine.mean():.6f}, min {cosine.min():.6f} (goal mean >= 0.9999)")


if __name__ == "__main__":
    main()
