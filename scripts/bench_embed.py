#!/usr/bin/env python3
"""Does a reindex embed as fast as the raw encoder, and how much faster is bf16? Ingests N calls into a fresh
archive (empty embedding cache), times the raw encoder on their passages at each precision (with the cosine of
each precision's vectors to the first one's), then a real reindex at the first precision, and prints the rates.

    python scripts/bench_embed.py --corpus .data/motley-fool --calls 16 --precisions fp32,bf16 [--device cpu|cuda]
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
    ap.add_argument("--precisions", default="auto", help="comma-separated: fp32, bf16, auto (the first one reindexes)")
    args = ap.parse_args(argv)
    precisions = args.precisions.split(",")
    if not all(p in ("auto", "fp32", "bf16") for p in precisions):
        ap.error("--precisions takes fp32, bf16 or auto, comma-separated")
    from archive.indexes import make_encoder
    from archive.config import Settings
    from archive.passages import passage_text
    from archive.service import Archive
    files = sorted(p for p in args.corpus.iterdir() if p.suffix in (".txt", ".json"))[args.skip:args.skip + args.calls]
    with tempfile.TemporaryDirectory() as home, \
            Archive.open(Settings(home=Path(home), device=args.device, batch_size=args.batch_size,
                                  precision=precisions[0], encoder="minilm")) as a:
        a.ingest(files)
        texts = [passage_text(r) for r in a.store.passages()]
        first, raw = None, None
        for precision in precisions:
            enc = make_encoder("minilm", args.device, precision)
            enc.encode(texts[:args.batch_size], batch_size=args.batch_size)       # warm up
            t0 = time.perf_counter()
            vectors = enc.encode(texts, batch_size=args.batch_size)
            seconds = time.perf_counter() - t0
            raw = raw or seconds
            cos = (vectors * first).sum(axis=1) if first is not None else None
            first = vectors if first is None else first
            print(f"{enc.precision}: raw encoder {len(texts) / seconds:.1f} passages/s"
                  + (f", cosine to {precisions[0]} min {cos.min():.5f} mean {cos.mean():.5f}" if cos is not None else ""))
            del enc
        r = a.reindex()
        embed = r.manifest["seconds"]["embed"]
    print(f"{len(texts)} passages of {len(files)} calls on {args.device}: reindex ({r.manifest['precision']}) "
          f"embedding {len(texts) / embed:.1f}/s ({100 * raw / embed:.1f}% of raw); "
          f"whole build {r.manifest['seconds']['total']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
