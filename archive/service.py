"""Archive: the one service object that the CLI, the web app, the MCP server and scripts all call."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from index.generations import Generations

from . import formats, results
from .chunk import chunk_transcript
from .companies import tickers_named
from .config import Settings
from .errors import ArchiveError, BadRequestError, InputFileError, NotFoundError, NotReadyError, StoreError
from .exchanges import contents, questions_of
from .formats.extract import to_text
from .formats.records import utterance_table
from .formats.report import describe, describe_failure
from .indexes import ReindexResult, engine_of, live_manifest, make_encoder
from .indexes import reindex as build_generation
from .models import SearchResults, parent_of, period_label
from .request import EXPORT_DEPTH, EXPORT_MAX, MAX_CONTEXT, WINDOW, SearchRequest, TrendRequest
from .saved import ALERT_HITS, FEED_ENTRIES, SavedSearches, described
from .searcher import Searcher, open_searcher
from .snippets import citation, turn_url
from .store import Store
from .webhooks import Sender

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
    warnings: list[str] = field(default_factory=list)     # what reading repaired or dropped (never silent)

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
                "failed": self.count(FAILED), "with_warnings": sum(1 for f in self.files if f.warnings),
                "turns_added": sum(f.turns for f in stored),
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
        self._searcher: Searcher | None = None
        self._encoder = None
        self._encoder_error: NotReadyError | None = None
        self._status = None                         # (key, index_status()) cached until the store or index changes
        self._companies = None                      # (store version, store.companies())
        self._lock = threading.Lock()
        self.index_error: StoreError | None = None    # why a newer generation could not be opened, if it could not
        self._saved: SavedSearches | None = None
        self._sender: Sender | None = None

    @classmethod
    def open(cls, settings: Settings | None = None, **overrides) -> "Archive":
        return cls(settings or Settings.from_env(**overrides))

    def close(self) -> None:
        if self._sender is not None:
            self._sender.stop()
        if self._searcher is not None:
            self._searcher.close()
        if "index.milvus_index" in sys.modules:      # an archive on Milvus lets go of its client
            sys.modules["index.milvus_index"].release(self)
        self.store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- ingest ------------------------------------------------------------------------------------------------

    @property
    def max_bytes(self) -> int:
        return int(self.settings.max_file_mb * 1e6)

    def ingest(self, paths: Iterable[str | Path], *, format: str | None = None, meta: dict | None = None,
               replace: bool = False, progress: Callable[[FileOutcome], None] | None = None,
               on_start: Callable[[int], None] | None = None, layout=None, explain: bool = False) -> IngestReport:
        """Ingest files and folders. Each file is one transaction; a bad file is reported and the batch goes on."""
        t0 = time.perf_counter()
        if format:
            formats.reader_named(format)
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
            data = formats.read_capped(Path(path), self.max_bytes)
            sidecar = formats.sidecar_meta(Path(path))
            fingerprint = hashlib.sha256(json.dumps(
                [hashlib.sha256(data).hexdigest(), formats.READERS_VERSION, format, sidecar, meta or {},
                 self.settings.chunk_words, self.settings.chunk_overlap, layout.fingerprint if layout else None],
                sort_keys=True).encode()).hexdigest()
            old = self.store.file(key)
            if old is not None and old["fingerprint"] == fingerprint and not explain:
                return FileOutcome(shown, UNCHANGED, old["call_id"], message="unchanged since the last ingest")
            text_for_failure = data
            reading = formats.read_file(Path(path), data=data, format=format, meta=meta, layout=layout,
                                        sidecar=sidecar)
            t = reading.transcript
            report = describe(reading) if explain else None
            if old is not None and old["fingerprint"] == fingerprint:
                return FileOutcome(shown, UNCHANGED, old["call_id"], message="unchanged since the last ingest",
                                   explain=report)
            t = _with_source_path(t, key)
            twin = next((f for f in self.store.same_content(t.source.sha256) if f["path"] != key and
                         (f["ticker"], f["company"], f["fiscal_year"], f["fiscal_quarter"]) ==
                         (t.ticker, t.company, t.year, t.quarter)), None)
            if twin is not None and not replace:
                return FileOutcome(shown, DUPLICATE, twin["call_id"], message=(
                    f"{shown}: the same bytes as {twin['call_id']}, already stored from {twin['path']}; not stored "
                    "twice (use --replace to keep this file instead)"))
            existing, other = self._stored_elsewhere(t.call_id, key)
            if other and reading.identified and not replace:
                return FileOutcome(shown, DUPLICATE, t.call_id, message=(
                    f"{shown}: same call as {t.call_id} (company and fiscal period), already stored from "
                    f"{other[0]['path']}; not stored twice (use --replace to keep this file instead)"))
            if other and not reading.identified:
                # Another call has the id this file's name gives, and nothing in either file says they are the
                # same call (and their bytes differ): this one is told apart by its content.
                t = dataclasses.replace(t, id_suffix=t.source.sha256[:8])
                existing, other = self._stored_elsewhere(t.call_id, key)
            cid = t.call_id
            drop = (old["call_id"],) if old is not None and old["call_id"] != cid else ()
            chunks = chunk_transcript(t, self.settings.chunk_words, self.settings.chunk_overlap)
            self.store.put_call(t, chunks, fingerprint, drop=drop)
            status = REPLACED if (existing or old is not None) else ADDED
            return FileOutcome(shown, status, cid, len(t.turns), len(chunks), explain=report,
                               warnings=reading.warnings)
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

    def _stored_elsewhere(self, call_id: str, key: str) -> tuple[dict | None, list[dict]]:
        """The stored call with this id, and its source files other than the one at key."""
        existing = self.store.call(call_id)
        return existing, [f for f in existing["files"] if f["path"] != key] if existing else []

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
        if not path.is_file():
            raise InputFileError(f"{path}: no such file (or not a regular file)", "check the path")
        data = None
        try:
            data = formats.read_capped(path, self.max_bytes)
            return describe(formats.read_file(path, data=data, format=format, meta=meta, layout=layout),
                            first_turns=first_turns)
        except InputFileError as e:
            return self._failure(path, e, data)

    # ---- search ------------------------------------------------------------------------------------------------

    @property
    def encoder(self):
        """The embedding model, loaded once on first use (a lexical search never loads it)."""
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    if self._encoder_error is not None:     # tried once: a missing model stays missing
                        raise self._encoder_error
                    try:
                        self._encoder = make_encoder(self.settings.encoder, self.settings.device,
                                                     self.settings.precision)
                    except NotReadyError as e:
                        self._encoder_error = e
                        raise
        return self._encoder

    @property
    def searcher(self) -> Searcher:
        """The live generation as a Searcher. When CURRENT has moved on, the new generation is opened and
        checked with its company directory; if it cannot be used, the one already open keeps serving (and
        index_error says why)."""
        live = Generations(self.settings.index_path).current()
        current = self._searcher
        if current is None or (live and live != current.name):
            with self._lock:
                if self._searcher is current:
                    try:
                        fresh = open_searcher(self.settings, self.store, lambda: self.encoder, holder=self)
                    except StoreError as e:
                        if current is None:
                            raise
                        self.index_error = e
                    else:
                        if fresh.vector is None and current is not None and current.vector is not None:
                            # a newer generation whose vectors are damaged: the complete one keeps serving
                            self.index_error = StoreError(fresh.vector_error, "rebuild it", command="reindex --full")
                        else:
                            # The searcher being replaced is not closed here: searches in other threads may still
                            # be reading it. Its files close when the last of them lets go of it.
                            self._searcher, self.index_error = fresh, None
        return self._searcher

    def warm(self) -> dict:
        """Open the live generation and load the model, and run one search of each leg, so that the first
        request is answered as fast as the tenth. Returns readiness (see readiness())."""
        for mode in ("lexical", "hybrid"):
            try:
                self.search(SearchRequest.build(text="revenue outlook", limit=3, mode=mode))
            except StoreError:
                pass        # no index, or no model: readiness says so, search answers 503 with the next step
        return self.readiness()

    def readiness(self) -> dict:
        """{ready, index, index_error, model, degraded}: ready when the live generation is open and searches are
        answered at full speed (the model loaded, when it can be); degraded: what does not work (semantic and
        hybrid search without a model or a usable vector index), while lexical search answers."""
        out = {"ready": False, "index": None, "index_error": None, "model": self._encoder is not None,
               "degraded": None}
        try:
            searcher = self.searcher
            getattr(searcher.lexical, "ping", lambda: None)()      # an engine on a server (Milvus): it answers
            out["index"] = searcher.name
            if self.index_error is not None:    # a newer generation was refused; this one keeps serving
                out["index_error"] = self.index_error.message
            try:
                searcher.semantic_ready(load_model=self._encoder is not None or self._encoder_error is not None)
            except NotReadyError as e:
                out["degraded"] = e.message
        except StoreError as e:
            out["index_error"] = e.message
        out["ready"] = out["index"] is not None and (out["model"] or out["degraded"] is not None)
        return out

    def readiness_error(self) -> StoreError | None:
        """Why searches cannot be answered now (no index, an unusable one, a missing model), or None."""
        try:
            self.searcher
            self.encoder
        except StoreError as e:
            return e
        return None

    def index_status(self) -> dict:
        """How the live generation stands against the store: calls stored, calls searchable, calls stored since
        the last build (pending: new or changed) and calls deleted since (still in the index)."""
        key = (Generations(self.settings.index_path).current(), self.store.version())
        if self._status is None or self._status[0] != key:
            stored = self.store.call_versions()
            manifest = live_manifest(self.settings.index_path)
            indexed = manifest.get("calls", {}) if manifest is not None else None
            status = {"calls_stored": len(stored), "generation": key[0], "indexed": indexed is not None,
                      "pending": sorted(c for c, v in stored.items() if (indexed or {}).get(c) != v),
                      "removed": sorted(c for c in (indexed or {}) if c not in stored),
                      "lexical_engine": engine_of(manifest) if manifest else None,
                      "vector_kind": (manifest or {}).get("vector_kind"),
                      "precision": (manifest or {}).get("precision")}
            self._status = (key, status)
        return self._status[1]

    def pending_notice(self) -> NotReadyError | None:
        """A notice when some stored calls are not searchable yet, with the fix; None when the index is up to date
        (or not built at all: searching says so)."""
        s = self.index_status()
        if not s["indexed"] or not (s["pending"] or s["removed"]):
            return None
        parts = ([f"{len(s['pending'])} stored call{'s are' if len(s['pending']) != 1 else ' is'} not searchable yet "
                  f"(e.g. {s['pending'][0]})"] if s["pending"] else []) + \
            ([f"{len(s['removed'])} deleted call{'s are' if len(s['removed']) != 1 else ' is'} still in the index"]
             if s["removed"] else [])
        return NotReadyError("; ".join(parts), "bring the search index up to date with the store", command="reindex")

    def reindex(self, *, full: bool = False, progress=None, log=lambda s: None) -> ReindexResult:
        """Bring both indexes up to date with the store as a new generation (only calls added, changed or deleted
        since the live one; everything with full=True), embedding only passages never embedded before. Then the
        saved searches are run against the calls that became searchable (check_saved): their new hits are
        recorded and webhook deliveries queued (never sent from here: see webhooks.py)."""
        before = set((live_manifest(self.settings.index_path) or {}).get("calls") or {})
        result = build_generation(self.store, self.settings.index_path, self.settings, lambda: self.encoder,
                                  full=full, progress=progress, log=log, holder=self)
        if result.outcome == "built":
            indexed = set(result.manifest.get("calls") or {})
            added = indexed - before
            try:
                # every call new (a first build): no need to name them all to the engines
                result.alerts = self.check_saved(added, result.generation, every=added == indexed)
            except Exception as e:      # the new generation is live whatever happens to the alerts
                log(f"saved searches were not checked: {type(e).__name__}: {e}")
                result.alerts = {"error": f"{type(e).__name__}: {e}"}
        return result

    def search(self, request: SearchRequest) -> SearchResults:
        """Rank turns for the request against the live generation, read them from the store and shape the results
        (match strength and floor, questions with their answers, facets, order, groups, page: results.py). The
        request is checked before anything heavy runs."""
        t0 = time.perf_counter()
        q, warnings, parsed = self._checked(request)
        searcher = self.searcher
        ranking = searcher.rank(q, parsed)
        return self._answer(q, self._shaped(q, ranking, searcher), ranking, t0, warnings)

    def _checked(self, request: SearchRequest):
        """(the request validated, with a company filter as its tickers; warnings of tickers not on file; its query
        parsed). NotFoundError when nothing a ticker or company filter names is on file."""
        q = request.validated()
        warnings = self._unknown_filters(q)
        q = self._company_as_tickers(q)
        return q, warnings, q.parsed()

    def _shaped(self, q: SearchRequest, ranking, searcher, snippets: bool = True):
        return results.shape(q, ranking, searcher, self.store, self.settings.base_url,
                             lambda xs: self.encoder.encode(xs), snippets=snippets)

    def _answer(self, q: SearchRequest, shaped, ranking, t0: float, warnings: list[str]) -> SearchResults:
        return SearchResults(q, shaped.hits, shaped.total, (time.perf_counter() - t0) * 1000, ranking.weights,
                             notice=self.pending_notice(), calls=shaped.calls, weak=shaped.weak, floor=q.floor,
                             groups=shaped.groups, facets=shaped.facets, warnings=warnings)

    def export(self, request: SearchRequest, max_hits: int = EXPORT_MAX, *, calls=None,
               snippets: bool = True) -> SearchResults:
        """Every match of a search, up to max_hits (1 to EXPORT_MAX), for a CSV or XLSX export (archive/export.py):
        the same search as search() (validation, filters, floor, unit, sort) as one flat list (page 1, limit
        max_hits, not grouped). It opens with the matches of the search's own window, in the order a search shows
        them; when they are not more than max_hits, a ranking of EXPORT_DEPTH times as many turns adds the rest
        (results.extended). total > len(hits): the cap cut the matches short. The answer's query is the flat
        request that ran. calls: only the turns of these calls (a saved search's alert). snippets=False: hits
        without snippets (a file has the passage: they are half the cost of a thousand hits)."""
        t0 = time.perf_counter()
        if isinstance(max_hits, bool) or not isinstance(max_hits, int) or not 1 <= max_hits <= EXPORT_MAX:
            raise BadRequestError(f"max {max_hits!r} is out of range: use 1 to {EXPORT_MAX} hits", param="max",
                                  example=str(EXPORT_MAX))
        q, warnings, parsed = self._checked(request)
        # replace() does not validate again: the page size of a search (MAX_LIMIT) does not bound an export
        q = dataclasses.replace(q, page=1, limit=max_hits, group="none")
        searcher = self.searcher
        ranking = searcher.rank(q, parsed, calls=calls)
        shaped = self._shaped(q, ranking, searcher, snippets)
        if shaped.total <= max_hits:    # the search's window holds no more than the cap: rank deeper for the rest
            deep = dataclasses.replace(q, limit=max_hits + 1)
            window = EXPORT_DEPTH * max(max_hits, WINDOW)
            deeper = self._shaped(deep, searcher.rank(deep, parsed, window=window, calls=calls), searcher, snippets)
            shaped = results.extended(shaped, deeper, max_hits, q)
        return self._answer(q, shaped, ranking, t0, warnings)

    def _unknown_filters(self, q: SearchRequest) -> list[str]:
        """A ticker or company filter that names nothing on file: NotFoundError when nothing the filter names is
        on file (a search would silently find nothing), else a warning per unknown ticker."""
        if not q.tickers and not q.company:
            return []
        companies = self.companies_on_file()
        known = {c.ticker for c in companies if c.ticker}
        unknown = [t for t in q.tickers if t.upper() not in known]
        if q.company and not tickers_named(companies, q.company) and not any(
                (c.name or "").lower() == q.company.strip().lower() for c in companies):
            raise NotFoundError(f"no company {q.company[:80]!r} on file", _closest(q.company, [
                c.name for c in companies if c.name]), param="company")
        if unknown and len(unknown) == len(q.tickers):
            raise NotFoundError(f"no calls of ticker{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} on file",
                                _closest(unknown[0], sorted(known)), param="ticker")
        return [f"no calls of ticker {t} on file: searched the other tickers" for t in unknown]

    def _company_as_tickers(self, query: SearchRequest) -> SearchRequest:
        """A company filter names a company by its canonical name or any alias: it becomes the filter on its
        tickers (within the tickers asked for, if any). A name that is no ticker's stays a filter on the name the
        calls were stored with."""
        if not query.company:
            return query
        named = tickers_named(self.companies_on_file(), query.company)
        if not named:
            return query
        if query.tickers:
            named = tuple(t for t in query.tickers if t.upper() in named)
            if not named:
                return query          # this company under none of those tickers: nothing matches both
        return dataclasses.replace(query, company=None, tickers=named)

    # ---- reads -------------------------------------------------------------------------------------------------

    def stats(self) -> dict:
        """What the store holds, and how much of it the live index makes searchable."""
        s = self.store.stats()
        ix = self.index_status()
        s["index"] = {"generation": ix["generation"] if ix["indexed"] else None,
                      "calls_searchable": ix["calls_stored"] - len(ix["pending"]) if ix["indexed"] else 0,
                      "pending": len(ix["pending"]), "removed": len(ix["removed"]),
                      "lexical_engine": ix["lexical_engine"], "vector_kind": ix["vector_kind"],
                      "precision": ix["precision"]}
        return s

    def companies(self) -> list[dict]:
        """Each ticker on file with its canonical company name, the aliases its calls use, and its number of calls."""
        return [c.to_dict() for c in self.companies_on_file()]

    def companies_on_file(self):
        """The store's companies (store.companies), kept until the store changes: every filtered search reads
        them, and building them takes tens of milliseconds at a thousand calls."""
        key = self.store.version()
        cached = self._companies
        if cached is None or cached[0] != key:
            cached = self._companies = (key, self.store.companies())
        return cached[1]

    def calls(self, ticker: str | None = None, year: int | None = None, company: str | None = None) -> list[dict]:
        """Calls on file, each under its ticker's canonical company name (the name read from the file stays in
        company_as_read). company: a canonical name or an alias."""
        companies = self.companies_on_file()
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

    def marker(self, text: str):
        """What of a text the query `text` matches, as the live lexical engine reads it (the call viewer marks
        it); marks nothing for a query that does not parse or while no index can be opened."""
        from index.query import QuerySyntaxError, parse
        from .snippets import no_marks
        try:
            return self.searcher.marker(parse(text)) if text.strip() else no_marks
        except (QuerySyntaxError, ArchiveError):
            return no_marks

    def get_call(self, call_id: str) -> dict:
        call = self.store.call(call_id)
        if call is None:
            raise NotFoundError(f"no call {call_id[:80]!r} in the archive", "list the ids of the calls on file",
                                command="calls")
        call["turns"] = self.store.turns(call_id)
        asked = questions_of(call["turns"])
        for t in call["turns"]:
            t["question_position"] = asked.get(t["position"])
        call["contents"] = contents(call["turns"])
        return call

    def trend(self, request) -> dict:
        """How often each term comes up per fiscal quarter, compared (a TrendRequest; a SearchRequest is read as
        one term with its tickers and years). For each term, one lexical pass finds every turn whose passages
        match its words (every match, not a top-k); per quarter a series counts those turns, the calls they are
        in and the share of the quarter's calls on file that mention it. split=company partitions each term's
        matches by their call's ticker: one series per ticker of the set and term, each over that ticker's calls.
        Every series has the same quarters: those on file under the ticker and year filters."""
        if isinstance(request, SearchRequest):
            request = TrendRequest.build(terms=(request.text,), tickers=request.tickers, years=request.years)
        req = request.validated()
        searches = [req.search(term) for term in req.terms]      # every term checked before any search runs
        warnings = self._unknown_filters(searches[0])
        split = req.split == "company"
        names = {c.ticker: c.name for c in self.companies_on_file() if c.ticker}
        panels = [t for t in req.tickers if t in names] if split else [None]
        totals = {None: self.store.calls_per_quarter(req.tickers, req.years)}     # the denominators
        if split:
            totals.update((t, self.store.calls_per_quarter((t,), req.years)) for t in panels)
        matched = [(term, *self.searcher.matching_turns(q, TREND_MAX_PASSAGES))      # one pass per term
                   for term, q in zip(req.terms, searches)]
        where = self.store.tickers_and_periods_of({parent_of(t) for _, turns, _ in matched for t in turns})
        axis = sorted(set(totals[None]) | {(y, qtr) for _, y, qtr in where.values() if y and qtr})
        series = []
        for panel in panels:
            for term, turns, truncated in matched:
                per = {}
                for t, score in turns.items():
                    ticker, y, qtr = where.get(parent_of(t), (None, None, None))
                    if not y or not qtr or (split and (ticker or "").upper() != panel):
                        continue
                    b = per.setdefault((y, qtr), {"turns": 0, "calls": set(), "score": 0.0})
                    b["turns"] += 1
                    b["calls"].add(parent_of(t))
                    b["score"] += score
                quarters = []
                for (y, qtr) in axis:
                    b = per.get((y, qtr), {"turns": 0, "calls": set(), "score": 0.0})
                    n_calls = totals[panel].get((y, qtr), 0)
                    quarters.append({"year": y, "quarter": qtr, "period": period_label(y, qtr), "turns": b["turns"],
                                     "calls": len(b["calls"]), "calls_on_file": n_calls,
                                     "share": round(len(b["calls"]) / n_calls, 4) if n_calls else 0.0,
                                     "strength": round(b["score"], 2)})
                series.append({"term": term, "ticker": panel, "company": names.get(panel) if panel else None,
                               "quarters": quarters, "truncated": truncated,
                               "turns": sum(x["turns"] for x in quarters), "calls": sum(x["calls"] for x in quarters)})
        out = {"terms": list(req.terms), "tickers": list(req.tickers), "years": list(req.years) if req.years else None,
               "split": req.split, "measure": req.measure, "series": series, "warnings": warnings}
        if len(req.terms) == 1 and not split:           # the single-term shape clients read before comparisons
            out.update(query=req.terms[0], quarters=series[0]["quarters"], truncated=series[0]["truncated"])
        return out

    def get_turn(self, turn_id: str, context: int = 0) -> dict:
        """A turn with its call's metadata and up to `context` turns either side."""
        if not isinstance(context, int) or not 0 <= context <= MAX_CONTEXT:
            raise BadRequestError(f"context {context!r} is out of range: use 0 to {MAX_CONTEXT} turns either side",
                                  param="context", example="2")
        found = self.store.turn_in_context(turn_id, context)
        if found is None:
            raise NotFoundError(f"no turn {turn_id[:80]!r} in the archive", "turn ids look like KC-2020Q1:t012")
        call_id, turns = found
        call = self.store.call(call_id)
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
        gone = [call_id for call_id, files in self.store.sources_by_call().items()
                if all(f.startswith(root + os.sep) and not os.path.exists(f) for f in files)]
        for call_id in gone:
            self.store.delete_call(call_id)
        return gone

    def delete_call(self, call_id: str) -> None:
        if not self.store.delete_call(call_id):
            raise NotFoundError(f"no call {call_id[:80]!r} in the archive", "list the ids of the calls on file",
                                command="calls")

    # ---- saved searches and their alerts (archive/saved.py, archive/webhooks.py) --------------------------------

    @property
    def saved(self) -> SavedSearches:
        if self._saved is None:
            with self._lock:
                if self._saved is None:
                    self._saved = SavedSearches(self.store)
        return self._saved

    def save_search(self, name: str, request: SearchRequest, webhook: str | None = None, *,
                    replace: bool = False) -> dict:
        """Keep a search under a name (its query and filters; the page is not kept). A ticker or company not on
        file yet is allowed (the alert waits for its calls) and said in `warnings`."""
        q = request.validated()
        q.parsed()
        try:
            warnings = self._unknown_filters(q)
        except NotFoundError as e:
            warnings = [f"{e.message} yet: the saved search finds its calls once they are ingested"]
        out = self.describe_saved(self.saved.add(name, q, webhook, replace=replace))
        out["warnings"] = warnings
        return out

    def saved_searches(self) -> list[dict]:
        return [self.describe_saved(s) for s in self.saved.all()]

    def saved_search(self, name: str) -> dict:
        """One saved search with its counts, its latest recorded hits and webhook deliveries."""
        s = self.saved.get(name)
        return {**self.describe_saved(s), "recorded_hits": self.saved.recorded(s),
                "deliveries": self.saved.deliveries(s.slug, limit=20)}

    def describe_saved(self, s) -> dict:
        base = self.settings.base_url.rstrip("/")
        return {**s.to_dict(), **self.saved.counts(s), "described": described(s.request),
                "feed_url": f"{base}/feeds/{s.slug}.atom", "url": f"{base}/saved/{s.slug}"}

    def remove_saved(self, name: str) -> dict:
        return self.saved.remove(name).to_dict()

    def saved_results(self, name: str, *, page: int = 1, visit: bool = True) -> tuple[dict, SearchResults, dict]:
        """A saved search run now (page `page`), with the turn ids among its recorded hits that are new since it
        was last looked at (turn_id -> when recorded); visit: this counts as looking at it."""
        s = self.saved.get(name)
        results = self.search(dataclasses.replace(s.request, page=page).validated())
        new = self.saved.found_since(s, s.visited_at)
        if visit:
            self.saved.visited(s)
        return self.describe_saved(s), results, new

    def saved_feed(self, name: str) -> tuple[dict, list[dict]]:
        """A saved search and the hits its feed carries (the latest recorded, newest first)."""
        s = self.saved.get(name)
        return self.describe_saved(s), self.saved.recorded(s, FEED_ENTRIES)

    def check_saved(self, calls, generation: str, every: bool = False) -> dict:
        """Run every saved search against these calls (those that became searchable in this index build; every:
        they are all the calls indexed) and record the hits not recorded before; queue a webhook delivery for each
        saved search with new hits."""
        out = {"saved_searches": 0, "new_hits": 0, "deliveries": 0, "failed": []}
        saved = self.saved.all() if calls else []
        for s in saved:
            out["saved_searches"] += 1
            try:
                hits = self.export(s.request, ALERT_HITS, calls=None if every else sorted(calls)).hits
            except NotFoundError:           # its tickers have no calls on file yet: nothing can match
                hits = []
            except ArchiveError as e:
                self.saved.failed(s, generation, str(e))
                out["failed"].append({"name": s.name, "error": str(e)})
                continue
            new = self.saved.record(s, hits, generation)
            out["new_hits"] += len(new)
            out["deliveries"] += bool(new and s.webhook)
        if out["deliveries"] and self._sender is not None:
            self._sender.wake()
        return out

    def webhook_sender(self) -> Sender:
        """The one sender of this archive's webhook deliveries (start() it to send in the background)."""
        if self._sender is None:
            st = self.settings
            self._sender = Sender(self.saved, timeout=st.webhook_timeout, attempts=st.webhook_attempts,
                                  backoff=st.webhook_backoff, secret=st.webhook_secret)
        return self._sender


def _closest(name: str, on_file: list[str]) -> str:
    """A hint naming the values on file closest to a mistyped one."""
    import difflib
    close = difflib.get_close_matches(name.upper(), [x.upper() for x in on_file], n=3, cutoff=0.5)
    named = [next(x for x in on_file if x.upper() == c) for c in close]
    return f"did you mean {' or '.join(named)}?" if named else "check the spelling against the calls on file"


def _with_source_path(t, path: str):
    return dataclasses.replace(t, source=dataclasses.replace(t.source, path=path))
