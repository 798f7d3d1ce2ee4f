#!/usr/bin/env python3
"""Benchmark search over an archive: per mode, latency p50/p95/p99 over the query set for each number of
concurrent clients, queries per second, the index build time and engines (from the live index's manifest), the
memory the open archive holds (the server's share) and the process's peak, and the raw encoder's passages/s.
Prints a table, or JSON with --json.

    python scripts/bench_search.py --home var/mf --queries ../shared/eval/dev_queries.jsonl --clients 1,4
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


def _rss_mb() -> float:
    """The process's resident memory now (Linux), in MB."""
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS")) / 1024


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", required=True, help="archive folder with a built index")
    ap.add_argument("--queries", nargs="+", required=True, help="JSONL query files (../shared/eval layout)")
    ap.add_argument("--modes", default="lexical,semantic,hybrid")
    ap.add_argument("--clients", default="1,4", help="concurrent clients of each pass, comma-separated (1,4)")
    ap.add_argument("--max-queries", type=int, default=0, help="use only the first N queries (0: all)")
    ap.add_argument("--encode-sample", type=int, default=512, help="passages to time the raw encoder on (0: skip)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    from archive.config import Settings
    from archive.evaluate import load_queries, to_search
    from archive.passages import passage_text
    from archive.service import Archive

    try:
        clients = [int(c) for c in args.clients.split(",")]
        assert clients and all(1 <= c <= 64 for c in clients)
    except (ValueError, AssertionError):
        ap.error("--clients takes numbers 1-64 separated by commas, e.g. 1,4")
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    archive = Archive.open(Settings.from_env(home=args.home))
    queries = load_queries(args.queries)
    if args.max_queries:
        queries = queries[:args.max_queries]
    archive.search(to_search(queries[0], "hybrid", 10))          # warm up: model, indexes, caches
    open_s = time.perf_counter() - t0
    m = archive.searcher.manifest
    report = {"home": args.home, "queries": len(queries), "passages": m["passages"], "calls": len(m.get("calls", {})),
              "lexical_engine": m.get("lexical_engine", "whoosh"), "vector_kind": m.get("vector_kind"),
              "build_seconds": m.get("seconds"), "open_and_first_search_s": round(open_s, 2),
              "rss_after_open_mb": round(_rss_mb() - rss0), "modes": {}}
    for mode in args.modes.split(","):
        searches = [to_search(q, mode, 10) for q in queries]

        def timed(s):
            t0 = time.perf_counter()
            archive.search(s)
            return (time.perf_counter() - t0) * 1000
        report["modes"][mode] = {}
        for n in clients:
            t0 = time.perf_counter()
            with ThreadPoolExecutor(n) as pool:
                times = list(pool.map(timed, searches))
            wall = time.perf_counter() - t0
            report["modes"][mode][f"{n} client{'s' if n > 1 else ''}"] = {
                "p50": pct(times, 50), "p95": pct(times, 95), "p99": pct(times, 99), "qps": len(times) / wall}
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
    print(f"{report['passages']} passages of {report['calls']} calls, {report['queries']} queries; lexical "
          f"{report['lexical_engine']}, vectors {report['vector_kind']}; build {report['build_seconds']}; open + "
          f"first search {report['open_and_first_search_s']} s, {report['rss_after_open_mb']} MB")
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
