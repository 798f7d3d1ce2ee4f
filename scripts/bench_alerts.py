#!/usr/bin/env python3
"""What the saved searches add to an index build: the time Archive.check_saved takes to run N saved searches
against the calls a build added (1 call, as after a new call arrives; many, as after a bulk load), and the new
hits it records. Runs on a copy of the archive's store (the index is hard-linked, never written), so the archive
itself is left as it was.

    ARCHIVE_ENCODER=hash python scripts/bench_alerts.py --home /tmp/mfh [--searches 20] [--new 1 10 100] [--json]"""
from __future__ import annotations

import _venv  # noqa: F401

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.config import Settings  # noqa: E402
from archive.request import SearchRequest  # noqa: E402
from archive.service import Archive  # noqa: E402

QUERIES = ["gross margin", "pricing pressure", "supply chain", "guidance for the full year", "free cash flow",
           "share repurchase", "competition", "inflation", "headcount", "capital expenditures", "backlog",
           "customer demand", "interest rates", "new products", "market share", "operating leverage",
           "inventory levels", "dividend", "regulatory approval", "international expansion"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", required=True)
    ap.add_argument("--searches", type=int, default=20)
    ap.add_argument("--new", type=int, nargs="+", default=[1, 10, 100])
    ap.add_argument("--mode", default="hybrid", choices=["hybrid", "lexical", "semantic"])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    src = Path(args.home)
    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        for f in src.glob("archive.sqlite3*"):
            shutil.copy(f, home / f.name)
        subprocess.run(["cp", "-al", str(src / "index"), str(home / "index")], check=True)
        a = Archive.open(Settings.from_env(home=home))
        calls = sorted(a.store.call_versions())
        generation = a.searcher.name
        for i in range(args.searches):
            a.save_search(f"bench {i}", SearchRequest.build(text=QUERIES[i % len(QUERIES)], mode=args.mode))
        a.warm()
        rng = random.Random(7)
        out = {"archive": str(src), "calls": len(calls), "saved_searches": args.searches, "mode": args.mode,
               "runs": []}
        for n in args.new:
            times, found = [], []
            for _ in range(args.runs):
                new = rng.sample(calls, min(n, len(calls)))
                with a.store.transaction() as db:            # each run records afresh
                    db.execute("DELETE FROM saved_hits")
                t0 = time.perf_counter()
                alerts = a.check_saved(new, generation)
                times.append(time.perf_counter() - t0)
                found.append(alerts["new_hits"])
            out["runs"].append({"new_calls": n, "check_s_p50": round(statistics.median(times), 3),
                                "per_search_ms": round(statistics.median(times) / args.searches * 1000, 1),
                                "new_hits_p50": statistics.median(found)})
        a.close()
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"{out['calls']} calls, {args.searches} saved searches ({args.mode}), p50 of {args.runs} runs")
    print(f"{'new calls':>10} {'check s':>8} {'ms/search':>10} {'new hits':>9}")
    for r in out["runs"]:
        print(f"{r['new_calls']:>10} {r['check_s_p50']:>8} {r['per_search_ms']:>10} {r['new_hits_p50']:>9}")


if __name__ == "__main__":
    main()
