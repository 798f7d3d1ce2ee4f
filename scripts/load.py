#!/usr/bin/env python3
"""Bounded load generator for a running archive server (loopback only): a fixed mix of hybrid, keyword and
semantic searches with filters, for a fixed duration at each concurrency, then a table of throughput, latency
percentiles, 503s (deliberate load shedding) and errors. It stops by itself.

    python scripts/load.py --url http://127.0.0.1:8000 --queries ../shared/eval/dev_queries.jsonl \\
        --clients 1,4,16 --seconds 60 [--json]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

LOOPBACK = ("127.", "localhost", "[::1]")


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")


def requests_from(query_files, seed=1):
    rnd = random.Random(seed)
    out = []
    for f in query_files:
        for line in Path(f).read_text().splitlines():
            if not line.strip():
                continue
            q = json.loads(line)
            text = " ".join(q["query"].replace('"', " ").split())[:400]
            for ch in "*?()[]{}~^:":
                text = text.replace(ch, " ")
            params = {"q": text, "mode": rnd.choice(["hybrid", "hybrid", "lexical", "semantic"]), "limit": 10}
            f_ = q.get("filters") or {}
            if f_.get("ticker"):
                params["ticker"] = f_["ticker"]
            if f_.get("year"):
                params["year"] = f_["year"]
            out.append("/api/search?" + urllib.parse.urlencode(params))
    rnd.shuffle(out)
    return out


def run(url, paths, clients, seconds, max_requests):
    lat, codes, lock = [], {}, threading.Lock()
    stop = time.perf_counter() + seconds
    count = [0]

    def worker(i):
        n = i
        while time.perf_counter() < stop:
            with lock:
                if count[0] >= max_requests:
                    return
                count[0] += 1
            path = paths[n % len(paths)]
            n += clients
            t0 = time.perf_counter()
            try:
                with urllib.request.urlopen(url + path, timeout=30) as r:
                    r.read()
                    code = r.status
            except urllib.error.HTTPError as e:
                code = e.code
                if code == 503:
                    time.sleep(float(e.headers.get("Retry-After", "1")) * 0.1)
            except OSError:
                code = "connection error"
            ms = (time.perf_counter() - t0) * 1000
            with lock:
                codes[code] = codes.get(code, 0) + 1
                if code == 200:
                    lat.append(ms)
    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ok = codes.get(200, 0)
    return {"clients": clients, "seconds": round(wall, 1), "requests": sum(codes.values()), "ok": ok,
            "rps": round(ok / wall, 1), "p50_ms": round(pct(lat, 50), 1), "p95_ms": round(pct(lat, 95), 1),
            "p99_ms": round(pct(lat, 99), 1), "busy_503": codes.get(503, 0),
            "errors": sum(v for k, v in codes.items() if k not in (200, 503))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--queries", nargs="+", required=True)
    ap.add_argument("--clients", default="1,4,16")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--max-requests", type=int, default=100_000, help="cap per concurrency level")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    host = urllib.parse.urlparse(args.url).netloc
    if not host.startswith(LOOPBACK):
        print("error: this load generator only targets loopback addresses", file=sys.stderr)
        return 2
    paths = requests_from(args.queries)
    rows = [run(args.url, paths, int(c), args.seconds, args.max_requests) for c in args.clients.split(",")]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'clients':>7} {'requests':>8} {'ok/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'503':>5} {'errors':>6}")
        for r in rows:
            print(f"{r['clients']:>7} {r['requests']:>8} {r['rps']:>6} {r['p50_ms']:>7} {r['p95_ms']:>7} "
                  f"{r['p99_ms']:>7} {r['busy_503']:>5} {r['errors']:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
