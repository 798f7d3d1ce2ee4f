#!/usr/bin/env python3
"""Benchmark exporting search results: per mode and query, the p50 over a few runs of a search (a page of 10),
of Archive.export (every match up to --max), and of writing its CSV and XLSX, with the hits exported, the
matches ranked and the bytes written; and how many of the search page's hits open the export, in the same
order. Prints a table, or JSON with --json; asserts nothing.

    ARCHIVE_ENCODER=hash python scripts/bench_export.py --home /tmp/mfh --modes lexical,hybrid
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import _venv  # noqa: E402,F401  (runs under .venv; puts the repository on sys.path)

QUERIES = ("gross margin", "supply chain disruption", "guidance for the full year", "share repurchase program",
           "pricing pressure from competitors", '"free cash flow"')


def timed(fn, runs: int):
    """(p50 ms over runs, the last result)."""
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", required=True, help="archive folder with a built index")
    ap.add_argument("--modes", default="lexical,hybrid")
    ap.add_argument("--queries", nargs="*", default=list(QUERIES), help="queries (default: a built-in few)")
    ap.add_argument("--max", type=int, default=None, help="hits exported at most (default EXPORT_MAX)")
    ap.add_argument("--runs", type=int, default=5, help="runs per measurement (the p50 is printed)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    from archive import export
    from archive.config import Settings
    from archive.request import EXPORT_MAX, SearchRequest
    from archive.service import Archive

    archive = Archive.open(Settings.from_env(home=args.home))
    max_hits = args.max or EXPORT_MAX
    generation = archive.searcher.name
    m = archive.searcher.manifest
    report = {"home": args.home, "passages": m.get("passages"), "calls": len(m.get("calls", {})),
              "lexical_engine": m.get("lexical_engine", "whoosh"), "encoder": archive.settings.encoder,
              "max": max_hits, "runs": args.runs, "rows": []}
    for mode in args.modes.split(","):
        archive.search(SearchRequest.build(text="revenue outlook", mode=mode))          # warm up
        for text in args.queries:
            q = SearchRequest.build(text=text, mode=mode)
            search_ms, page = timed(lambda: archive.search(q), args.runs)
            export_ms, res = timed(lambda: archive.export(q, max_hits, snippets=False), args.runs)
            with_snippets_ms, _ = timed(lambda: archive.export(q, max_hits), args.runs)
            csv_ms, csv_bytes = timed(lambda: export.to_csv(res), args.runs)
            xlsx_ms, xlsx_bytes = timed(lambda: export.to_xlsx(res, generation=generation), args.runs)
            shown = [h.turn_id for h in page.hits]
            same = next((i for i, (a, b) in enumerate(zip(shown, (h.turn_id for h in res.hits))) if a != b),
                        min(len(shown), len(res.hits)))
            report["rows"].append({
                "mode": mode, "query": text, "search_ms": search_ms, "export_ms": export_ms,
                "export_with_snippets_ms": with_snippets_ms, "csv_ms": csv_ms,
                "xlsx_ms": xlsx_ms, "hits": len(res.hits), "matches": res.total, "cut": res.total > len(res.hits),
                "csv_bytes": len(csv_bytes), "xlsx_bytes": len(xlsx_bytes), "page_prefix": same,
                "page": len(shown)})
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{report['passages']} passages of {report['calls']} calls; lexical {report['lexical_engine']}, encoder "
          f"{report['encoder']}; export max {max_hits}; p50 of {args.runs} runs")
    print(f"{'mode':<8} {'query':<34} {'search':>7} {'export':>7} {'+snip':>6} {'csv':>6} {'xlsx':>6} {'hits':>5} "
          f"{'cut':>4} {'csv KB':>7} {'xlsx KB':>7} {'same':>5}")
    for r in report["rows"]:
        print(f"{r['mode']:<8} {r['query'][:34]:<34} {r['search_ms']:7.0f} {r['export_ms']:7.0f} "
              f"{r['export_with_snippets_ms']:6.0f} {r['csv_ms']:6.0f} "
              f"{r['xlsx_ms']:6.0f} {r['hits']:5d} {'yes' if r['cut'] else 'no':>4} {r['csv_bytes'] / 1e3:7.0f} "
              f"{r['xlsx_bytes'] / 1e3:7.0f} {r['page_prefix']:>2}/{r['page']:<2}")
    print("ms: search = a page of 10; export = Archive.export as the API and the CLI call it (no snippets); +snip = "
          "with snippets; csv, xlsx = writing the file. same: the search page's hits that open the export in the "
          "same order.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
