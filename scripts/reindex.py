#!/usr/bin/env python3
"""Bring an archive's search indexes up to date, for cron and batch jobs: the same service call as
`python -m archive reindex`, with one exit status per outcome and a JSON line on stdout.

Exit status: 0 a new index generation is live, 3 already up to date, 75 another reindex is running (try later),
1 the build failed (the previous generation keeps serving), 2 usage error.

    scripts/reindex.py --home var [--full] [--device cpu|cuda] [--batch-size 64] [--quiet]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace

import _venv  # noqa: E402,F401  (runs under .venv; puts the repository on sys.path)

EXIT_BUILT, EXIT_FAILED, EXIT_USAGE, EXIT_UP_TO_DATE, EXIT_LOCKED = 0, 1, 2, 3, 75


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", default=os.environ.get("ARCHIVE_HOME", "var"), help="archive folder (default: "
                                                                                 "$ARCHIVE_HOME or ./var)")
    ap.add_argument("--full", action="store_true", help="rebuild everything")
    ap.add_argument("--device", choices=["cpu", "cuda"], help="where the model embeds")
    ap.add_argument("--batch-size", type=int, help="passages per embedding batch")
    ap.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = ap.parse_args(argv)
    from archive.config import Settings
    from archive.errors import ArchiveError
    from archive.errors import ReindexRunningError
    from archive.service import Archive
    try:
        settings = Settings.from_env(home=args.home)
        settings = replace(settings, **{k: v for k, v in (("device", args.device), ("batch_size", args.batch_size)) if v})
        settings.validate()
    except ArchiveError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    start, last = time.perf_counter(), [0.0]

    def progress(done, total):
        now = time.perf_counter()
        if not args.quiet and (now - last[0] >= 10 or done == total):
            last[0] = now
            rate = done / max(now - start, 1e-9)
            print(f"embedded {done}/{total} chunks, {rate:.1f} chunks/s", file=sys.stderr, flush=True)
    log = (lambda s: None) if args.quiet else (lambda s: print(s, file=sys.stderr, flush=True))
    try:
        with Archive.open(settings) as archive:
            result = archive.reindex(full=args.full, progress=progress, log=log)
    except ReindexRunningError as e:
        print(json.dumps({"outcome": "locked", "message": e.message}))
        return EXIT_LOCKED
    except ArchiveError as e:
        print(json.dumps({"outcome": "failed", "message": e.message, "hint": e.hint}))
        return EXIT_FAILED
    print(json.dumps(result.to_dict()))
    return EXIT_UP_TO_DATE if result.outcome == "up-to-date" else EXIT_BUILT


if __name__ == "__main__":
    sys.exit(main())
