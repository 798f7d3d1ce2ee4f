#!/usr/bin/env python3
"""Keep an archive in step with a directory tree of transcripts: ingest what is new or changed, delete from the
archive the calls whose files were removed (with --prune), then bring the indexes up to date. Prints a summary
(or JSON with --json). Exit status: 0 fine, 1 some file failed (the rest went in), 75 a reindex was already
running (the files went in; the next reindex picks them up), 2 usage error.

    scripts/ingest_tree.py ROOT --home var [--prune] [--no-index] [--json]
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
    args = ap.parse_args(argv)
    if not args.root.is_dir():
        print(f"error: {args.root} is not a folder", file=sys.stderr)
        return 2
    from archive.config import Settings
    from archive.errors import ArchiveError
    from archive.indexes import ReindexRunningError
    from archive.service import Archive
    code = 0
    with Archive.open(Settings.from_env(home=args.home)) as archive:
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
    summary = {**report.summary(), "pruned": pruned, "index": index,
               "failures": [f.message for f in report.files if f.status == "failed"]}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for m in summary["failures"]:
            print(f"failed: {m}", file=sys.stderr)
        print(f"{summary['files']} files: {summary['added']} added, {summary['replaced']} replaced, "
              f"{summary['unchanged']} unchanged, {summary['duplicate']} duplicate, {summary['failed']} failed; "
              f"{len(pruned)} calls pruned" + (f"; index {index['outcome']}" + (f" ({index.get('generation')})"
                                                                                if index.get("generation") else "")
                                               if index else ""))
    return code


if __name__ == "__main__":
    sys.exit(main())
