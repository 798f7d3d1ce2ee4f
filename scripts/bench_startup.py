#!/usr/bin/env python3
"""Start-up benchmark: how long `serve` takes to report ready, how fast the first search after that is
compared with the tenth, and the wall time of one `archive search` command per mode (a lexical search should
not pay for loading the model).

    scripts/bench_startup.py --home var --queries "gross margin drivers" "cloud revenue outlook"

Prints one line per figure (or JSON with --json). Nothing here is asserted: it reports what it measured."""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import _venv  # noqa: F401  (re-executes under .venv)

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 60) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def serve_figures(home: str, queries: list[str], repeat: int) -> dict:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "archive", "--home", home, "serve", "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        health = None
        while time.perf_counter() - t0 < 300:
            try:
                _, health = get(base + "/api/health", timeout=2)
                if health.get("ready", True):       # an older server has no readiness: it answers when listening
                    break
            except OSError:
                pass
            time.sleep(0.05)
        ready_s = time.perf_counter() - t0
        out = {"ready_s": round(ready_s, 2), "health": health, "first_ms": {}, "later_ms": {}}
        for q in queries:
            url = base + "/api/search?" + urllib.parse.urlencode({"q": q})
            t = time.perf_counter()
            status, _ = get(url)
            out["first_ms"][q] = round((time.perf_counter() - t) * 1000, 1)
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                get(url)
                times.append((time.perf_counter() - t) * 1000)
            out["later_ms"][q] = round(statistics.median(times), 1)
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def cli_figures(home: str, query: str) -> dict:
    out = {}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for mode in ("lexical", "hybrid"):
        t = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "archive", "--home", home, "search", query, "--mode", mode, "--json"],
                           cwd=ROOT, env=env, capture_output=True, text=True)
        out[mode] = {"wall_s": round(time.perf_counter() - t, 2), "exit": r.returncode}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", required=True, help="archive folder with a built index")
    ap.add_argument("--queries", nargs="+", default=["gross margin drivers", "cloud revenue outlook"])
    ap.add_argument("--repeat", type=int, default=10, help="searches after the first, per query (median reported)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    report = {"serve": serve_figures(args.home, args.queries, args.repeat),
              "cli": cli_figures(args.home, args.queries[0])}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    s = report["serve"]
    print(f"serve reported ready after {s['ready_s']} s (health: {s['health']})")
    for q in args.queries:
        print(f"first search {s['first_ms'][q]} ms, then median {s['later_ms'][q]} ms over {args.repeat}: {q!r}")
    for mode, c in report["cli"].items():
        print(f"archive search --mode {mode}: {c['wall_s']} s wall (exit {c['exit']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
