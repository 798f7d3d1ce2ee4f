#!/usr/bin/env python3
"""Filtered vector search in Milvus: does an approximate dense index keep its recall under a filter? The
archive's passages and their cached vectors (HOME/vectors.sqlite3; nothing is embedded but the queries) are
written to two Milvus collections, FLAT (exact) and IVF_FLAT with --nlist lists, and every query of the sets is
searched in both, unfiltered and filtered to its target's ticker (the case where a graph or list index can run
out of candidates). Recall@k of IVF_FLAT against FLAT per nprobe, and ms per query (p50 / p95), one query at a
time as the service searches:

    python scripts/bench_milvus.py --home var/dev364 --queries ../shared/eval/dev_queries.jsonl \\
        ../shared/eval/dev_summary_queries.jsonl [--uri /tmp/bench-milvus.db] [--nlist 1024] \\
        [--nprobes 8,16,32,64,128] [--k 10] [--json]

Milvus Lite offers FLAT, IVF_FLAT and AUTOINDEX only, so HNSW and DISKANN are measured against a server (--uri
http://host:19530 --kinds hnsw: ef values from --efs)."""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

import _venv  # noqa: E402,F401  (runs under .venv; puts the repository on sys.path)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--home", required=True, help="an archive with its vectors cached (any engine)")
    p.add_argument("--queries", nargs="+", required=True)
    p.add_argument("--uri", default="/tmp/bench-milvus.db", help="Milvus Lite file (replaced) or a server URI")
    p.add_argument("--token", default="")
    p.add_argument("--kinds", default="ivf_flat", help="approximate kinds to compare with flat: ivf_flat, hnsw")
    p.add_argument("--nlist", type=int, default=1024)
    p.add_argument("--nprobes", default="8,16,32,64,128")
    p.add_argument("--efs", default="64,128,256,512")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    from tqdm import tqdm

    from archive.config import Settings
    from archive.evaluate import load_queries
    from archive.indexes import FILTER_FIELDS, make_encoder, meta_of
    from archive.passages import indexed_text, passage_text
    from archive.store import Store
    from index import milvus_index as M
    from index.vector_cache import VectorCache

    settings = Settings.from_env(home=args.home)
    store = Store(settings.db_path)
    rows = store.passages()
    encoder = make_encoder(settings.encoder, precision=settings.precision)
    cache = VectorCache(settings.vector_cache_path)
    t0 = time.perf_counter()
    vectors = cache.embed(encoder, [passage_text(r) for r in rows], batch_size=settings.batch_size)
    cache.close()
    print(f"{len(rows)} passages, vectors from the cache in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    docs = [{"id": r["chunk_id"], "turn_id": r["turn_id"], **indexed_text(r), **meta_of(r)} for r in rows]

    client = M.connect(args.uri, args.token, 60.0)
    built = {}
    kinds = ["flat"] + [k for k in args.kinds.split(",") if k]
    for kind in kinds:
        name = f"bench_{kind}"
        M.IVF_NLIST = args.nlist
        t0 = time.perf_counter()
        ix = M.MilvusIndex.create(client, name, FILTER_FIELDS, vectors.shape[1], vector_index=kind,
                                  partition_key=False, scalar_indexes=False, uri=args.uri)
        for i in tqdm(range(0, len(docs), 5000), desc=f"writing {kind}", file=sys.stderr):
            ix.write(docs[i:i + 5000], vectors[i:i + 5000])
        ix.finish()
        # wait for the index to cover the sealed segments before timing searches
        client.load_collection(name)
        built[kind] = (ix, time.perf_counter() - t0)

    queries = load_queries(args.queries)
    qv = encoder.encode([q["query"] for q in queries])
    settings_of = {"ivf_flat": [("nprobe", int(n)) for n in args.nprobes.split(",")],
                   "hnsw": [("ef", int(n)) for n in args.efs.split(",")]}
    report = {"passages": len(rows), "k": args.k, "nlist": args.nlist, "build_s": {k: round(v[1], 1)
                                                                                for k, v in built.items()},
              "rows": []}
    flat = built["flat"][0]

    def run(ix, params, filtered):
        ms, hits = [], []
        for q, v in zip(queries, qv):
            f = {"ticker": q["target"]["ticker"]} if filtered and q.get("target", {}).get("ticker") else None
            t = time.perf_counter()
            res = ix._call(ix.client.search, ix.collection, data=[v.tolist()], anns_field="dense", limit=args.k,
                           filter=ix._expr(f), search_params={"metric_type": "IP", "params": params})
            ms.append((time.perf_counter() - t) * 1000)
            hits.append([h["id"] for h in res[0]])
        return hits, ms

    for filtered in (False, True):
        exact, ms = run(flat, {}, filtered)
        report["rows"].append({"kind": "flat", "param": None, "filtered": filtered, "recall": 1.0,
                               "p50_ms": round(float(np.percentile(ms, 50)), 1),
                               "p95_ms": round(float(np.percentile(ms, 95)), 1)})
        for kind in kinds[1:]:
            for pname, value in settings_of.get(kind, []):
                got, ms = run(built[kind][0], {pname: value}, filtered)
                rec = float(np.mean([len(set(a) & set(e)) / max(1, len(e)) for a, e in zip(got, exact) if e]))
                report["rows"].append({"kind": kind, "param": f"{pname}={value}", "filtered": filtered,
                                       "recall": round(rec, 4), "p50_ms": round(float(np.percentile(ms, 50)), 1),
                                       "p95_ms": round(float(np.percentile(ms, 95)), 1)})
    for kind in built:
        client.drop_collection(f"bench_{kind}")
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"{report['passages']} passages, {len(queries)} queries, recall@{args.k} against FLAT, nlist "
          f"{args.nlist}; build seconds {report['build_s']}")
    print(f"{'kind':<9} {'param':<12} {'filter':<8} {'recall':>7} {'p50 ms':>7} {'p95 ms':>7}")
    for r in report["rows"]:
        print(f"{r['kind']:<9} {r['param'] or '-':<12} {'ticker' if r['filtered'] else 'none':<8} "
              f"{r['recall']:>7.3f} {r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
