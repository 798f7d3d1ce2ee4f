"""Vector leg: unit-length embeddings in a FAISS inner-product index with an id mapping and filter columns.
Exact search by default (IndexFlatIP). A filter that leaves few rows is searched exactly over those rows only,
so a one-ticker filter loses no recall; a broad one over-fetches from FAISS and falls back to the exact subset
when too few rows survive."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from .filters import INTEGER, normalized

SUBSET_FRACTION = 0.25      # a filter leaving fewer rows than this share is searched exactly over its rows
ANN_MIN_ROWS = None         # from this many rows on, an HNSW graph answers unfiltered searches (None: always exact)
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 80, 128


def _faiss():
    try:
        import faiss
    except ImportError:
        raise RuntimeError("faiss is not installed: pip install faiss-cpu (see requirements.txt)") from None
    return faiss


class VectorIndex:
    def __init__(self, ids: np.ndarray, vectors: np.ndarray, columns: Mapping[str, np.ndarray],
                 vocab: Mapping[str, list[str]], filter_fields: Mapping[str, str], index=None):
        self.ids = ids
        self.vectors = vectors
        self.columns = dict(columns)
        self.vocab = {k: {v: i for i, v in enumerate(vs)} for k, vs in vocab.items()}
        self.vocab_list = {k: list(vs) for k, vs in vocab.items()}
        self.filter_fields = dict(filter_fields)
        self.index = index if index is not None else self._flat(vectors)

    @staticmethod
    def _flat(vectors: np.ndarray):
        faiss = _faiss()
        if ANN_MIN_ROWS is not None and len(vectors) >= ANN_MIN_ROWS:
            index = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            index.add(vectors)
        return index

    @property
    def kind(self) -> str:
        return "hnsw" if "HNSW" in type(self.index).__name__ else "exact"

    @classmethod
    def build(cls, ids: Sequence[str], vectors: np.ndarray, meta: Sequence[Mapping], filter_fields: Mapping[str, str]
              ) -> "VectorIndex":
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(ids) != len(vectors) or len(meta) != len(ids):
            raise ValueError("ids, vectors and metadata must have one row each")
        columns, vocab = {}, {}
        for name, kind in filter_fields.items():
            values = [m.get(name) for m in meta]
            if kind == INTEGER:
                columns[name] = np.array([v if v is not None else -1 for v in values], dtype=np.int32)
            else:
                words = sorted({str(v).lower() for v in values if v is not None})
                code = {w: i for i, w in enumerate(words)}
                columns[name] = np.array([code[str(v).lower()] if v is not None else -1 for v in values],
                                         dtype=np.int32)
                vocab[name] = words
        return cls(np.array(list(ids), dtype=object), vectors, columns, vocab, filter_fields)

    def __len__(self) -> int:
        return len(self.ids)

    def updated(self, delete_field: str, delete_values, ids: Sequence[str], vectors: np.ndarray,
                meta: Sequence[Mapping]) -> "VectorIndex":
        """A new index: this one without the rows whose delete_field has one of delete_values, plus new rows.
        This index is not changed."""
        m = self.mask({delete_field: list(delete_values)}) if delete_values else None
        keep = np.flatnonzero(~m) if m is not None else np.arange(len(self.ids))
        vocab = {k: list(v) for k, v in self.vocab_list.items()}
        columns = {}
        for name, kind in self.filter_fields.items():
            values = [row.get(name) for row in meta]
            if kind == INTEGER:
                new = np.array([v if v is not None else -1 for v in values], dtype=np.int32)
            else:
                code = {w: i for i, w in enumerate(vocab[name])}
                for v in values:
                    if v is not None and str(v).lower() not in code:
                        code[str(v).lower()] = len(vocab[name])
                        vocab[name].append(str(v).lower())
                new = np.array([code[str(v).lower()] if v is not None else -1 for v in values], dtype=np.int32)
            columns[name] = np.concatenate([self.columns[name][keep], new])
        dim = self.vectors.shape[1]
        all_vectors = np.ascontiguousarray(np.concatenate(
            [self.vectors[keep], np.asarray(vectors, dtype=np.float32).reshape(-1, dim)]))
        all_ids = np.concatenate([self.ids[keep], np.array(list(ids), dtype=object)])
        return VectorIndex(all_ids, all_vectors, columns, vocab, self.filter_fields)

    # ---- persistence ---------------------------------------------------------------------------------------------

    def save(self, folder: Path) -> list[Path]:
        """Write index.faiss, meta.npz and ids.json into folder (which must not be live: the caller renames)."""
        faiss = _faiss()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self.index, str(folder / "vectors.faiss"))
        # write_index does not report a failed write or close: read the file back before anyone relies on it.
        back = faiss.read_index(str(folder / "vectors.faiss"))
        if back.ntotal != self.index.ntotal or back.d != self.index.d:
            raise OSError(f"the vector index file was not written whole ({back.ntotal} of {self.index.ntotal} rows)")
        np.savez(folder / "columns.npz", **self.columns)
        (folder / "ids.json").write_text(json.dumps({"ids": list(self.ids), "vocab": self.vocab_list,
                                                     "fields": self.filter_fields}))
        return [folder / "vectors.faiss", folder / "columns.npz", folder / "ids.json"]

    @classmethod
    def load(cls, folder: Path) -> "VectorIndex":
        faiss = _faiss()
        folder = Path(folder)
        index = faiss.read_index(str(folder / "vectors.faiss"))
        meta = json.loads((folder / "ids.json").read_text())
        with np.load(folder / "columns.npz") as z:
            columns = {k: z[k] for k in z.files}
        n, d = index.ntotal, index.d
        if "HNSW" in type(index).__name__:
            index.hnsw.efSearch = HNSW_EF_SEARCH
            flat = faiss.downcast_index(index.storage)
        else:
            flat = index
        vectors = faiss.rev_swig_ptr(flat.get_xb(), n * d).reshape(n, d) if n else np.zeros((0, d), np.float32)
        return cls(np.array(meta["ids"], dtype=object), vectors, columns, meta["vocab"], meta["fields"], index)

    # ---- search --------------------------------------------------------------------------------------------------

    def mask(self, filters) -> np.ndarray | None:
        spec = normalized(filters, self.filter_fields)
        if not spec:
            return None
        m = np.ones(len(self.ids), dtype=bool)
        for name, s in spec.items():
            col = self.columns[name]
            if s[0] == "range":
                m &= (col >= s[1]) & (col <= s[2])
            elif self.filter_fields[name] == INTEGER:
                m &= np.isin(col, np.array(s[1], dtype=np.int32))
            else:
                codes = [self.vocab[name][v] for v in s[1] if v in self.vocab[name]]
                m &= np.isin(col, np.array(codes, dtype=np.int32)) if codes else False
        return m

    def search(self, query: np.ndarray, filters=None, limit: int = 100) -> list[tuple[str, float]]:
        if not len(self.ids):
            return []
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        m = self.mask(filters)
        if m is None:
            scores, rows = self.index.search(q, min(limit, len(self.ids)))
            return [(self.ids[r], float(s)) for s, r in zip(scores[0], rows[0]) if r >= 0]
        allowed = int(m.sum())
        if allowed == 0:
            return []
        if allowed > SUBSET_FRACTION * len(self.ids):
            k = min(len(self.ids), limit * max(4, int(len(self.ids) / allowed) + 1))
            scores, rows = self.index.search(q, k)
            hits = [(self.ids[r], float(s)) for s, r in zip(scores[0], rows[0]) if r >= 0 and m[r]]
            if len(hits) >= min(limit, allowed):
                return hits[:limit]
        rows = np.flatnonzero(m)
        scores = self.vectors[rows] @ q[0]
        top = np.argsort(-scores, kind="stable")[:limit] if len(rows) <= limit else \
            np.argpartition(-scores, limit)[:limit]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[rows[i]], float(scores[i])) for i in top]
