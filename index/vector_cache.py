"""Embedding cache: vectors keyed by (encoder key, SHA-256 of the exact text embedded), in a SQLite file under
the archive home. A reindex or an experiment embeds only text it has never embedded. The encoder key names the
model and its precision (index.encoders.cache_key): a bf16 encoder stores its vectors under its own key and reads
fp32 vectors of the same model first (they are the reference; bf16 ones are within cosine 0.9998 of them)."""
from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Callable, Sequence

import numpy as np


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class VectorCache:
    def __init__(self, path: Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS vectors (encoder TEXT NOT NULL, key BLOB NOT NULL, "
                        "vector BLOB NOT NULL, PRIMARY KEY (encoder, key)) WITHOUT ROWID")

    def close(self):
        self.db.close()

    def count(self, encoder: str) -> int:
        return self.db.execute("SELECT count(*) FROM vectors WHERE encoder = ?", (encoder,)).fetchone()[0]

    def encoders(self) -> list[str]:
        """The encoder keys the cache holds vectors of."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT encoder FROM vectors ORDER BY encoder")]

    def all_vectors(self, encoder: str) -> np.ndarray:
        """Every cached vector of an encoder, one row each (for benchmarks)."""
        blobs = [r[0] for r in self.db.execute("SELECT vector FROM vectors WHERE encoder = ?", (encoder,))]
        return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1) if blobs else \
            np.zeros((0, 0), np.float32)

    SCAN_SHARE = 0.2        # asked for more than this share of an encoder's vectors: read them all in order

    def get_many(self, encoder: str, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """The cached vectors of these keys. Looking keys up one batch at a time reads the file at random (6 min
        for 1.7 million keys of a 7.9 GB cache, measured); a full build asks for nearly every vector, so past
        SCAN_SHARE of them the encoder's rows are read in one pass in key order instead."""
        if len(keys) > 1000 and len(keys) > self.SCAN_SHARE * self.count(encoder):
            wanted = set(keys)
            return {key: np.frombuffer(blob, dtype=np.float32) for key, blob in
                    self.db.execute("SELECT key, vector FROM vectors WHERE encoder = ?", (encoder,)) if key in wanted}
        found = {}
        for i in range(0, len(keys), 500):
            part = list(keys[i:i + 500])
            q = f"SELECT key, vector FROM vectors WHERE encoder = ? AND key IN ({','.join('?' * len(part))})"
            for key, blob in self.db.execute(q, [encoder, *part]):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, encoder: str, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        self.db.execute("BEGIN")
        self.db.executemany("INSERT OR REPLACE INTO vectors (encoder, key, vector) VALUES (?, ?, ?)",
                            [(encoder, k, np.ascontiguousarray(v, dtype=np.float32).tobytes())
                             for k, v in zip(keys, vectors)])
        self.db.execute("COMMIT")

    def embed(self, encoder, texts: Sequence[str], *, batch_size: int = 64,
              progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Vectors for texts, embedding only those not cached (saved batch by batch, so a killed run resumes)."""
        keys = [text_key(t) for t in texts]
        own = getattr(encoder, "cache_key", encoder.name)
        have = self.get_many(encoder.name, list(dict.fromkeys(keys)))
        if own != encoder.name:
            have.update(self.get_many(own, [k for k in dict.fromkeys(keys) if k not in have]))
        first = {}
        for i, k in enumerate(keys):
            if k not in have:
                first.setdefault(k, i)
        # In the caller's order, but each step sorted by length (similar lengths batch with less padding).
        todo_unique = list(first.values())
        done = 0
        step = max(batch_size * 16, 256)
        for s in range(0, len(todo_unique), step):
            idx = sorted(todo_unique[s:s + step], key=lambda i: -len(texts[i]))
            vecs = encoder.encode([texts[i] for i in idx], batch_size=batch_size)
            self.put_many(own, [keys[i] for i in idx], vecs)
            for i, v in zip(idx, vecs):
                have[keys[i]] = v
            done += len(idx)
            if progress:
                progress(done, len(todo_unique))
        dim = next(iter(have.values())).shape[0] if have else encoder.dim
        out = np.empty((len(texts), dim), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = have[k]
        return out
