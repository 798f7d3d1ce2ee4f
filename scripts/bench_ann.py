#!/usr/bin/env python3
"""Which FAISS index should a vector segment use? Two modes, both with real query embeddings (the dev queries,
embedded by the real model) and recall against exact search.

Sizes (the original question: where does an approximate index start to pay?): for growing numbers of cached
vectors, exact search (IndexFlatIP) against HNSW, recall@10 and ms/query:

    python scripts/bench_ann.py --home var/mf --queries ../shared/eval/dev_queries.jsonl [--sizes 10000,50000,...]

Scale (a corpus N times today's): the cached vectors and N-1 noisy copies of them (copy k of vector v is
normalize(v + rng.normal(0, 0.01, d)) with rng = np.random.default_rng(k); copy 0 is v), and the candidate segment
kinds compared on them: build seconds, memory (bytes of the faiss index, and of the float vectors kept beside it
for re-ranking), recall@10 and recall@limit against exact search (ground truth by chunked brute force over the
same matrix), p50/p95 ms per query on one thread, unfiltered and with a year-range-like filter of about half the
rows. Every candidate is searched through index.vector.Segment.search (the shipped code: over-fetch, IVF filter
selectors, re-ranking, exact fallback); the float storage of IVF segments (float32 in RAM, float16 in RAM,
float32 memory-mapped from an .npy) is compared on the same index; `--shipped` builds, saves and reloads (in a
fresh process) a VectorIndex with the module's own parameters and reports its memory:

    python scripts/bench_ann.py --vectors var/mf/vectors.sqlite3 --scale 10 --queries ../shared/eval/dev_queries.jsonl \\
        ../shared/eval/dev_summary_queries.jsonl --kinds flat,hnsw,hnsw-sq8,ivf-sq8,ivf-pq --shipped [--json]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import _venv  # noqa: E402,F401  (runs under .venv; puts the repository on sys.path)


def timed_search(index, queries, k=10):
    t0 = time.perf_counter()
    out = []
    for q in queries:                      # one query at a time, as the service searches
        _, rows = index.search(q.reshape(1, -1), k)
        out.append(rows[0])
    return (time.perf_counter() - t0) * 1000 / len(queries), np.array(out)


def recall(approx, exact):
    return float(np.mean([len(set(a) & set(e)) / len(e) for a, e in zip(approx, exact)]))


def sizes_main(args, allv, qs) -> int:
    import faiss
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        n = size or len(allv)
        if n > len(allv):
            continue
        xb = np.ascontiguousarray(allv[:n])
        flat = faiss.IndexFlatIP(xb.shape[1])
        flat.add(xb)
        t_flat, exact = timed_search(flat, qs)
        row = {"vectors": n, "flat_ms": round(t_flat, 2), "hnsw": []}
        t0 = time.perf_counter()
        hnsw = faiss.IndexHNSWFlat(xb.shape[1], args.m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = int(args.ef_construction.split(",")[0])
        hnsw.add(xb)
        row["hnsw_build_s"] = round(time.perf_counter() - t0, 1)
        for ef in [int(e) for e in args.ef.split(",")]:
            hnsw.hnsw.efSearch = ef
            t, got = timed_search(hnsw, qs)
            row["hnsw"].append({"ef": ef, "ms": round(t, 2), "recall@10": round(recall(got, exact), 4)})
        rows.append(row)
        if not args.json:
            best = ", ".join(f"ef={h['ef']}: {h['ms']} ms R@10 {h['recall@10']}" for h in row["hnsw"])
            print(f"{n:>7} vectors  exact {row['flat_ms']} ms/query  HNSW(M={args.m}, "
                  f"efC={hnsw.hnsw.efConstruction}, build {row['hnsw_build_s']}s) {best}", flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


# ---- scale mode ------------------------------------------------------------------------------------------------

def read_vectors(path: Path, key: str | None) -> tuple[np.ndarray, str]:
    """Every cached vector of one encoder key (default: all-MiniLM's bf16 key, else its fp32 one, whichever holds
    more). Opening an existing cache writes nothing (copy one that a running job is still writing)."""
    from index.encoders import MINILM, cache_key
    from index.vector_cache import VectorCache
    cache = VectorCache(Path(path))
    try:
        if key is None:
            key = max((cache_key(MINILM, "bf16"), MINILM), key=cache.count)
        vectors = cache.all_vectors(key)
    finally:
        cache.close()
    if not len(vectors):
        raise SystemExit(f"no vectors under {key!r} in {path}")
    return np.ascontiguousarray(vectors, dtype=np.float32), key


def scaled(base: np.ndarray, scale: int) -> np.ndarray:
    """Copy 0 is base; copy k is normalize(v + N(0, 0.01)) with default_rng(k). Rows k*n .. (k+1)*n - 1."""
    n, d = base.shape
    out = np.empty((n * scale, d), dtype=np.float32)
    out[:n] = base
    for k in range(1, scale):
        part = out[k * n:(k + 1) * n]
        part[:] = base + np.random.default_rng(k).normal(0, 0.01, (n, d)).astype(np.float32)
        part /= np.linalg.norm(part, axis=1, keepdims=True)
    return out


def exact_top(xb: np.ndarray, qs: np.ndarray, k: int, mask: np.ndarray | None = None, chunk: int = 65_536):
    """Row numbers of each query's exact top k (best first; ties by row number), by chunked brute force."""
    nq = len(qs)
    best_s = np.full((nq, 0), -np.inf, dtype=np.float32)
    best_r = np.zeros((nq, 0), dtype=np.int64)
    for i in range(0, len(xb), chunk):
        s = qs @ xb[i:i + chunk].T
        if mask is not None:
            s[:, ~mask[i:i + chunk]] = -np.inf
        kk = min(k, s.shape[1])
        part = np.argpartition(-s, kk - 1, axis=1)[:, :kk]
        best_s = np.concatenate([best_s, np.take_along_axis(s, part, 1)], axis=1)
        best_r = np.concatenate([best_r, part + i], axis=1)
        order = np.lexsort((best_r, -best_s), axis=1)[:, :k]
        best_s, best_r = np.take_along_axis(best_s, order, 1), np.take_along_axis(best_r, order, 1)
    return [r[np.isfinite(s)] for s, r in zip(best_s, best_r)]


def pseudo_meta(n_base: int, scale: int):
    """A year (12 of them, 2013-2024) and a ticker (100) per original vector, shared by its copies: the cache's
    order is by text hash, so these are random with respect to content, like a filter unrelated to the query."""
    v = np.arange(n_base)
    years = np.tile(2013 + v % 12, scale)
    tickers = np.tile((v * 7919) % 100, scale)
    return years, tickers


@contextlib.contextmanager
def one_thread():
    """Every thread pool (faiss's OpenMP, both BLAS) at one thread, restored after."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        import faiss
        before = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            yield
        finally:
            faiss.omp_set_num_threads(before)
        return
    with threadpool_limits(1):
        yield


def measure(seg, qs, truth, mask, limit):
    """(recall@10, recall@limit, p50 ms, p95 ms) of seg.search over the queries, one thread."""
    times, r10, rl = [], [], []
    with one_thread():
        for q, want in zip(qs, truth):
            t0 = time.perf_counter()
            got = seg.search(q.reshape(1, -1), mask, limit)
            times.append((time.perf_counter() - t0) * 1000)
            rows = [int(r) for r, _ in got]
            r10.append(len(set(rows[:10]) & set(want[:10].tolist())) / max(1, min(10, len(want))))
            rl.append(len(set(rows) & set(want.tolist())) / max(1, len(want)))
    return (round(float(np.mean(r10)), 4), round(float(np.mean(rl)), 4), round(float(np.percentile(times, 50)), 2),
            round(float(np.percentile(times, 95)), 2))


def file_bytes(index) -> int:
    import faiss
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        faiss.write_index(index, str(Path(tmp) / "x.faiss"))
        return (Path(tmp) / "x.faiss").stat().st_size


class RerankedHNSW:
    """A Segment whose HNSW graph holds SQ8 codes: candidates re-ranked by their floats (bench only)."""

    @staticmethod
    def make(seg_cls):
        from index import vector

        class _Seg(seg_cls):
            def _ann(self, q, k, allowed=None):
                _, rows = self.index.search(q, min(len(self.ids), max(vector.RERANK_FACTOR * k, vector.RERANK_MIN)))
                rows = np.sort(rows[0][rows[0] >= 0])
                scores = self._scores(q, rows)
                top = np.argsort(-scores, kind="stable")[:k]
                return scores[top], rows[top]
        return _Seg


def build_hnsw(xb, m, efc, sq8, cap_s):
    """HNSW built in tenths, stopped once it has taken more than cap_s: (index, seconds, rows added)."""
    import faiss
    d = xb.shape[1]
    index = faiss.IndexHNSWSQ(d, faiss.ScalarQuantizer.QT_8bit, m, faiss.METRIC_INNER_PRODUCT) if sq8 else \
        faiss.IndexHNSWFlat(d, m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = efc
    t0 = time.perf_counter()
    if sq8:
        index.train(xb[np.sort(np.random.default_rng(0).choice(len(xb), min(len(xb), 100_000), replace=False))])
    step = max(1, -(-len(xb) // 10))
    for i in range(0, len(xb), step):
        index.add(xb[i:i + step])
        if time.perf_counter() - t0 > cap_s and i + step < len(xb):
            break
    return index, time.perf_counter() - t0, index.ntotal


def build_ivf(xb, codes, nlist):
    """An IVF index as index.vector builds one (same sampling and k-means), of any faiss codes."""
    from index import vector
    t0 = time.perf_counter()
    index = vector._ivf_index(xb, codes, nlist)
    return index, time.perf_counter() - t0


def drop_cache(path: Path) -> None:
    """Ask the kernel to drop a file's (clean) pages from the page cache."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def rss() -> dict:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            out[key] = round(int(value.split()[0]) / 1024)
    return out


def probe_main(folder: str, qfile: str) -> int:
    """(In a fresh process) load a saved VectorIndex, search it, report memory (MB) and latency."""
    from index.vector import VectorIndex
    before = rss()
    t0 = time.perf_counter()
    ix = VectorIndex.load(Path(folder))
    load_s = time.perf_counter() - t0
    loaded = rss()
    z = np.load(qfile)
    qs, limit = z["qs"], int(z["limit"])
    out = {"load_s": round(load_s, 2), "rss_before": before, "rss_loaded": loaded, "runs": {}}
    for name, filters in (("unfiltered", None), ("years 2013-2018", {"year": (2013, 2018)}),
                          ("24 tickers", {"ticker": [f"T{t}" for t in range(24)]}), ("1 ticker", {"ticker": "T7"})):
        times, got = [], []
        with one_thread():
            for q in qs:
                t1 = time.perf_counter()
                hits = ix.search(q, filters, limit)
                times.append((time.perf_counter() - t1) * 1000)
                got.append([int(i.split(":v")[1]) for i, _ in hits])
        out["runs"][name] = {"p50": round(float(np.percentile(times, 50)), 2),
                             "p95": round(float(np.percentile(times, 95)), 2), "rows": got}
        out["rss_after_" + name] = rss()
    print(json.dumps(out))
    return 0


def scale_main(args, base: np.ndarray, qs: np.ndarray) -> int:
    import faiss
    from index import vector
    RERANK_FACTOR = vector.RERANK_FACTOR
    from index.vector import Segment
    say = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))
    t0 = time.perf_counter()
    xb = scaled(base, args.scale)
    n, d = xb.shape
    say(f"{n:,} rows ({len(base):,} x {args.scale}) of {d} dims in {time.perf_counter() - t0:.1f}s")
    years, tickers = pseudo_meta(len(base), args.scale)
    masks = {"years": (years >= 2013) & (years <= 2018)}                       # 6 of 12 years: half the rows
    limit = args.limit
    t0 = time.perf_counter()
    truth = {None: exact_top(xb, qs, limit), "years": exact_top(xb, qs, limit, masks["years"])}
    say(f"exact ground truth for {len(qs)} queries in {time.perf_counter() - t0:.1f}s")
    ids = np.arange(n)
    kinds = args.kinds.split(",")
    rows = []

    def report(row):
        rows.append(row)
        if not args.json:
            extra = "  ".join(f"{k}={v}" for k, v in row.items() if k not in COLUMNS)
            print(" | ".join(str(row.get(c, "")) for c in COLUMNS) + (f" | {extra}" if extra else ""), flush=True)

    def run(kind, params, seg, build_s, index_b, floats_b, qsub=None):
        sub = slice(None) if qsub is None else slice(0, qsub)
        row = {"kind": kind, "params": params, "rows": n, "build_s": round(build_s, 1),
               "index_MB": round(index_b / 2 ** 20), "floats_MB": round(floats_b / 2 ** 20),
               "queries": len(qs[sub])}
        for name, mask in ((None, None), ("years", masks["years"])):
            r10, rl, p50, p95 = measure(seg, qs[sub], truth[name][sub], mask, limit)
            tag = "" if name is None else "years_"
            row.update({tag + "R@10": r10, tag + f"R@{limit}": rl, tag + "p50": p50, tag + "p95": p95})
        report(row)
        return row

    print_header(limit, args.json)
    if "flat" in kinds:
        t0 = time.perf_counter()
        flat = faiss.IndexFlatIP(d)
        flat.add(xb)
        run("exact", "IndexFlatIP", Segment("bench", ids, xb, {}, {}, {}, flat), time.perf_counter() - t0,
            n * d * 4, 0, args.flat_queries)
        del flat
    for kind in ("hnsw", "hnsw-sq8"):
        if kind not in kinds:
            continue
        for efc in [int(e) for e in args.ef_construction.split(",")]:
            index, build_s, added = build_hnsw(xb, args.m, efc, kind == "hnsw-sq8", args.build_cap)
            if added < n:
                report({"kind": kind, "params": f"M={args.m} efC={efc}", "rows": n,
                        "build_s": f">{build_s:.0f} (stopped: {added:,} rows added; whole: ~"
                                   f"{build_s * n / added:.0f}s or more)"})
                del index
                continue
            seg = (RerankedHNSW.make(Segment) if kind == "hnsw-sq8" else Segment)("bench", ids, xb, {}, {}, {}, index)
            index_b = file_bytes(index)
            for ef in [int(e) for e in args.ef.split(",")]:
                index.hnsw.efSearch = ef
                run(kind, f"M={args.m} efC={efc} ef={ef}" + (" +rerank" if kind == "hnsw-sq8" else ""), seg,
                    build_s, index_b, n * d * 4 if kind == "hnsw-sq8" else 0)
            del seg, index
    stored = None
    for kind in ("ivf-sq8", "ivf-pq"):
        if kind not in kinds:
            continue
        codes = "SQ8" if kind == "ivf-sq8" else args.pq
        for nlist in [int(x) for x in args.nlist.split(",")]:
            index, build_s = build_ivf(xb, codes, nlist)
            seg = Segment("bench", ids, xb, {}, {}, {}, index)
            index_b = file_bytes(index)
            for nprobe in [int(p) for p in args.nprobe.split(",")]:
                for rerank in [int(r) for r in args.rerank.split(",")]:
                    index.nprobe, vector.RERANK_FACTOR = nprobe, rerank
                    run(kind, f"{type(index).__name__[5:]} {codes.format(m=d // vector.IVF_PQ_DIMS)} nlist={nlist} "
                        f"nprobe={nprobe} rerank={rerank}x/{vector.RERANK_MIN}", seg, build_s, index_b, n * d * 4)
            vector.RERANK_FACTOR = RERANK_FACTOR
            if stored is None and codes == vector.IVF_CODES and nlist == vector.ivf_lists(n):
                stored = index
            del seg, index
    if stored is not None:
        storage(args, xb, stored, ids, qs, truth, masks, tickers, limit, say, report)
    del stored
    if args.shipped:
        shipped(args, xb, qs, truth, years, tickers, limit, say, report)
    if args.json:
        print(json.dumps({"rows": n, "base": len(base), "scale": args.scale, "queries": len(qs), "limit": limit,
                          "results": rows}, indent=2))
    return 0


COLUMNS = ["kind", "params", "rows", "build_s", "index_MB", "floats_MB", "queries", "R@10", "R@L", "p50", "p95",
           "years_R@10", "years_R@L", "years_p50", "years_p95"]


def print_header(limit, as_json):
    COLUMNS[8], COLUMNS[12] = f"R@{limit}", f"years_R@{limit}"
    if not as_json:
        print(" | ".join(COLUMNS))
        print(" | ".join("---" for _ in COLUMNS), flush=True)


def storage(args, xb, index, ids, qs, truth, masks, tickers, limit, say, report):
    """The same IVF index with its floats as float32 in RAM, float16 in RAM, float32 memory-mapped (warm: after
    a first pass; the first pass's time is reported too); plus the exact path of a selective filter (24 of 100
    tickers, just under SUBSET_FRACTION) whose rows are all scored."""
    from index import vector
    from index.vector import Segment
    n, d = xb.shape
    selective = tickers < 24
    truth_sel = exact_top(xb, qs, limit, selective)
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        np.save(Path(tmp) / "vectors.npy", xb)
        drop_cache(Path(tmp) / "vectors.npy")
        modes = {"float32 RAM": xb, "float16 RAM": xb.astype(np.float16),
                 "float32 mmap": np.load(Path(tmp) / "vectors.npy", mmap_mode="r")}
        index.nprobe = vector.ivf_probes(index.nlist)
        for mode, floats in modes.items():
            seg = Segment("bench", ids, floats, {}, {}, {}, index)
            passes = 2 if mode.endswith("mmap") else 1
            for p in range(passes):
                row = {"kind": "ivf storage", "params": f"{type(index).__name__[5:]} {mode}{' cold' if passes == 2 and p == 0 else ''} "
                       f"nlist={index.nlist} nprobe={index.nprobe}", "rows": n,
                       "floats_MB": round(floats.nbytes / 2 ** 20), "queries": len(qs)}
                for tag, mask, want in (("", None, truth[None]), ("years_", masks["years"], truth["years"]),
                                        ("24tickers_", selective, truth_sel)):
                    r10, rl, p50, p95 = measure(seg, qs, want, mask, limit)
                    row.update({tag + "R@10": r10, tag + f"R@{limit}": rl, tag + "p50": p50, tag + "p95": p95})
                report(row)
                say(f"  {mode}: exact over 24% rows R@10 {row['24tickers_R@10']} p50 {row['24tickers_p50']} ms "
                    f"p95 {row['24tickers_p95']} ms")
            del seg
        del modes


def shipped(args, xb, qs, truth, years, tickers, limit, say, report):
    """VectorIndex.build with the module's parameters, saved, then loaded and searched in a fresh process."""
    from index import vector
    from index.filters import INTEGER, KEYWORD
    from index.vector import VectorIndex
    n, d = xb.shape
    base = n // args.scale
    v = np.arange(n) % base
    quarters = 1 + v % 4
    meta = [{"ticker": f"T{t}", "year": int(y), "call_id": f"T{t}-{y}Q{q}"} for t, y, q in zip(tickers, years, quarters)]
    ids = [f"{m['call_id']}:v{i}" for i, m in enumerate(meta)]
    fields = {"ticker": KEYWORD, "year": INTEGER, "call_id": KEYWORD}
    t0 = time.perf_counter()
    ix = VectorIndex.build(ids, xb, meta, fields)
    build_s = time.perf_counter() - t0
    del meta, ids
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        t0 = time.perf_counter()
        ix.save(Path(tmp) / "vector")
        save_s = time.perf_counter() - t0
        kinds = [s.kind for s in ix.segments]
        del ix
        disk = {p.name: p.stat().st_size for p in (Path(tmp) / "vector" / "seg-000001").iterdir()}
        say(f"shipped: {kinds} built in {build_s:.1f}s, saved in {save_s:.1f}s: "
            + ", ".join(f"{k} {b / 2 ** 20:.0f} MB" for k, b in sorted(disk.items())))
        np.savez(Path(tmp) / "qs.npz", qs=qs, limit=limit)
        for p in (Path(tmp) / "vector").rglob("*.npy"):     # measure a cold start: the floats out of the page cache
            drop_cache(p)
        out = subprocess.run([sys.executable, __file__, "--probe", str(Path(tmp) / "vector"), str(Path(tmp) / "qs.npz")],
                             capture_output=True, text=True, check=True)
        probe = json.loads(out.stdout)
    truth_t = {"unfiltered": truth[None], "years 2013-2018": truth["years"],
               "24 tickers": exact_top(xb, qs, limit, tickers < 24), "1 ticker": exact_top(xb, qs, limit, tickers == 7)}
    for name, run in probe["runs"].items():
        want = truth_t[name]
        r10 = np.mean([len(set(g[:10]) & set(w[:10].tolist())) / max(1, min(10, len(w))) for g, w in zip(run["rows"], want)])
        rl = np.mean([len(set(g) & set(w.tolist())) / max(1, len(w)) for g, w in zip(run["rows"], want)])
        report({"kind": f"shipped {'+'.join(kinds)}", "params": f"{name} (nlist={vector.ivf_lists(n)} nprobe="
                f"{vector.ivf_probes(vector.ivf_lists(n))} rerank={vector.RERANK_FACTOR}x/{vector.RERANK_MIN})",
                "rows": n, "build_s": round(build_s, 1), "index_MB": round(disk.get("vectors.faiss", 0) / 2 ** 20),
                "floats_MB": round(disk.get("vectors.npy", 0) / 2 ** 20), "queries": len(qs),
                "R@10": round(float(r10), 4), f"R@{limit}": round(float(rl), 4), "p50": run["p50"], "p95": run["p95"],
                "save_s": round(save_s, 1), "load_s": probe["load_s"], "rss_MB": probe["rss_after_" + name]})
    say(f"shipped, fresh process: load {probe['load_s']}s; RSS MB before {probe['rss_before']}, loaded "
        f"{probe['rss_loaded']}, " + ", ".join(f"after {k[10:]} {v}" for k, v in probe.items() if k.startswith("rss_after")))


def main(argv=None) -> int:
    if argv is None and len(sys.argv) == 4 and sys.argv[1] == "--probe":
        return probe_main(sys.argv[2], sys.argv[3])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", help="archive folder whose vectors.sqlite3 holds cached embeddings")
    ap.add_argument("--vectors", help="the embedding cache file itself, instead of --home")
    ap.add_argument("--key", help="its encoder key (default: the all-MiniLM key with the most vectors)")
    ap.add_argument("--queries", nargs="+", required=True)
    ap.add_argument("--sizes", default="10000,25000,50000,100000,0", help="0 = every cached vector")
    ap.add_argument("--scale", type=int, help="compare segment kinds over this many noisy copies of the vectors")
    ap.add_argument("--base-rows", type=int, help="scale mode: only the first this many cached vectors (then copied)")
    ap.add_argument("--kinds", default="flat,hnsw,hnsw-sq8,ivf-sq8,ivf-pq", help="scale mode: candidates")
    ap.add_argument("--limit", type=int, default=100, help="scale mode: hits per search (the service's WINDOW)")
    ap.add_argument("--ef", default="64,128,256,512", help="HNSW efSearch values to try")
    ap.add_argument("--m", type=int, default=32, help="HNSW links per node")
    ap.add_argument("--ef-construction", default="200", help="HNSW efConstruction value(s)")
    ap.add_argument("--build-cap", type=float, default=600, help="scale mode: stop an HNSW build after this long")
    ap.add_argument("--nlist", default="1024,2048,4096", help="scale mode: IVF lists")
    ap.add_argument("--nprobe", default="16,32,64,128,256", help="scale mode: IVF lists scanned")
    ap.add_argument("--pq", default=None, help="scale mode: codes of ivf-pq, a faiss factory suffix ({m}: dims/"
                    "IVF_PQ_DIMS); default index.vector.IVF_CODES")
    ap.add_argument("--rerank", default=None, help="scale mode: RERANK_FACTOR values for IVF (default the module's)")
    ap.add_argument("--flat-queries", type=int, default=60, help="scale mode: queries timed on exact search")
    ap.add_argument("--shipped", action="store_true", help="scale mode: also build/save/load index.vector's own")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not (args.home or args.vectors):
        ap.error("give --home or --vectors")
    from archive.evaluate import load_queries
    from index.encoders import MiniLMEncoder
    path = Path(args.vectors) if args.vectors else Path(args.home) / "vectors.sqlite3"
    allv, key = read_vectors(path, args.key)
    enc = MiniLMEncoder()
    qs = np.ascontiguousarray(enc.encode([q["query"] for q in load_queries(args.queries)]), dtype=np.float32)
    del enc
    if not args.json:
        print(f"{len(allv):,} vectors under {key!r} in {path}; {len(qs)} queries", file=sys.stderr, flush=True)
    if args.scale:
        from index import vector
        allv = allv[:args.base_rows] if args.base_rows else allv
        args.pq = args.pq or vector.IVF_CODES
        args.rerank = args.rerank or str(vector.RERANK_FACTOR)
        return scale_main(args, allv, qs)
    return sizes_main(args, allv, qs)


if __name__ == "__main__":
    sys.exit(main())
