"""Archive: the one service object that the CLI, the web app, the MCP server and scripts all call."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from . import formats
from .chunk import chunk_transcript
from .formats.extract import to_text
from .formats.records import utterance_table
from .formats.report import describe, describe_failure
from .config import Settings
from .errors import ArchiveError, BadRequestError, InputFileError, NotFoundError, StoreError
from index.generations import Generations

from .indexes import ENCODER_NAMES, Indexes, ReindexResult, expected_manifest, make_encoder
from .indexes import reindex as build_generation
from .search import FILTER_FIELDS, SearchQuery, SearchResults, call_of, citation, turn_of, turn_url
from .search import run as run_search
from .companies import tickers_named
from .store import Store
from .understand import Directory

# Files a folder walk picks up (a file named on the command line is always tried).
TRANSCRIPT_SUFFIXES = {".txt", ".json", ".nlp", ".text", ".jsonl", ".csv", ".tsv", ".pdf", ".html", ".htm"}

TABLE_SUFFIXES = {".csv", ".tsv"}      # walked only when the header names speaker and text columns

ADDED, REPLACED, UNCHANGED, DUPLICATE, FAILED = "added", "replaced", "unchanged", "duplicate", "failed"
TREND_MAX_PASSAGES = 20000      # a trend counts every matching passage up to this many


@dataclass
class FileOutcome:
    path: str
    status: str                   # added | replaced | unchanged | duplicate | failed
    call_id: str | None = None
    turns: int = 0
    chunks: int = 0
    message: str | None = None
    explain: dict | None = None   # what was read and why (ingest --explain)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class IngestReport:
    files: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def ok(self) -> bool:
        return self.count(FAILED) == 0

    def summary(self) -> dict:
        stored = [f for f in self.files if f.status in (ADDED, REPLACED)]
        return {"files": len(self.files), "added": self.count(ADDED), "replaced": self.count(REPLACED),
                "unchanged": self.count(UNCHANGED), "duplicate": self.count(DUPLICATE),
                "failed": self.count(FAILED), "turns_added": sum(f.turns for f in stored),
                "chunks_added": sum(f.chunks for f in stored), "seconds": round(self.seconds, 2)}

    def to_dict(self) -> dict:
        return {"summary": self.summary(), "files": [f.to_dict() for f in self.files]}


def expand(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, plus transcript files found (recursively, sorted) in folders named. Sidecars, hidden files,
    symlinks that lead outside a named folder and tables without speaker and text columns are left out."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            root = p.resolve()
            found = []
            for dirpath, dirnames, filenames in os.walk(p):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    f = Path(dirpath) / name
                    if name.startswith(".") or name.endswith(".meta.json") or f.suffix.lower() not in TRANSCRIPT_SUFFIXES:
                        continue
                    if f.is_symlink() and not f.resolve().is_relative_to(root):
                        continue
                    if f.suffix.lower() in TABLE_SUFFIXES and not utterance_table(f):
                        continue          # a table of something else (a manifest, metadata) beside the calls
                    found.append(f)
            out.extend(sorted(found, key=lambda f: f.relative_to(p).parts))
        else:
            out.append(p)
    return out


class Archive:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = Store(settings.db_path)
        self._indexes = None
        self._encoder = None
        self._directory = None
        self.index_error: StoreError | None = None    # why a newer generation could not be opened, if it could not

    @classmethod
    def open(cls, settings: Settings | None = None, **overrides) -> "Archive":
        return cls(settings or Settings.from_env(**overrides))

    def close(self) -> None:
        if self._indexes is not None:
            self._indexes.close()
        self.store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- ingest ------------------------------------------------------------------------------------------------

    def ingest(self, paths: Iterable[str | Path], *, format: str | None = None, meta: dict | None = None,
               replace: bool = False, progress: Callable[[FileOutcome], None] | None = None,
               on_start: Callable[[int], None] | None = None, layout=None, explain: bool = False) -> IngestReport:
        """Ingest files and folders. Each file is one transaction; a bad file is reported and the batch goes on."""
        import time
        t0 = time.perf_counter()
        if format and format not in formats.format_names():
            raise BadRequestError(f"unknown format {format!r}", f"use one of {', '.join(formats.format_names())}")
        meta = formats.check_meta(meta or {}, "command line") if meta else {}
        missing = [str(p) for p in map(Path, paths) if not p.exists() and not p.is_symlink()]
        files = expand(p for p in map(Path, paths) if str(p) not in missing)
        report = IngestReport()
        report.files.extend(FileOutcome(p, FAILED, message=f"{p}: no such file or folder (check the path)")
                            for p in missing)
        if on_start:
            on_start(len(files))
        for f in files:
            outcome = self.ingest_file(f, format=format, meta=meta, replace=replace, layout=layout, explain=explain)
            report.files.append(outcome)
            if progress:
                progress(outcome)
        report.seconds = time.perf_counter() - t0
        return report

    def ingest_file(self, path: Path, *, format: str | None = None, meta: dict | None = None,
                    replace: bool = False, layout=None, explain: bool = False) -> FileOutcome:
        shown = str(path)
        text_for_failure = None
        try:
            key = str(Path(path).resolve())
            max_bytes = int(self.settings.max_file_mb * 1e6)
            try:
                size = Path(path).stat().st_size
                if size > max_bytes:
                    raise InputFileError(f"{shown}: file too large ({size / 1e6:.1f} MB, the cap is "
                                         f"{self.settings.max_file_mb:g} MB)", "split it, or raise ARCHIVE_MAX_FILE_MB")
                data = Path(path).read_bytes()
            except OSError as e:
                raise InputFileError(f"{shown}: cannot read: {e.strerror or e}", "check that it exists and is readable"
                                     ) from None
            sidecar = formats.sidecar_meta(Path(path))
            fingerprint = hashlib.sha256(json.dumps(
                [hashlib.sha256(data).hexdigest(), formats.READERS_VERSION, format, sidecar, meta or {},
                 self.settings.chunk_words, self.settings.chunk_overlap, layout.fingerprint if layout else None],
                sort_keys=True).encode()).hexdigest()
            old = self.store.file(key)
            if old is not None and old["fingerprint"] == fingerprint and not explain:
                return FileOutcome(shown, UNCHANGED, old["call_id"], message="unchanged since the last ingest")
            text_for_failure = data
            reading = formats.read_file(Path(path), data=data, format=format, meta=meta, max_bytes=max_bytes,
                                        layout=layout)
            t = reading.transcript
            report = describe(reading) if explain else None
            if old is not None and old["fingerprint"] == fingerprint:
                return FileOutcome(shown, UNCHANGED, old["call_id"], message="unchanged since the last ingest",
                                   explain=report)
            t = _with_source_path(t, key)
            cid = t.call_id
            existing = self.store.call(cid)
            other = [f["path"] for f in existing["files"] if f["path"] != key] if existing else []
            if other and not replace:
                return FileOutcome(shown, DUPLICATE, cid, message=(
                    f"{shown}: same call as {cid} (ticker and fiscal period), already stored from {other[0]}; "
                    "not stored twice (use --replace to keep this file instead)"))
            drop = (old["call_id"],) if old is not None and old["call_id"] != cid else ()
            chunks = chunk_transcript(t, self.settings.chunk_words, self.settings.chunk_overlap)
            self.store.put_call(t, chunks, fingerprint, drop=drop)
            status = REPLACED if (existing or old is not None) else ADDED
            return FileOutcome(shown, status, cid, len(t.turns), len(chunks), explain=report)
        except InputFileError as e:
            msg = e.message if e.message.startswith(shown) else f"{shown}: {e.message}"
            return FileOutcome(shown, FAILED, message=f"{msg} ({e.hint})" if e.hint else msg,
                               explain=self._failure(path, e, text_for_failure) if explain else None)
        except ArchiveError as e:
            return FileOutcome(shown, FAILED, message=f"{shown}: {e}")
        except (RecursionError, MemoryError) as e:
            return FileOutcome(shown, FAILED, message=f"{shown}: too complex to read ({type(e).__name__})")
        except Exception as e:  # a reader bug must not end the batch; nothing was stored for this file
            return FileOutcome(shown, FAILED, message=f"{shown}: could not be read ({type(e).__name__}: {e}); "
                                                      "nothing was stored for it; please report this file")

    @staticmethod
    def _failure(path, error: InputFileError, data: bytes | None) -> dict:
        text = None
        if data is not None:
            try:
                text = to_text(data, Path(path)).text
            except InputFileError:
                text = None
        return describe_failure(Path(path), error, text)

    def inspect(self, path: str | Path, *, format: str | None = None, meta: dict | None = None, layout=None,
                first_turns: int = 5) -> dict:
        """What reading one file gives, and the evidence, without storing anything (`inspect FILE`)."""
        path = Path(path)
        max_bytes = int(self.settings.max_file_mb * 1e6)
        if not path.is_file():
            raise InputFileError(f"{path}: no such file (or not a regular file)", "check the path")
        data = None
        try:
            if path.stat().st_size > max_bytes:
                raise InputFileError(f"{path}: file too large ({path.stat().st_size / 1e6:.1f} MB, the cap is "
                                     f"{self.settings.max_file_mb:g} MB)", "split it, or raise ARCHIVE_MAX_FILE_MB")
            data = path.read_bytes()
            return describe(formats.read_file(path, data=data, format=format, meta=meta, layout=layout,
                                              max_bytes=max_bytes), first_turns=first_turns)
        except InputFileError as e:
            return self._failure(path, e, data)
        except OSError as e:
            return describe_failure(path, InputFileError(f"{path}: cannot read: {e.strerror or e}",
                                                         "check that it exists and is readable"), None)

    # ---- search ------------------------------------------------------------------------------------------------

    @property
    def encoder(self):
        if self._encoder is None:
            self._encoder = make_encoder(self.settings.encoder, self.settings.device)
        return self._encoder

    @property
    def indexes(self) -> Indexes:
        """The live generation. When CURRENT has moved on, the new generation is opened and checked; if it cannot
        be used, the one already open keeps serving."""
        live = Generations(self.settings.index_path).current()
        if self._indexes is None or (live and live != self._indexes.name):
            expect = expected_manifest(self.settings, ENCODER_NAMES[self.settings.encoder])
            try:
                fresh = Indexes.open(self.settings.index_path, FILTER_FIELDS, expect)
            except StoreError as e:
                if self._indexes is None:
                    raise
                self.index_error = e
            else:
                # The generation being replaced is not closed here: searches in other threads may still be
                # reading it. It closes its files when the last of them lets go of it.
                self._indexes, self.index_error = fresh, None
        return self._indexes

    def reindex(self, *, full: bool = False, progress=None, log=lambda s: None) -> ReindexResult:
        """Bring both indexes up to date with the store as a new generation (only calls added, changed or deleted
        since the live one; everything with full=True), embedding only passages never embedded before."""
        return build_generation(self.store, self.settings.index_path, self.settings, lambda: self.encoder,
                                FILTER_FIELDS, full=full, progress=progress, log=log)

    def directory(self, indexes: Indexes) -> Directory:
        """Who each call is (ticker, fiscal quarter) and the names that point to each ticker, for reading
        queries against a generation; built once per generation."""
        if self._directory is None or self._directory[0] != indexes.name:
            rows = self.store.db.execute("SELECT call_id, ticker, company, fiscal_quarter FROM calls").fetchall()
            canonical = {c.ticker: c for c in self.store.companies() if c.ticker and c.name}
            rows = [(r[0], r[1], canonical[r[1]].name if r[1] in canonical else r[2], r[3]) for r in rows]
            aliases = [(c.ticker, a) for c in canonical.values() for a in c.aliases]
            lexical = indexes.lexical
            self._directory = (indexes.name, Directory.build(
                rows, lambda word, ticker: lexical.word_share_outside(word, "ticker", ticker), aliases))
        return self._directory[1]

    def search(self, query: SearchQuery) -> SearchResults:
        indexes = self.indexes
        return run_search(self._company_as_tickers(query), self.store, indexes, self.encoder,
                          self.settings.base_url, self.directory(indexes))

    def _company_as_tickers(self, query: SearchQuery) -> SearchQuery:
        """A company filter names a company by its canonical name or any alias: it becomes the filter on its
        tickers (within the tickers asked for, if any). A name that is no ticker's stays a filter on the name the
        calls were stored with."""
        from dataclasses import replace
        if not query.company:
            return query
        named = tickers_named(self.store.companies(), query.company)
        if not named:
            return query
        if query.tickers:
            named = tuple(t for t in query.tickers if t.upper() in named)
            if not named:
                return query          # this company under none of those tickers: nothing matches both
        return replace(query, company=None, tickers=named)

    # ---- reads -------------------------------------------------------------------------------------------------

    def stats(self) -> dict:
        return self.store.stats()

    def companies(self) -> list[dict]:
        """Each ticker on file with its canonical company name, the aliases its calls use, and its number of calls."""
        return [c.to_dict() for c in self.store.companies()]

    def calls(self, ticker: str | None = None, year: int | None = None, company: str | None = None) -> list[dict]:
        """Calls on file, each under its ticker's canonical company name (the name read from the file stays in
        company_as_read). company: a canonical name or an alias."""
        companies = self.store.companies()
        if company:
            tickers = tickers_named(companies, company)
            if ticker:
                tickers = tuple(t for t in tickers if t == ticker.upper())
            rows = [r for t in tickers for r in self.store.calls(ticker=t, year=year)] if tickers else [
                r for r in self.store.calls(ticker=ticker, year=year)
                if not r["ticker"] and (r["company"] or "").lower() == company.strip().lower()]
        else:
            rows = self.store.calls(ticker=ticker, year=year)
        canonical = {c.ticker: c.name for c in companies if c.ticker and c.name}
        for r in rows:
            r["company_as_read"] = r["company"]
            if r["ticker"] in canonical:
                r["company"] = canonical[r["ticker"]]
        return rows

    def get_call(self, call_id: str) -> dict:
        call = self.store.call(call_id)
        if call is None:
            raise NotFoundError(f"no call {call_id!r} in the archive", "list the ids with `python -m archive calls`")
        call["turns"] = self.store.turns(call_id)
        return call

    def trend(self, text: str, tickers: tuple[str, ...] = (), years: tuple[int, int] | None = None) -> dict:
        """How often a query comes up per fiscal quarter: the turns and calls whose passages match its words
        (lexically, every match, not a top-k), and the share of each quarter's calls that mention it."""
        from .search import SearchQuery
        q = SearchQuery(text=text, tickers=tuple(tickers), years=years, mode="lexical").validated()
        filters = q.filters()
        hits = self.indexes.lexical.search(q.parsed(), filters, limit=TREND_MAX_PASSAGES, prune=False,
                                           fields=("text",))
        turns = {}
        for chunk_id, score in hits:
            t = turn_of(chunk_id)
            turns[t] = max(score, turns.get(t, 0.0))
        per = {}
        call_ids = sorted({call_of(t) for t in turns})
        meta = {}
        for i in range(0, len(call_ids), 500):
            part = call_ids[i:i + 500]
            for r in self.store.db.execute(
                    f"SELECT call_id, fiscal_year, fiscal_quarter FROM calls WHERE call_id IN "
                    f"({','.join('?' * len(part))})", part):
                meta[r[0]] = (r[1], r[2])
        for t, score in turns.items():
            y, qtr = meta.get(call_of(t), (None, None))
            if not y or not qtr:
                continue
            b = per.setdefault((y, qtr), {"turns": 0, "calls": set(), "score": 0.0})
            b["turns"] += 1
            b["calls"].add(call_of(t))
            b["score"] += score
        # calls on file per quarter (the denominator), under the same ticker and year filters
        sql, args = "SELECT fiscal_year, fiscal_quarter, count(*) FROM calls WHERE fiscal_year IS NOT NULL", []
        if q.tickers:
            sql += f" AND ticker IN ({','.join('?' * len(q.tickers))})"
            args += [t.upper() for t in q.tickers]
        if years:
            sql += " AND fiscal_year BETWEEN ? AND ?"
            args += list(years)
        totals = {(r[0], r[1]): r[2] for r in self.store.db.execute(sql + " GROUP BY 1, 2", args) if r[1]}
        quarters = []
        for (y, qtr) in sorted(set(totals) | set(per)):
            b = per.get((y, qtr), {"turns": 0, "calls": set(), "score": 0.0})
            n_calls = totals.get((y, qtr), 0)
            quarters.append({"year": y, "quarter": qtr, "period": f"{y}Q{qtr}", "turns": b["turns"],
                             "calls": len(b["calls"]), "calls_on_file": n_calls,
                             "share": round(len(b["calls"]) / n_calls, 4) if n_calls else 0.0,
                             "strength": round(b["score"], 2)})
        return {"query": text, "tickers": list(q.tickers), "years": list(years) if years else None,
                "quarters": quarters, "truncated": len(hits) >= TREND_MAX_PASSAGES}

    def get_turn(self, turn_id: str, context: int = 0) -> dict:
        """A turn with its call's metadata and up to `context` turns either side."""
        if not isinstance(context, int) or not 0 <= context <= 20:
            raise BadRequestError(f"context {context!r} is out of range", "use 0 to 20 turns either side")
        row = self.store.db.execute("SELECT call_id, position FROM turns WHERE turn_id = ?", (turn_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no turn {turn_id!r} in the archive", "turn ids look like KC-2020Q1:t012")
        call = self.store.call(row["call_id"])
        turns = [dict(r) for r in self.store.db.execute(
            "SELECT turn_id, position, speaker, title, role, section, text FROM turns WHERE call_id = ? "
            "AND position BETWEEN ? AND ? ORDER BY position",
            (row["call_id"], row["position"] - context, row["position"] + context))]
        turn = next(t for t in turns if t["turn_id"] == turn_id)
        call.pop("participants", None)
        return {"turn": turn, "call": call, "before": [t for t in turns if t["position"] < turn["position"]],
                "after": [t for t in turns if t["position"] > turn["position"]],
                "url": turn_url(self.settings.base_url, call["call_id"], turn_id),
                "citation": citation(call["company"], call["ticker"], call["fiscal_year"], call["fiscal_quarter"],
                                     turn["speaker"], turn["title"], turn["section"])}

    def prune_missing(self, root: str | Path) -> list[str]:
        """Delete the calls whose source files lay under root and are gone from disk. Returns their ids."""
        root = str(Path(root).resolve())
        gone = []
        for call_id, paths in self.store.db.execute(
                "SELECT call_id, group_concat(path, char(10)) FROM files GROUP BY call_id").fetchall():
            files = paths.split("\n")
            if all(f.startswith(root + os.sep) and not os.path.exists(f) for f in files):
                gone.append(call_id)
        for call_id in gone:
            self.store.delete_call(call_id)
        return gone

    def delete_call(self, call_id: str) -> None:
        if not self.store.delete_call(call_id):
            raise NotFoundError(f"no call {call_id!r} in the archive", "list the ids with `python -m archive calls`")


def _with_source_path(t, path: str):
    from dataclasses import replace
    return replace(t, source=replace(t.source, path=path))
