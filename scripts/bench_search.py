#!/usr/bin/env python3
"""Benchmark search over an archive: per mode, latency p50/p95/p99 over the query set with one client and with N
concurrent clients, queries per second, the index build time (from the live index's manifest), the raw encoder's
passages/s, and peak memory. Prints a table, or JSON with --json.

    python scripts/bench_search.py --home var/mf --queries ../shared/eval/dev_queries.jsonl
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import _venv  # noqa: E402,F401  (runs under .venv; puts the repository on sys.path)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", required=True, help="archive folder with a built index")
    ap.add_argument("--queries", nargs="+", required=True, help="JSONL query files (../shared/eval layout)")
    ap.add_argument("--modes", default="lexical,semantic,hybrid")
    ap.add_argument("--clients", type=int, default=4, help="concurrent clients for the second pass")
    ap.add_argument("--encode-sample", type=int, default=512, help="passages to time the raw encoder on (0: skip)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    from archive.config import Settings
    from archive.evaluate import load_queries, to_search
    from archive.passages import passage_text
    from archive.service import Archive

    archive = Archive.open(Settings.from_env(home=args.home))
    queries = load_queries(args.queries)
    archive.search(to_search(queries[0], "hybrid", 10))          # warm up: model, indexes, caches
    report = {"home": args.home, "queries": len(queries), "passages": archive.searcher.manifest["passages"],
              "build_seconds": archive.searcher.manifest.get("seconds"), "modes": {}}
    for mode in args.modes.split(","):
        searches = [to_search(q, mode, 10) for q in queries]

        def timed(s):
            t0 = time.perf_counter()
            archive.search(s)
            return (time.perf_counter() - t0) * 1000
        one = [timed(s) for s in searches]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            many = list(pool.map(timed, searches))
        wall = time.perf_counter() - t0
        report["modes"][mode] = {
            "1 client": {"p50": pct(one, 50), "p95": pct(one, 95), "p99": pct(one, 99),
                         "qps": len(one) / (sum(one) / 1000)},
            f"{args.clients} clients": {"p50": pct(many, 50), "p95": pct(many, 95), "p99": pct(many, 99),
                                        "qps": len(many) / wall}}
    if args.encode_sample:
        rows = archive.store.passages(limit=args.encode_sample)
        texts = [passage_text(r) for r in rows]
        t0 = time.perf_counter()
        archive.encoder.encode(texts, batch_size=archive.settings.batch_size)
        report["encoder_passages_per_s"] = len(texts) / (time.perf_counter() - t0)
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{report['passages']} passages, {report['queries']} queries; build {report['build_seconds']}")
    print(f"{'mode':<10} {'clients':<10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'qps':>7}")
    for mode, passes in report["modes"].items():
        for name, s in passes.items():
            print(f"{mode:<10} {name:<10} {s['p50']:8.1f} {s['p95']:8.1f} {s['p99']:8.1f} {s['qps']:7.1f}")
    if "encoder_passages_per_s" in report:
        print(f"encoder: {report['encoder_passages_per_s']:.1f} passages/s")
    print(f"peak memory: {report['peak_rss_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
