"""Vector leg: unit-length embeddings in FAISS inner-product indexes, with an id mapping and filter columns.

The index is a list of immutable segments (as in Lucene) plus a set of deleted rows. A build writes one segment;
an update adds a segment for the new rows and marks replaced or removed rows deleted, so the big segments are
never rewritten: a new generation hard-links their files. Small segments are merged when there are too many,
and everything is merged when too many rows are deleted.

A segment of ANN_MIN_ROWS rows or more answers unfiltered searches from an HNSW graph (measured: recall@10 against
exact search at or above 0.99); smaller segments are searched exactly (IndexFlatIP). A filter that leaves few
rows of a segment is searched exactly over those rows only, so a one-ticker filter loses no recall; a broad one
over-fetches and falls back to the exact subset when too few rows survive."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from .filters import INTEGER, normalized
from .generations import link_tree

SUBSET_FRACTION = 0.25      # a filter leaving fewer rows than this share is searched exactly over its rows
ANN_MIN_ROWS = 50_000       # a segment this big answers unfiltered searches from an HNSW graph
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 200, 256
MAX_SEGMENTS = 8            # more segments than this: the small ones are merged into one
MAX_DELETED = 0.25          # a larger share of deleted rows: every segment is merged into one


def _faiss():
    try:
        import faiss
    except ImportError:
        raise RuntimeError("faiss is not installed: pip install faiss-cpu (see requirements.txt)") from None
    return faiss


def _columns(meta: Sequence[Mapping], filter_fields: Mapping[str, str]):
    columns, vocab = {}, {}
    for name, kind in filter_fields.items():
        values = [m.get(name) for m in meta]
        if kind == INTEGER:
            columns[name] = np.array([v if v is not None else -1 for v in values], dtype=np.int32)
        else:
            words = sorted({str(v).lower() for v in values if v is not None})
            code = {w: i for i, w in enumerate(words)}
            columns[name] = np.array([code[str(v).lower()] if v is not None else -1 for v in values], dtype=np.int32)
            vocab[name] = words
    return columns, vocab


class Segment:
    """One immutable FAISS index with its ids and filter columns, saved in its own folder."""

    def __init__(self, name: str, ids: np.ndarray, vectors: np.ndarray, columns: Mapping[str, np.ndarray],
                 vocab: Mapping[str, list[str]], filter_fields: Mapping[str, str], index=None, folder: Path | None = None):
        self.name, self.ids, self.vectors = name, ids, vectors
        self.columns = dict(columns)
        self.vocab_list = {k: list(v) for k, v in vocab.items()}
        self.vocab = {k: {v: i for i, v in enumerate(vs)} for k, vs in vocab.items()}
        self.filter_fields = dict(filter_fields)
        self.index = index if index is not None else self._faiss_index(vectors)
        self.folder = folder            # where it is saved, once it is

    @staticmethod
    def _faiss_index(vectors: np.ndarray):
        faiss = _faiss()
        if len(vectors) >= ANN_MIN_ROWS:
            index = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            index.add(vectors)
        return index

    @classmethod
    def build(cls, name, ids, vectors, meta, filter_fields) -> "Segment":
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(ids) != len(vectors) or len(meta) != len(ids):
            raise ValueError("ids, vectors and metadata must have one row each")
        columns, vocab = _columns(meta, filter_fields)
        return cls(name, np.array(list(ids), dtype=object), vectors, columns, vocab, filter_fields)

    @property
    def kind(self) -> str:
        return "hnsw" if "HNSW" in type(self.index).__name__ else "exact"

    def __len__(self) -> int:
        return len(self.ids)

    def rows_meta(self, rows: np.ndarray) -> list[dict]:
        """The filter values of some rows, as build() takes them (for merging)."""
        out = [{} for _ in rows]
        for name, col in self.columns.items():
            vals = col[rows]
            for m, v in zip(out, vals):
                if v >= 0:
                    m[name] = int(v) if self.filter_fields[name] == INTEGER else self.vocab_list[name][v]
        return out

    def save(self, folder: Path) -> None:
        faiss = _faiss()
        folder.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self.index, str(folder / "vectors.faiss"))
        # write_index does not report a failed write or close: read the file back before anyone relies on it.
        back = faiss.read_index(str(folder / "vectors.faiss"))
        if back.ntotal != self.index.ntotal or back.d != self.index.d:
            raise OSError(f"the vector index file was not written whole ({back.ntotal} of {self.index.ntotal} rows)")
        np.savez(folder / "columns.npz", **self.columns)
        (folder / "ids.json").write_text(json.dumps({"ids": list(self.ids), "vocab": self.vocab_list,
                                                     "fields": self.filter_fields}))
        self.folder = folder

    @classmethod
    def load(cls, folder: Path) -> "Segment":
        faiss = _faiss()
        index = faiss.read_index(str(folder / "vectors.faiss"))
        meta = json.loads((folder / "ids.json").read_text())
        with np.load(folder / "columns.npz") as z:
            columns = {k: z[k] for k in z.files}
        n, d = index.ntotal, index.d
        if len(meta["ids"]) != n:
            raise ValueError(f"{folder.name}: {len(meta['ids'])} ids for {n} vectors")
        if "HNSW" in type(index).__name__:
            index.hnsw.efSearch = HNSW_EF_SEARCH
            flat = faiss.downcast_index(index.storage)
        else:
            flat = index
        vectors = faiss.rev_swig_ptr(flat.get_xb(), n * d).reshape(n, d) if n else np.zeros((0, d), np.float32)
        return cls(folder.name, np.array(meta["ids"], dtype=object), vectors, columns, meta["vocab"], meta["fields"],
                   index, folder)

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

    def search(self, q: np.ndarray, allowed: np.ndarray | None, limit: int) -> list[tuple[str, float]]:
        """Top rows for q (shape (1, d)) among the allowed ones (None: all)."""
        n = len(self.ids)
        if not n:
            return []
        if allowed is None:
            scores, rows = self.index.search(q, min(limit, n))
            return [(self.ids[r], float(s)) for s, r in zip(scores[0], rows[0]) if r >= 0]
        count = int(allowed.sum())
        if count == 0:
            return []
        if count > SUBSET_FRACTION * n:
            k = min(n, limit * max(4, int(n / count) + 1))
            scores, rows = self.index.search(q, k)
            hits = [(self.ids[r], float(s)) for s, r in zip(scores[0], rows[0]) if r >= 0 and allowed[r]]
            if len(hits) >= min(limit, count):
                return hits[:limit]
        rows = np.flatnonzero(allowed)
        scores = self.vectors[rows] @ q[0]
        top = np.argsort(-scores, kind="stable")[:limit] if len(rows) <= limit else \
            np.argpartition(-scores, limit)[:limit]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[rows[i]], float(scores[i])) for i in top]


class VectorIndex:
    """Segments plus deleted rows; searched as one index."""

    def __init__(self, segments: list[Segment], deleted: Mapping[str, np.ndarray] | None = None,
                 filter_fields: Mapping[str, str] | None = None, next_segment: int | None = None):
        self.segments = list(segments)
        self.deleted = {s.name: np.asarray(deleted[s.name], dtype=bool) for s in self.segments
                        if deleted and s.name in deleted and np.asarray(deleted[s.name]).any()}
        self.filter_fields = dict(filter_fields if filter_fields is not None else
                                  (self.segments[0].filter_fields if self.segments else {}))
        self.next_segment = next_segment or (max((int(s.name.split("-")[1]) for s in self.segments), default=0) + 1)

    @classmethod
    def build(cls, ids: Sequence[str], vectors: np.ndarray, meta: Sequence[Mapping], filter_fields: Mapping[str, str]
              ) -> "VectorIndex":
        return cls([Segment.build("seg-000001", ids, vectors, meta, filter_fields)], filter_fields=filter_fields,
                   next_segment=2)

    def __len__(self) -> int:
        return sum(len(s) for s in self.segments) - sum(int(d.sum()) for d in self.deleted.values())

    @property
    def kind(self) -> str:
        kinds = {s.kind for s in self.segments}
        return "hnsw" if "hnsw" in kinds else "exact"

    def _new_name(self) -> str:
        name = f"seg-{self.next_segment:06d}"
        self.next_segment += 1
        return name

    def updated(self, delete_field: str, delete_values, ids: Sequence[str], vectors: np.ndarray,
                meta: Sequence[Mapping]) -> "VectorIndex":
        """A new index: this one with the rows whose delete_field has one of delete_values marked deleted, plus
        a segment of new rows; then merged if the policy says so. This index is not changed."""
        deleted = dict(self.deleted)
        if delete_values:
            for s in self.segments:
                m = s.mask({delete_field: list(delete_values)})
                if m is not None and m.any():
                    deleted[s.name] = (deleted[s.name] | m) if s.name in deleted else m
        out = VectorIndex(self.segments, deleted, self.filter_fields, self.next_segment)
        if len(ids):
            out.segments.append(Segment.build(out._new_name(), ids, vectors, meta, self.filter_fields))
        return out.merged()

    def merged(self) -> "VectorIndex":
        """Apply the merge policy: all segments into one when over MAX_DELETED of the rows are deleted; the small
        ones into one when there are more than MAX_SEGMENTS."""
        total = sum(len(s) for s in self.segments)
        gone = sum(int(d.sum()) for d in self.deleted.values())
        if total and gone > MAX_DELETED * total:
            return self._merge(self.segments, [])
        if len(self.segments) > MAX_SEGMENTS:
            biggest = max(self.segments, key=len)
            return self._merge([s for s in self.segments if s is not biggest], [biggest])
        return self

    def _merge(self, parts: list[Segment], kept: list[Segment]) -> "VectorIndex":
        ids, vecs, meta = [], [], []
        for s in parts:
            live = np.flatnonzero(~self.deleted[s.name]) if s.name in self.deleted else np.arange(len(s))
            ids.extend(s.ids[live])
            vecs.append(s.vectors[live])
            meta.extend(s.rows_meta(live))
        dim = self.segments[0].vectors.shape[1]
        out = VectorIndex(kept, {k: v for k, v in self.deleted.items() if any(s.name == k for s in kept)},
                          self.filter_fields, self.next_segment)
        if ids:
            out.segments.append(Segment.build(out._new_name(), ids, np.concatenate(vecs) if vecs else
                                              np.zeros((0, dim), np.float32), meta, self.filter_fields))
        return out

    # ---- persistence ---------------------------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write into folder (which must not be live: the caller renames): each segment in its own folder (a
        segment saved before is hard-linked, never rewritten), deleted.npz and segments.json."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for s in self.segments:
            target = folder / s.name
            if s.folder is not None and s.folder.resolve() != target.resolve():
                link_tree(s.folder, target)
            elif s.folder is None:
                s.save(target)
        np.savez(folder / "deleted.npz", **self.deleted)
        (folder / "segments.json").write_text(json.dumps({
            "segments": [{"name": s.name, "rows": len(s), "kind": s.kind} for s in self.segments],
            "next": self.next_segment, "fields": self.filter_fields}))

    @classmethod
    def load(cls, folder: Path) -> "VectorIndex":
        folder = Path(folder)
        spec = json.loads((folder / "segments.json").read_text())
        segments = [Segment.load(folder / s["name"]) for s in spec["segments"]]
        with np.load(folder / "deleted.npz") as z:
            deleted = {k: z[k] for k in z.files}
        for s in segments:
            if s.name in deleted and len(deleted[s.name]) != len(s):
                raise ValueError(f"{s.name}: deleted rows do not match the segment")
        return cls(segments, deleted, spec["fields"], spec["next"])

    # ---- search --------------------------------------------------------------------------------------------------

    def mask(self, filters) -> dict[str, np.ndarray | None]:
        out = {}
        for s in self.segments:
            m = s.mask(filters)
            if s.name in self.deleted:
                m = ~self.deleted[s.name] if m is None else m & ~self.deleted[s.name]
            out[s.name] = m
        return out

    def search(self, query: np.ndarray, filters=None, limit: int = 100) -> list[tuple[str, float]]:
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        masks = self.mask(filters)
        hits = [h for s in self.segments for h in s.search(q, masks[s.name], limit)]
        hits.sort(key=lambda h: -h[1])
        return hits[:limit]
