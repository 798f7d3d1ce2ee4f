#!/usr/bin/env python3
"""Embed every chunk of an archive into its embedding cache (resumable; only text never embedded is encoded).

    python scripts/embed_corpus.py --home .data/archives/motley-fool [--batch-size 64] [--threads N]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", required=True, help="archive folder")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--calls-first", type=Path, help="file of call ids (one per line) to embed before the rest")
    args = ap.parse_args(argv)
    from archive.config import Settings
    from archive.passages import passage_text
    from archive.service import Archive
    from archive.store import passages_sql
    from index.encoders import MiniLMEncoder
    from index.vector_cache import VectorCache
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    with Archive.open(Settings(home=Path(args.home))) as a:
        rows = [dict(r) for r in a.store.db.execute(passages_sql())]
    if args.calls_first:
        first = set(args.calls_first.read_text().split())
        rows.sort(key=lambda r: r["call_id"] not in first)
    texts = [passage_text(r) for r in rows]
    cache = VectorCache(Path(args.home) / "vectors.sqlite3")
    enc = MiniLMEncoder(device=args.device)
    t0 = time.perf_counter()
    last = [t0]

    def progress(done, total):
        now = time.perf_counter()
        if now - last[0] > 30 or done == total:
            last[0] = now
            rate = done / (now - t0)
            print(f"{done}/{total} embedded, {rate:.1f} passages/s, {(total - done) / max(rate, 1e-9) / 60:.1f} min left",
                  flush=True)

    cache.embed(enc, texts, batch_size=args.batch_size, progress=progress)
    print(f"done: {len(texts)} passages, {cache.count(enc.name)} vectors cached, {time.perf_counter() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
