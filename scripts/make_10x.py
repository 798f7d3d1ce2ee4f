#!/usr/bin/env python3
"""Build an archive N times the size of another, honestly: N copies of every call under distinct ids, tickers
(AAPL, AAPL.X1, ... AAPL.X9) and company names ("Apple (copy 1)"), so both legs see N times the passages of real
text; and the vectors of every copy from the source archive's cached vectors plus small noise
(normalize(v + N(0, sigma)), seeded per copy), written into the new archive's embedding cache, so nothing is
re-embedded. Copy 0 is the source itself. The new archive has no index: build it with

    .venv/bin/python -m archive --home var/mf10 reindex --full --lexical-engine tantivy

    scripts/make_10x.py --source var/mf --target var/mf10 --copies 10
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import _venv  # noqa: E402,F401  (runs under .venv; puts the repository on sys.path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", required=True, help="archive home with every passage's vector cached")
    ap.add_argument("--target", required=True, help="new archive home (must not exist)")
    ap.add_argument("--copies", type=int, default=10, help="copies of the source, the source included (2-100)")
    ap.add_argument("--sigma", type=float, default=0.01,
                    help="noise per dimension added to a copy's vectors before normalizing (0.01: cosine ~0.98)")
    ap.add_argument("--json", action="store_true", help="print the outcome as JSON")
    args = ap.parse_args(argv)
    if not 2 <= args.copies <= 100:
        ap.error("--copies must be 2-100")

    import numpy as np
    from tqdm import tqdm

    from archive.config import Settings
    from archive.passages import passage_text
    from archive.store import Store
    from index.vector_cache import VectorCache, text_key

    source, target = Settings.from_env(home=args.source), Settings.from_env(home=args.target)
    if not source.db_path.exists():
        print(f"error: no archive at {args.source} (build it first: python -m archive --home {args.source} ingest "
              f"DIR)", file=sys.stderr)
        return 2
    if Path(args.target).exists():
        print(f"error: {args.target} exists; pick a new folder or remove it", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    src_store = Store(source.db_path)
    rows = src_store.passages()
    cache = VectorCache(source.vector_cache_path)
    keys = [text_key(passage_text(r)) for r in rows]
    # The vectors the source's index was built from: a cache key that holds them all (fp32 ones first).
    found, encoder_key = {}, None
    for name in sorted(cache.encoders(), key=lambda n: ("@" in n, n)):
        have = cache.get_many(name, list(dict.fromkeys(keys)))
        if len(have) == len(set(keys)):
            found, encoder_key = have, name
            break
    cache.close()
    if encoder_key is None:
        print(f"error: the source's cache does not hold every passage's vector; build its index first "
              f"(python -m archive --home {args.source} reindex)", file=sys.stderr)
        return 2
    vectors = np.stack([found[k] for k in keys]).astype(np.float32)
    del found

    Path(args.target).mkdir(parents=True)
    # Copy 0: the source archive's store file as it is (SQLite's backup API: consistent even while it is used).
    import sqlite3
    with sqlite3.connect(source.db_path) as a, sqlite3.connect(target.db_path) as b:
        a.backup(b)
    store = Store(target.db_path)
    call_ids = sorted({r["call_id"] for r in rows})
    out = VectorCache(target.vector_cache_path)
    out.put_many(encoder_key, keys, vectors)
    bar = tqdm(total=args.copies - 1, unit="copy", desc="copies", disable=args.json)
    for k in range(1, args.copies):
        suffix, ticker_suffix = f"-x{k}", f".X{k}"
        store.clone_calls(call_ids, suffix, ticker_suffix, f" (copy {k})")
        rng = np.random.default_rng(k)
        noisy = vectors + rng.normal(0.0, args.sigma, vectors.shape).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        copy_keys = [text_key(passage_text({**r, "ticker": r["ticker"] + ticker_suffix if r["ticker"] else None,
                                            "company": (r["company"] + f" (copy {k})") if r["company"] else None}))
                     for r in rows]
        for i in range(0, len(rows), 50_000):
            out.put_many(encoder_key, copy_keys[i:i + 50_000], noisy[i:i + 50_000])
        bar.update(1)
    bar.close()
    out.close()
    report = {"source": args.source, "target": args.target, "copies": args.copies,
              "calls": len(call_ids) * args.copies, "passages": len(rows) * args.copies, "cache_key": encoder_key,
              "sigma": args.sigma, "seconds": round(time.perf_counter() - t0, 1),
              "store_mb": round(target.db_path.stat().st_size / 1e6), "cache_mb":
              round(target.vector_cache_path.stat().st_size / 1e6)}
    shutil.rmtree(Path(args.target) / "index", ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{report['calls']} calls, {report['passages']} passages in {report['target']} "
              f"({report['store_mb']} MB store, {report['cache_mb']} MB vectors) in {report['seconds']} s; "
              f"build its index: python -m archive --home {args.target} reindex --full --lexical-engine tantivy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
