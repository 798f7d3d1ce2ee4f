#!/usr/bin/env python3
"""Bounded load generator for a running archive server (loopback only): a fixed mix of hybrid, keyword and
semantic searches with filters, for a fixed duration at each concurrency, then a table of throughput, latency
percentiles, 503s (deliberate load shedding) and errors. It stops by itself. Alongside, one prober asks
`/api/health` five times a second and its p99 is reported per row (health err: probes that failed or timed out).

`--slow N` also holds N slow connections open for the whole run, each having sent half a request and then
nothing (the slowloris pattern; re-opened whenever the server closes one), to show that slow clients do not
starve the server: the health and search latencies are measured while they are open.

    python scripts/load.py --url http://127.0.0.1:8000 --queries ../shared/eval/dev_queries.jsonl \\
        --clients 1,4,16 --seconds 60 [--slow 150] [--json]
"""
from __future__ import annotations

import argparse
import json
import random
import selectors
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import _venv  # noqa: E402,F401  (runs under .venv; puts the repository on sys.path)

LOOPBACK = ("127.", "localhost", "[::1]")
PARTIAL = b"GET /api/health HTTP/1.1\r\nHost: load\r\n"   # a request line and one header, never the blank line
HEALTH_EVERY = 0.2                                            # seconds between health probes


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


class SlowClients:
    """N connections that each send PARTIAL and then nothing, held open in a background thread; one the server
    closes (or answers) is counted and opened again."""

    def __init__(self, host, port, n):
        self.addr, self.n = (host, port), n
        self.reopened = self.failed = 0
        self._sel = selectors.DefaultSelector()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._hold, daemon=True)

    def __enter__(self):
        for _ in range(self.n):
            self._open()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        for key in list(self._sel.get_map().values()):
            key.fileobj.close()
        self._sel.close()

    @property
    def open(self):
        return len(self._sel.get_map())

    def _open(self):
        try:
            s = socket.create_connection(self.addr, timeout=5)
            s.sendall(PARTIAL)
            s.setblocking(False)
        except OSError:
            self.failed += 1
            return
        self._sel.register(s, selectors.EVENT_READ)

    def _hold(self):
        while not self._stop.is_set():
            for key, _ in self._sel.select(timeout=0.2):
                s = key.fileobj
                try:
                    s.recv(65536)            # EOF, a reset or an answer: the server let go of this one
                except BlockingIOError:
                    continue
                except OSError:
                    pass
                self._sel.unregister(s)
                s.close()
                self.reopened += 1
            while self.open < self.n and not self._stop.is_set():
                before = self.open
                self._open()
                if self.open == before:
                    self._stop.wait(0.5)     # the server refuses connections: do not spin
                    break


def probe_health(url, stop_event, lat, errors):
    """Ask /api/health every HEALTH_EVERY seconds until stop_event; latencies of 200s in lat, the rest in errors."""
    while not stop_event.is_set():
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(url + "/api/health", timeout=30) as r:
                r.read()
                ok = r.status == 200
        except OSError:                      # HTTPError, URLError and timeouts are all OSErrors
            ok = False
        if ok:
            lat.append((time.perf_counter() - t0) * 1000)
        else:
            errors[0] += 1
        stop_event.wait(HEALTH_EVERY)


def run(url, paths, clients, seconds, max_requests, slow=None):
    lat, codes, lock = [], {}, threading.Lock()
    stop = time.perf_counter() + seconds
    count = [0]
    health_lat, health_errors, health_stop = [], [0], threading.Event()
    prober = threading.Thread(target=probe_health, args=(url, health_stop, health_lat, health_errors))
    reopened_before = slow.reopened if slow else 0

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
    prober.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    health_stop.set()
    prober.join()
    ok = codes.get(200, 0)
    return {"clients": clients, "seconds": round(wall, 1), "requests": sum(codes.values()), "ok": ok,
            "rps": round(ok / wall, 1), "p50_ms": round(pct(lat, 50), 1), "p95_ms": round(pct(lat, 95), 1),
            "p99_ms": round(pct(lat, 99), 1), "busy_503": codes.get(503, 0),
            "errors": sum(v for k, v in codes.items() if k not in (200, 503)),
            "health_probes": len(health_lat) + health_errors[0], "health_p50_ms": round(pct(health_lat, 50), 1),
            "health_p99_ms": round(pct(health_lat, 99), 1), "health_errors": health_errors[0],
            "slow": slow.n if slow else 0, "slow_open": slow.open if slow else 0,
            "slow_reopened": (slow.reopened - reopened_before) if slow else 0}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--queries", nargs="+", required=True)
    ap.add_argument("--clients", default="1,4,16")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--max-requests", type=int, default=100_000, help="cap per concurrency level")
    ap.add_argument("--slow", type=int, default=0, metavar="N",
                    help="also hold N slow connections open (half a request each, never finished) during the run")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    parsed = urllib.parse.urlparse(args.url)
    host = parsed.netloc
    if not host.startswith(LOOPBACK):
        print("error: this load generator only targets loopback addresses", file=sys.stderr)
        return 2
    if args.slow < 0:
        print("error: --slow takes a number of connections, 0 or more", file=sys.stderr)
        return 2
    _room_for(args.slow + 64 + max(int(c) for c in args.clients.split(",")))
    paths = requests_from(args.queries)
    levels = [int(c) for c in args.clients.split(",")]
    if args.slow:
        with SlowClients(parsed.hostname, parsed.port or 80, args.slow) as slow:
            time.sleep(1)                    # let the server accept them before measuring
            rows = [run(args.url, paths, c, args.seconds, args.max_requests, slow) for c in levels]
    else:
        rows = [run(args.url, paths, c, args.seconds, args.max_requests) for c in levels]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'clients':>7} {'requests':>8} {'ok/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'503':>5} "
              f"{'errors':>6} {'health p99 ms':>13} {'health err':>10} {'slow':>5}")
        for r in rows:
            print(f"{r['clients']:>7} {r['requests']:>8} {r['rps']:>6} {r['p50_ms']:>7} {r['p95_ms']:>7} "
                  f"{r['p99_ms']:>7} {r['busy_503']:>5} {r['errors']:>6} {r['health_p99_ms']:>13} "
                  f"{r['health_errors']:>10} {r['slow']:>5}")
        if args.slow:
            print(f"slow connections: {args.slow} held open, re-opened after the server closed them "
                  f"{sum(r['slow_reopened'] for r in rows)} times, {slow.failed} failed to connect")
    return 0


def _room_for(sockets):
    """Raise this process's open-files soft limit towards its hard limit if it is short of `sockets`."""
    try:
        import resource
    except ImportError:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < sockets:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (sockets if hard == resource.RLIM_INFINITY
                                                        else min(sockets, hard), hard))
        except (ValueError, OSError):
            pass


if __name__ == "__main__":
    sys.exit(main())
