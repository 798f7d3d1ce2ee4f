#!/usr/bin/env python3
"""Does a reindex embed as fast as the raw encoder? Ingests N calls into a fresh archive (empty embedding cache),
times the raw encoder on their passages, then a real reindex, and prints both rates and their ratio.

    python scripts/bench_embed.py --corpus .data/motley-fool --calls 16 [--device cpu|cuda] [--batch-size 64]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import _venv  # noqa: E402,F401  (runs under .venv; puts the repository on sys.path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, required=True, help="folder of transcripts")
    ap.add_argument("--calls", type=int, default=16)
    ap.add_argument("--skip", type=int, default=400, help="start at this file (sorted by name)")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args(argv)
    from archive.config import Settings
    from archive.passages import passage_text
    from archive.service import Archive
    files = sorted(p for p in args.corpus.iterdir() if p.suffix in (".txt", ".json"))[args.skip:args.skip + args.calls]
    with tempfile.TemporaryDirectory() as home, \
            Archive.open(Settings(home=Path(home), device=args.device, batch_size=args.batch_size)) as a:
        a.ingest(files)
        texts = [passage_text(r) for r in a.store.passages()]
        a.encoder.encode(texts[:args.batch_size], batch_size=args.batch_size)       # warm up
        t0 = time.perf_counter()
        a.encoder.encode(texts, batch_size=args.batch_size)
        raw = time.perf_counter() - t0
        r = a.reindex()
        embed = r.manifest["seconds"]["embed"]
    print(f"{len(texts)} passages of {len(files)} calls on {args.device}: raw encoder {len(texts) / raw:.1f}/s, "
          f"reindex embedding {len(texts) / embed:.1f}/s ({100 * raw / embed:.1f}% of raw); "
          f"whole build {r.manifest['seconds']['total']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
