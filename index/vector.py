"""Vector leg: unit-length embeddings in FAISS inner-product indexes, with an id mapping and filter columns.

The index is a list of immutable segments (as in Lucene) plus a set of deleted rows. A build writes one segment;
an update adds a segment for the new rows and marks replaced or removed rows deleted, so the big segments are
never rewritten: a new generation hard-links their files. Small segments are merged when there are too many,
and everything is merged when too many rows are deleted.

Segments below ANN_MIN_ROWS rows are searched exactly (IndexFlatIP). From IVF_MIN_ROWS (the same 50,000) a
segment is an inverted file ("ivf"): 2^round(log2(sqrt(n) / 2)) spherical k-means lists (512 at 1.7M rows) of
4-bit product-quantized codes (two dimensions a code, 96 bytes a vector, searched by faiss's SIMD fast scan); a
search scans half of the lists and re-ranks the best max(10 x limit, 100) candidates by their exact float32
scores. Its floats live beside the index in vectors.npy and are memory-mapped (np.load(mmap_mode="r")): the
process holds only the codes, the OS caches the pages it reads (and may evict them), loading is instant, and
generations that hard-link the file share its pages. Chosen by measurement (scripts/bench_ann.py, the dev
queries embedded by the real model, one thread, limit 100; docs/scale.md), at 1.68M rows (the corpus'
168,297 vectors and 9 noisy copies of each):

- IVF-PQ4 (512 lists, 256 scanned): the index built in 20 s (the whole VectorIndex.build 30 s, save 10 s),
  recall@10 against exact 0.9995 (0.995 with a filter of half the rows), recall@100 0.997, p50 9-10 ms (11-14
  ms filtered); 170 MB of codes in RAM plus the 2.5 GB float file, mapped (the process: 390 MB anonymous).
- IVF-SQ8 of the same recall scans 3x slower (15 / 30 ms) with a 630 MB index; HNSW at the old settings
  (M=32, efConstruction=200) takes 152 s for 168k rows and 640 s for the first 1.01M of 1.68M, and even at
  efConstruction=40 (346 s build, 2.9 GB; 441 s over SQ8 codes) reaches only 0.94 at efSearch=512 among the
  near-duplicates; exact search costs 100 ms.
- At 168k rows the IVF segment (256 lists) builds in 5 s against HNSW's 152 s with recall 0.998 at 1.4 ms
  (HNSW: 0.996 at 1.25 ms), at 50k in 2 s (0.992, 0.6 ms) against 36 s: so IVF replaces HNSW from 50,000 rows
  up. HNSW segments of older generations still load and search as before.
- Float16 in RAM would halve the float memory, but its exact scores are not the float32 ones (recall 0.9987 on
  a selective filter) and scoring them costs 9x more (440 ms against 47 ms for 400,000 rows); float32 memory-mapped
  is as fast as in RAM once its pages are cached.

Filtered search never loses recall: a filter that leaves fewer than SUBSET_FRACTION of a segment's rows is
searched exactly over those rows (scored in place, faiss's fvec_inner_products_by_idx: 47 ms for 400,000 rows
of 1.68M), so a one-ticker filter gets the exact answer; a broader one is searched by the IVF scan restricted to
the filter's rows (an IDSelectorBitmap; HNSW and exact segments over-fetch), falling back to the exact subset
when too few rows are found.

Threads: single-query searches run in the calling thread (faiss parallelizes over queries), so concurrent
searches from the server's threads neither share nor oversubscribe an OpenMP pool; a build uses every core for
k-means and adding rows, and trains the PQ codes in one thread (omp_set_num_threads is per calling thread and is
restored)."""
from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from .filters import INTEGER, normalized
from .generations import link_tree

SUBSET_FRACTION = 0.25      # a filter leaving fewer rows than this share is searched exactly over its rows
ANN_MIN_ROWS = 50_000       # a segment this big is searched approximately (smaller ones: exactly)
IVF_MIN_ROWS = ANN_MIN_ROWS  # ... by an IVF index from this size (between the two: HNSW; measured: no such range)
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 200, 256
IVF_CODES = "PQ{m}x4fs"     # the IVF codes (a faiss factory suffix): 4-bit product quantization, fast scan, ...
IVF_PQ_DIMS = 2             # ... of this many dimensions a code (m = d / 2: 192 codes, 96 bytes, at 384 dims)
IVF_LISTS_PER_SQRT = 0.5    # lists of an IVF segment: the power of two nearest this times the square root of its rows
IVF_MIN_LISTS = 64
IVF_PROBE_SHARE = 1 / 2     # share of the lists an IVF search scans
IVF_TRAIN_PER_LIST = 64     # k-means is trained on this many sampled rows per list
IVF_NITER = 10              # k-means iterations
RERANK_FACTOR, RERANK_MIN = 10, 100  # an IVF search re-ranks max(RERANK_FACTOR * limit, RERANK_MIN) candidates
EXACT_BLOCK = 16_384        # rows copied at a time where an exact search cannot score them in place
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
        self._rows: dict[str, int] | None = None

    @staticmethod
    def _faiss_index(vectors: np.ndarray):
        faiss = _faiss()
        n, d = vectors.shape
        if n >= IVF_MIN_ROWS:
            return _ivf_index(vectors)
        if n >= ANN_MIN_ROWS:
            index = faiss.IndexHNSWFlat(d, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            index = faiss.IndexFlatIP(d)
        if n:
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
        return _kind(self.index)

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
        del back
        if self.kind == "ivf":              # its index holds codes, not floats: they go beside it, memory-mapped
            np.save(folder / "vectors.npy", np.ascontiguousarray(self.vectors, dtype=np.float32))
            back = np.load(folder / "vectors.npy", mmap_mode="r")
            if back.shape != self.vectors.shape or back.dtype != np.float32:
                raise OSError(f"the vector file was not written whole ({back.shape} of {self.vectors.shape})")
            del back
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
        kind = _kind(index)
        if kind == "ivf":
            index.nprobe = ivf_probes(index.nlist)
            # Memory-mapped: the pages are the OS's to evict, and generations that hard-link the file share them.
            vectors = np.load(folder / "vectors.npy", mmap_mode="r")
            if vectors.shape != (n, d) or vectors.dtype != np.float32:
                raise ValueError(f"{folder.name}: {vectors.shape} {vectors.dtype} floats for {n} vectors of {d}")
        else:
            if kind == "hnsw":
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
            return self._hits(*self._ann(q, min(limit, n)))
        count = int(allowed.sum())
        if count == 0:
            return []
        if count > SUBSET_FRACTION * n:
            if self.kind == "ivf":          # the IVF scan skips rows outside the filter: no over-fetching
                scores, rows = self._ann(q, min(limit, count), allowed)
            else:
                scores, rows = self._ann(q, min(n, limit * max(4, int(n / count) + 1)))
                keep = allowed[rows]
                scores, rows = scores[keep], rows[keep]
            if len(rows) >= min(limit, count):
                return self._hits(scores[:limit], rows[:limit])
        rows = np.flatnonzero(allowed)
        scores = self._scores(q, rows)
        top = np.argsort(-scores, kind="stable")[:limit] if len(rows) <= limit else \
            np.argpartition(-scores, limit)[:limit]
        top = top[np.argsort(-scores[top], kind="stable")]
        return self._hits(scores[top], rows[top])

    def rows_of(self, ids: Sequence[str]) -> dict[str, int]:
        """The row of each id this segment holds (the id -> row map is built on first use)."""
        where = self._rows
        if where is None:
            where = self._rows = {x: i for i, x in enumerate(self.ids)}
        return {x: where[x] for x in ids if x in where}

    def _hits(self, scores: np.ndarray, rows: np.ndarray) -> list[tuple[str, float]]:
        return [(self.ids[r], float(s)) for s, r in zip(scores, rows)]

    def _scores(self, q: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact scores of some rows, read in place (faiss, no gathered copy: 3-4x faster than numpy's
        vectors[rows] @ q at 400,000 rows of a memory-mapped file; ascending rows read it in order)."""
        out = np.empty(len(rows), dtype=np.float32)
        v = self.vectors
        if not len(rows):
            return out
        if v.dtype == np.float32 and v.flags.c_contiguous and q.dtype == np.float32 and q.flags.c_contiguous:
            faiss = _faiss()
            rows = np.ascontiguousarray(rows, dtype=np.int64)
            faiss.fvec_inner_products_by_idx(faiss.swig_ptr(out), faiss.swig_ptr(q), faiss.swig_ptr(v),
                                             faiss.swig_ptr(rows), v.shape[1], 1, len(rows))
            return out
        for i in range(0, len(rows), EXACT_BLOCK):     # blocks bound the temporary copy
            part = rows[i:i + EXACT_BLOCK]
            out[i:i + len(part)] = v[part] @ q[0]
        return out

    def _ann(self, q: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the index's top k, best first (fewer where it finds fewer). An IVF segment fetches
        more candidates from its codes, only of allowed rows (None: all), and re-ranks them by their floats."""
        if self.kind != "ivf":
            scores, rows = self.index.search(q, k)
            found = rows[0] >= 0
            return scores[0][found], rows[0][found]
        faiss = _faiss()
        params = faiss.SearchParametersIVF(nprobe=self.index.nprobe)
        if allowed is not None:
            bitmap = np.packbits(allowed, bitorder="little")        # kept alive until the search is done
            params.sel = faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap))
        _, rows = self.index.search(q, min(len(self.ids), max(RERANK_FACTOR * k, RERANK_MIN)), params=params)
        rows = np.sort(rows[0][rows[0] >= 0])
        scores = self._scores(q, rows)
        top = np.argsort(-scores, kind="stable")[:k]
        return scores[top], rows[top]


def _kind(index) -> str:
    name = type(index).__name__
    return "ivf" if "IVF" in name else "hnsw" if "HNSW" in name else "exact"


def ivf_lists(n: int) -> int:
    """Lists of an IVF segment of n rows."""
    return max(IVF_MIN_LISTS, 2 ** int(round(np.log2(max(1.0, IVF_LISTS_PER_SQRT * np.sqrt(n))))))


def ivf_probes(nlist: int) -> int:
    return max(1, min(nlist, int(round(IVF_PROBE_SHARE * nlist))))


def _ivf_index(vectors: np.ndarray, codes: str | None = None, nlist: int | None = None):
    """An inverted-file index (inner product) of compressed codes. Its lists are spherical k-means centroids of a
    fixed sample of the rows (all cores); the codes' quantizer is trained on the same sample in one thread (it is
    thousands of tiny k-means steps, which OpenMP makes slower, many times slower on a busy machine)."""
    faiss = _faiss()
    n, d = vectors.shape
    nlist = nlist or min(ivf_lists(n), max(1, n // 39))       # k-means wants 39 rows a list or more
    codes = (codes or IVF_CODES).format(m=d // IVF_PQ_DIMS) if d % IVF_PQ_DIMS == 0 else "SQ8"
    index = faiss.index_factory(d, f"IVF{nlist},{codes}", faiss.METRIC_INNER_PRODUCT)
    sample = np.random.default_rng(0).choice(n, size=min(n, IVF_TRAIN_PER_LIST * nlist), replace=False)
    sample = np.ascontiguousarray(vectors[np.sort(sample)])
    cp = faiss.ClusteringParameters()
    cp.niter, cp.spherical, cp.max_points_per_centroid, cp.seed = IVF_NITER, True, IVF_TRAIN_PER_LIST, 1234
    faiss.Clustering(d, nlist, cp).train(sample, index.quantizer)      # index.train then trains the codes only
    with _omp_threads(1):
        index.train(sample)
    index.add(vectors)
    index.nprobe = ivf_probes(nlist)
    return index


@contextmanager
def _omp_threads(n: int):
    """faiss's OpenMP threads for the calling thread only (OpenMP keeps the setting per thread), restored after."""
    faiss = _faiss()
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


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
        return next((k for k in ("ivf", "hnsw") if k in kinds), "exact")

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

    def similarity(self, query: np.ndarray, ids: Sequence[str]) -> dict[str, float]:
        """The exact inner product of the query with each passage named that the index holds (deleted rows
        left out)."""
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        out: dict[str, float] = {}
        for s in self.segments:
            found = s.rows_of([x for x in ids if x not in out])
            gone = self.deleted.get(s.name)
            pairs = sorted((r, x) for x, r in found.items() if gone is None or not gone[r])
            if pairs:
                scores = s._scores(q, np.array([r for r, _ in pairs], dtype=np.int64))
                out.update((x, float(v)) for (_, x), v in zip(pairs, scores))
        return out

    def search(self, query: np.ndarray, filters=None, limit: int = 100) -> list[tuple[str, float]]:
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        masks = self.mask(filters)
        hits = [h for s in self.segments for h in s.search(q, masks[s.name], limit)]
        hits.sort(key=lambda h: -h[1])
        return hits[:limit]
