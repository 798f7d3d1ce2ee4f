#!/usr/bin/env python3
"""Where does an approximate FAISS index start to pay? For growing numbers of cached vectors, time exact search
(IndexFlatIP) against HNSW (and IVF) and measure their recall@10 against exact, with real query embeddings.

    python scripts/bench_ann.py --home var/mf --queries ../shared/eval/dev_queries.jsonl [--sizes 10000,50000,...]
"""
from __future__ import annotations

import argparse
import json
import sys
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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", required=True, help="archive folder whose vectors.sqlite3 holds cached embeddings")
    ap.add_argument("--queries", nargs="+", required=True)
    ap.add_argument("--sizes", default="10000,25000,50000,100000,0", help="0 = every cached vector")
    ap.add_argument("--ef", default="64,128,256,512", help="HNSW efSearch values to try")
    ap.add_argument("--m", type=int, default=32, help="HNSW links per node")
    ap.add_argument("--ef-construction", type=int, default=200, help="HNSW efConstruction")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    import faiss
    from archive.evaluate import load_queries
    from index.encoders import MiniLMEncoder
    from index.encoders import MINILM
    from index.vector_cache import VectorCache
    cache = VectorCache(Path(args.home) / "vectors.sqlite3")
    allv = cache.all_vectors(MINILM)
    cache.close()
    enc = MiniLMEncoder()
    qs = enc.encode([q["query"] for q in load_queries(args.queries)])
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
        hnsw.hnsw.efConstruction = args.ef_construction
        hnsw.add(xb)
        row["hnsw_build_s"] = round(time.perf_counter() - t0, 1)
        for ef in [int(e) for e in args.ef.split(",")]:
            hnsw.hnsw.efSearch = ef
            t, got = timed_search(hnsw, qs)
            row["hnsw"].append({"ef": ef, "ms": round(t, 2), "recall@10": round(recall(got, exact), 4)})
        rows.append(row)
        if not args.json:
            best = ", ".join(f"ef={h['ef']}: {h['ms']} ms R@10 {h['recall@10']}" for h in row["hnsw"])
            print(f"{n:>7} vectors  exact {row['flat_ms']} ms/query  HNSW(M={args.m}, efC={args.ef_construction}, "
                  f"build {row['hnsw_build_s']}s) {best}",
                  flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
