#!/usr/bin/env python3
"""Keep an archive in step with a directory tree of transcripts: ingest what is new or changed, delete from the
archive the calls whose files were removed (with --prune), then bring the indexes up to date. Prints a summary
(or JSON with --json). Exit status: 0 fine, 1 some file failed (the rest went in), 75 a reindex was already
running (the files went in; the next reindex picks them up), 2 usage error.

With --watch SECONDS it keeps running, looking at the tree again every SECONDS and printing a line for each pass
that changed something, until it is stopped (Ctrl-C or SIGTERM: exit 0). It holds the model between passes, so a
new call is searchable about 5 s after it is seen instead of the 12 s a one-shot run needs to load the model.

    scripts/ingest_tree.py ROOT --home var [--prune] [--no-index] [--json] [--watch SECONDS]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import _venv  # noqa: E402,F401  (runs under .venv; puts the repository on sys.path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("root", type=Path, help="folder of transcripts (walked recursively)")
    ap.add_argument("--home", default=os.environ.get("ARCHIVE_HOME", "var"), help="archive folder")
    ap.add_argument("--prune", action="store_true", help="delete calls whose files under ROOT are gone")
    ap.add_argument("--no-index", action="store_true", help="do not reindex afterwards")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--watch", type=float, metavar="SECONDS",
                    help="keep running: look at the tree again every SECONDS (at least 1)")
    args = ap.parse_args(argv)
    if args.watch is not None and args.watch < 1:
        print("error: --watch needs at least 1 second", file=sys.stderr)
        return 2
    if not args.root.is_dir():
        print(f"error: {args.root} is not a folder", file=sys.stderr)
        return 2
    from archive.config import Settings
    from archive.service import Archive
    with Archive.open(Settings.from_env(home=args.home)) as archive:
        if args.watch is None:
            summary, code = sync(archive, args)
            show(summary, args.json)
            return code
        import signal
        import time
        if not args.no_index:
            _ = archive.encoder      # load the model once, now: each pass that finds a new call is then quick
            # the saved searches' webhooks go out from here too (in the background: a pass never waits on them)
            archive.webhook_sender().start()
        stop, failures = [], []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
        try:
            while not stop:
                t0 = time.monotonic()
                summary, _ = sync(archive, args)
                changed = summary["added"] or summary["replaced"] or summary["pruned"] or \
                    summary["failures"] != failures         # a file that keeps failing is reported once
                failures = summary["failures"]
                if changed or (summary["index"] or {}).get("outcome") not in (None, "up-to-date"):
                    show({**summary, "seconds": round(time.monotonic() - t0, 2)}, args.json)
                    sys.stdout.flush()
                while not stop and time.monotonic() - t0 < args.watch:
                    time.sleep(0.2)
        except KeyboardInterrupt:
            pass
    return 0


def sync(archive, args) -> tuple[dict, int]:
    """One pass: ingest the tree, prune, reindex. (summary, exit status)."""
    from archive.errors import ArchiveError
    from archive.errors import ReindexRunningError
    code = 0
    report = archive.ingest([args.root])
    pruned = archive.prune_missing(args.root) if args.prune else []
    index = None
    if not args.no_index:
        try:
            index = archive.reindex().to_dict()
        except ReindexRunningError as e:
            index, code = {"outcome": "locked", "message": e.message}, 75
        except ArchiveError as e:
            index, code = {"outcome": "failed", "message": e.message}, 1
    if not report.ok and code == 0:
        code = 1
    return {**report.summary(), "pruned": pruned, "index": index,
            "failures": [f.message for f in report.files if f.status == "failed"]}, code


def show(summary: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary, indent=None if "seconds" in summary else 2))
        return
    index = summary["index"]
    for m in summary["failures"]:
        print(f"failed: {m}", file=sys.stderr)
    print(f"{summary['files']} files: {summary['added']} added, {summary['replaced']} replaced, "
          f"{summary['unchanged']} unchanged, {summary['duplicate']} duplicate, {summary['failed']} failed; "
          f"{len(summary['pruned'])} calls pruned" + (f"; index {index['outcome']}" + (
              f" ({index.get('generation')})" if index.get("generation") else "") if index else "")
          + (f"; {summary['seconds']} s" if "seconds" in summary else ""))


if __name__ == "__main__":
    sys.exit(main())
