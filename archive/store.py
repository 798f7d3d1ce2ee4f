"""SQLite: the system of record for calls, turns, chunks and the files they came from. One file under the
archive home, WAL journal, one transaction per call (a failure leaves nothing half-stored)."""
from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path

from .companies import Company, canonical
from .errors import StoreError
from .models import Chunk, Transcript, turn_id

SCHEMA_VERSION = 5
SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    call_id TEXT PRIMARY KEY,
    company TEXT, ticker TEXT, exchange TEXT,
    company_source TEXT,
    fiscal_year INTEGER, fiscal_quarter INTEGER, call_date TEXT, title TEXT,
    participants TEXT NOT NULL DEFAULT '[]',
    n_turns INTEGER NOT NULL, n_chunks INTEGER NOT NULL,
    ingested_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX IF NOT EXISTS calls_ticker ON calls(ticker, fiscal_year, fiscal_quarter);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    call_id TEXT NOT NULL REFERENCES calls(call_id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL, format TEXT NOT NULL, size INTEGER NOT NULL,
    fingerprint TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS files_call ON files(call_id);
CREATE INDEX IF NOT EXISTS files_sha ON files(sha256);
CREATE TABLE IF NOT EXISTS turns (
    turn_id TEXT PRIMARY KEY,
    call_id TEXT NOT NULL REFERENCES calls(call_id) ON DELETE CASCADE,
    position INTEGER NOT NULL, speaker TEXT NOT NULL, title TEXT, role TEXT NOT NULL, section TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS turns_order ON turns(call_id, position);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY,
    turn_id TEXT NOT NULL REFERENCES turns(turn_id) ON DELETE CASCADE,
    call_id TEXT NOT NULL REFERENCES calls(call_id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, text TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_call ON chunks(call_id);
CREATE INDEX IF NOT EXISTS chunks_turn ON chunks(turn_id);
CREATE TABLE IF NOT EXISTS saved_searches (
    slug TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    request TEXT NOT NULL,                      -- the search's fields as JSON (archive/saved.py KEPT_FIELDS)
    webhook TEXT,
    created_at TEXT NOT NULL,
    checked_at TEXT,                            -- the last index build it was run against
    checked_generation TEXT,
    visited_at TEXT,                            -- the last time its results were looked at
    last_error TEXT                             -- why the last check failed, if it did
);
CREATE TABLE IF NOT EXISTS saved_hits (
    slug TEXT NOT NULL REFERENCES saved_searches(slug) ON DELETE CASCADE,
    turn_id TEXT NOT NULL,                      -- no reference to turns: the history outlives a replaced call
    call_id TEXT NOT NULL,
    found_at TEXT NOT NULL,
    generation TEXT NOT NULL,
    hit TEXT NOT NULL,                          -- the hit as found (citation, snippet, match, ...) as JSON
    PRIMARY KEY (slug, turn_id)
);
CREATE INDEX IF NOT EXISTS saved_hits_found ON saved_hits(slug, found_at);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL REFERENCES saved_searches(slug) ON DELETE CASCADE,
    url TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',     -- pending | delivered | failed (given up)
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,                      -- unix time of the next attempt
    lease_until REAL NOT NULL DEFAULT 0,        -- a sender holds it until then (several processes may send)
    delivered_at TEXT,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(status, next_at);
CREATE TABLE IF NOT EXISTS changes (
    what TEXT PRIMARY KEY,                      -- 'calls': every change to calls, turns, chunks or files
    n INTEGER NOT NULL
);
"""
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"       # a webhook delivery's status


class Store:
    """One SQLite connection per thread (a web server's threads each get their own), opened on first use."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"{self.path} was written by a newer version (schema {version})",
                                 "upgrade this program, or point --home elsewhere")
            if version < SCHEMA_VERSION:
                with self.transaction():
                    for stmt in SCHEMA.split(";"):
                        if stmt.strip():
                            self.db.execute(stmt)
                    # schema 5 adds the change counter, 4 the saved searches' tables, 3 an index (all created
                    # above)
                    # schema 2: where each call's company name came from (older rows: unknown)
                    if "company_source" not in {r[1] for r in self.db.execute("PRAGMA table_info(calls)")}:
                        self.db.execute("ALTER TABLE calls ADD COLUMN company_source TEXT")
                    self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as e:
            raise StoreError(f"cannot open the archive at {self.path}: {e}",
                             "check the path and permissions; a damaged file can be rebuilt by re-ingesting") from None

    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self):
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all = []
        self._local = threading.local()

    @contextmanager
    def transaction(self):
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    def version(self) -> int:
        """Changes whenever the calls have changed, in any process (for the caches of what they hold); writes to
        the saved searches and their deliveries leave it alone."""
        row = self.db.execute("SELECT n FROM changes WHERE what = 'calls'").fetchone()
        return row[0] if row else 0

    @staticmethod
    def _calls_changed(db) -> None:
        db.execute("INSERT INTO changes (what, n) VALUES ('calls', 1) ON CONFLICT(what) DO UPDATE SET n = n + 1")

    # ---- reads -------------------------------------------------------------------------------------------------

    def file(self, path: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM files WHERE path = ?", (path,)).fetchone()

    def same_content(self, sha256: str) -> list[dict]:
        """The stored files with these bytes, with their call's identity (ticker, company, fiscal period)."""
        return [dict(r) for r in self.db.execute(
            "SELECT f.path, f.call_id, k.ticker, k.company, k.fiscal_year, k.fiscal_quarter FROM files f "
            "JOIN calls k USING (call_id) WHERE f.sha256 = ?", (sha256,))]

    def files_of(self, call_id: str) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM files WHERE call_id = ? ORDER BY path", (call_id,)).fetchall()

    def call(self, call_id: str) -> dict | None:
        row = self.db.execute("SELECT * FROM calls WHERE call_id = ?", (call_id,)).fetchone()
        return _call_dict(row, self.files_of(call_id)) if row else None

    def calls(self, ticker: str | None = None, year: int | None = None, limit: int | None = None) -> list[dict]:
        sql, args = ("SELECT calls.*, (SELECT json_group_array(json_object('path', f.path, 'format', f.format)) "
                     "FROM files f WHERE f.call_id = calls.call_id) AS source_files FROM calls WHERE 1=1"), []
        if ticker:
            sql += " AND ticker = ?"
            args.append(ticker.upper())
        if year:
            sql += " AND fiscal_year = ?"
            args.append(int(year))
        sql += " ORDER BY coalesce(ticker, company), fiscal_year, fiscal_quarter, call_id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [_call_dict(r) for r in self.db.execute(sql, args)]

    def companies(self) -> list[Company]:
        """One canonical name per ticker, with the other names its calls were stored with as aliases (the rule is
        in companies.py); calls without a ticker are each company by their own name."""
        return canonical(tuple(r) for r in self.db.execute(
            "SELECT ticker, company, company_source, count(*) FROM calls GROUP BY ticker, company, company_source"))

    def turns(self, call_id: str) -> list[dict]:
        return [dict(r) for r in self.db.execute(
            "SELECT turn_id, position, speaker, title, role, section, text FROM turns WHERE call_id = ? "
            "ORDER BY position", (call_id,))]

    def chunks(self, call_id: str) -> list[dict]:
        return [dict(r) for r in self.db.execute(
            "SELECT chunk_id, turn_id, idx, text, start, \"end\" FROM chunks WHERE call_id = ? ORDER BY chunk_id",
            (call_id,))]

    def clone_calls(self, source_ids: list[str], id_suffix: str, ticker_suffix: str, company_suffix: str) -> int:
        """Copy calls, with their files, turns and chunks, under new ids (call id + id_suffix), tickers (ticker +
        ticker_suffix) and company names (+ company_suffix): the text stays as it was. For benchmarks at scale
        (scripts/make_10x.py). Returns the calls copied."""
        with self.transaction() as db:
            self._calls_changed(db)
            for part in _batches(sorted(source_ids)):
                marks = ",".join("?" * len(part))
                db.execute(
                    "INSERT INTO calls (call_id, company, ticker, exchange, company_source, fiscal_year, fiscal_quarter, "
                    "call_date, title, participants, n_turns, n_chunks) SELECT call_id || ?, company || ?, "
                    "ticker || ?, exchange, company_source, fiscal_year, fiscal_quarter, call_date, title, "
                    f"participants, n_turns, n_chunks FROM calls WHERE call_id IN ({marks})",
                    (id_suffix, company_suffix, ticker_suffix, *part))
                db.execute("INSERT INTO files (path, call_id, sha256, format, size, fingerprint) SELECT path || '#' || ?, "
                           f"call_id || ?, sha256, format, size, fingerprint FROM files WHERE call_id IN ({marks})",
                           (id_suffix, id_suffix, *part))
                db.execute("INSERT INTO turns (turn_id, call_id, position, speaker, title, role, section, text) "
                           "SELECT call_id || ? || substr(turn_id, length(call_id) + 1), call_id || ?, position, "
                           f"speaker, title, role, section, text FROM turns WHERE call_id IN ({marks})",
                           (id_suffix, id_suffix, *part))
                db.execute("INSERT INTO chunks (chunk_id, turn_id, call_id, idx, text, start, \"end\") "
                           "SELECT call_id || ? || substr(chunk_id, length(call_id) + 1), "
                           "call_id || ? || substr(turn_id, length(call_id) + 1), call_id || ?, idx, text, start, "
                           f"\"end\" FROM chunks WHERE call_id IN ({marks})", (id_suffix, id_suffix, id_suffix, *part))
        return len(source_ids)

    def call_versions(self) -> dict[str, str]:
        """A version per stored call: its source files' fingerprints (which change with content, metadata and
        chunk settings)."""
        return {r[0]: r[1] for r in self.db.execute(
            "SELECT call_id, group_concat(fingerprint, ',') FROM (SELECT call_id, fingerprint FROM files "
            "ORDER BY call_id, path) GROUP BY call_id")}

    def call_identities(self) -> list[tuple]:
        """(call_id, ticker, company, fiscal_quarter) of every call, for reading queries against the archive."""
        return [tuple(r) for r in self.db.execute("SELECT call_id, ticker, company, fiscal_quarter FROM calls")]

    def periods_of(self, call_ids) -> dict[str, tuple]:
        """call_id -> (fiscal_year, fiscal_quarter)."""
        out = {}
        for part in _batches(sorted(call_ids)):
            for r in self.db.execute(f"SELECT call_id, fiscal_year, fiscal_quarter FROM calls WHERE call_id IN "
                                     f"({','.join('?' * len(part))})", part):
                out[r[0]] = (r[1], r[2])
        return out

    def tickers_and_periods_of(self, call_ids) -> dict[str, tuple]:
        """call_id -> (ticker, fiscal_year, fiscal_quarter), for a trend split by company."""
        out = {}
        for part in _batches(sorted(call_ids)):
            for r in self.db.execute(f"SELECT call_id, ticker, fiscal_year, fiscal_quarter FROM calls WHERE call_id "
                                     f"IN ({','.join('?' * len(part))})", part):
                out[r[0]] = (r[1], r[2], r[3])
        return out

    def calls_per_quarter(self, tickers=(), years: tuple[int, int] | None = None) -> dict[tuple[int, int], int]:
        """(fiscal_year, fiscal_quarter) -> calls on file, under a ticker and year filter."""
        sql, args = "SELECT fiscal_year, fiscal_quarter, count(*) FROM calls WHERE fiscal_year IS NOT NULL", []
        if tickers:
            sql += f" AND ticker IN ({','.join('?' * len(tickers))})"
            args += [t.upper() for t in tickers]
        if years:
            sql += " AND fiscal_year BETWEEN ? AND ?"
            args += list(years)
        return {(r[0], r[1]): r[2] for r in self.db.execute(sql + " GROUP BY 1, 2", args) if r[1]}

    def turn_in_context(self, turn_id: str, context: int) -> tuple[str, list[dict]] | None:
        """(call_id, the turn and up to `context` turns either side, in order), or None when there is no such
        turn."""
        row = self.db.execute("SELECT call_id, position FROM turns WHERE turn_id = ?", (turn_id,)).fetchone()
        if row is None:
            return None
        return row["call_id"], [dict(r) for r in self.db.execute(
            "SELECT turn_id, position, speaker, title, role, section, text FROM turns WHERE call_id = ? "
            "AND position BETWEEN ? AND ? ORDER BY position",
            (row["call_id"], row["position"] - context, row["position"] + context))]

    def hit_rows(self, turn_ids) -> dict[str, dict]:
        """turn_id -> the turn with its call's metadata and the call's first source file (path)."""
        out = {}
        for part in _batches(list(turn_ids)):
            for r in self.db.execute(
                    "SELECT t.turn_id, t.call_id, t.position, t.speaker, t.title, t.role, t.section, t.text, "
                    "k.company, k.ticker, k.fiscal_year, k.fiscal_quarter, k.call_date, "
                    "(SELECT f.path FROM files f WHERE f.call_id = t.call_id ORDER BY f.path LIMIT 1) AS path "
                    f"FROM turns t JOIN calls k USING (call_id) WHERE t.turn_id IN ({','.join('?' * len(part))})",
                    part):
                out[r["turn_id"]] = dict(r)
        return out

    def turn_roles(self, call_ids) -> dict[str, list[dict]]:
        """call_id -> its turns' (turn_id, position, role, section), in order: what exchanges.py reads."""
        out: dict[str, list[dict]] = {}
        for part in _batches(sorted(set(call_ids))):
            for r in self.db.execute("SELECT call_id, turn_id, position, role, section FROM turns WHERE call_id IN "
                                     f"({','.join('?' * len(part))}) ORDER BY call_id, position", part):
                out.setdefault(r[0], []).append({"turn_id": r[1], "position": r[2], "role": r[3], "section": r[4]})
        return out

    def turn_texts(self, turn_ids) -> dict[str, str]:
        return self._texts("turns", "turn_id", turn_ids)

    def chunk_texts(self, chunk_ids) -> dict[str, str]:
        return self._texts("chunks", "chunk_id", chunk_ids)

    def _texts(self, table: str, key: str, ids) -> dict[str, str]:
        out = {}
        for part in _batches(list(ids)):
            out.update((r[0], r[1]) for r in self.db.execute(
                f"SELECT {key}, text FROM {table} WHERE {key} IN ({','.join('?' * len(part))})", part))
        return out

    def chunk_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT chunk_id FROM chunks")]

    def passages(self, calls: list[str] | None = None, limit: int | None = None) -> list[dict]:
        """Every chunk (or those of the given calls) with the call and turn fields the indexes need, in a stable
        order."""
        sql = ("SELECT c.chunk_id, c.turn_id, c.call_id, c.text, t.position, t.speaker, t.role, t.section, "
               "k.ticker, k.company, k.fiscal_year, k.fiscal_quarter, k.call_date "
               "FROM chunks c JOIN turns t USING (turn_id) JOIN calls k ON k.call_id = c.call_id ")
        if calls is None:
            return [dict(r) for r in self.db.execute(sql + "ORDER BY c.call_id, t.position, c.idx" +
                                                     (f" LIMIT {int(limit)}" if limit else ""))]
        out = []
        for part in _batches(sorted(calls)):
            out += [dict(r) for r in self.db.execute(
                sql + f"WHERE c.call_id IN ({','.join('?' * len(part))}) ORDER BY c.call_id, t.position, c.idx", part)]
        return out[:limit] if limit else out

    def sources_by_call(self) -> dict[str, list[str]]:
        """call_id -> the paths of its source files."""
        return {r[0]: r[1].split("\n") for r in self.db.execute(
            "SELECT call_id, group_concat(path, char(10)) FROM files GROUP BY call_id")}

    def turn_text_at(self, file_name: str, position: int) -> str | None:
        """The text of the turn at a position of the call read from a file (its path, or a path ending in
        /file_name)."""
        row = self.db.execute("SELECT t.text FROM turns t JOIN files f ON f.call_id = t.call_id "
                              "WHERE (f.path = ? OR f.path LIKE ?) AND t.position = ?",
                              (file_name, "%/" + file_name, int(position))).fetchone()
        return row[0] if row else None

    def call_of_file(self, file_name: str) -> str | None:
        """The call read from a file (its path, or a path ending in /file_name)."""
        row = self.db.execute("SELECT call_id FROM files WHERE path = ? OR path LIKE ? ORDER BY path LIMIT 1",
                              (file_name, "%/" + file_name)).fetchone()
        return row[0] if row else None

    def turn_source(self, turn_id: str) -> tuple[str, str] | None:
        """(the turn's text, its call's first source path)."""
        row = self.db.execute("SELECT t.text, f.path FROM turns t JOIN files f USING (call_id) WHERE t.turn_id = ? "
                              "ORDER BY f.path LIMIT 1", (turn_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def stats(self) -> dict:
        one = lambda sql: self.db.execute(sql).fetchone()[0]
        formats = {r[0]: r[1] for r in self.db.execute("SELECT format, count(*) FROM files GROUP BY format")}
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file())
        return {"calls": one("SELECT count(*) FROM calls"), "turns": one("SELECT count(*) FROM turns"),
                "chunks": one("SELECT count(*) FROM chunks"), "files": one("SELECT count(*) FROM files"),
                "tickers": one("SELECT count(DISTINCT ticker) FROM calls WHERE ticker IS NOT NULL"),
                "companies": len(self.companies()),
                "years": [r[0] for r in self.db.execute(
                    "SELECT DISTINCT fiscal_year FROM calls WHERE fiscal_year IS NOT NULL ORDER BY 1")],
                "formats": formats, "db_path": str(self.path), "db_bytes": size}

    # ---- writes ------------------------------------------------------------------------------------------------

    def put_call(self, t: Transcript, chunks: list[Chunk], fingerprint: str, *, drop: tuple[str, ...] = ()) -> None:
        """Store one call with its turns, chunks and source file, replacing the calls in `drop` and any earlier
        version of this call, all in one transaction."""
        cid = t.call_id
        src = t.source
        with self.transaction() as db:
            self._calls_changed(db)
            for old in {*drop, cid}:
                db.execute("DELETE FROM calls WHERE call_id = ?", (old,))
            db.execute("DELETE FROM files WHERE path = ?", (src.path,))
            db.execute(
                "INSERT INTO calls (call_id, company, company_source, ticker, exchange, fiscal_year, fiscal_quarter,"
                " call_date, title, participants, n_turns, n_chunks) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (cid, t.company, t.company_source, t.ticker, t.exchange, t.year, t.quarter, t.date, t.title,
                 json.dumps([p.to_dict() for p in t.participants]), len(t.turns), len(chunks)))
            db.executemany(
                "INSERT INTO turns (turn_id, call_id, position, speaker, title, role, section, text) "
                "VALUES (?,?,?,?,?,?,?,?)",
                [(turn_id(cid, x.position), cid, x.position, x.speaker, x.title, x.role, x.section, x.text)
                 for x in t.turns])
            db.executemany(
                "INSERT INTO chunks (chunk_id, turn_id, call_id, idx, text, start, \"end\") VALUES (?,?,?,?,?,?,?)",
                [(c.chunk_id, c.turn_id, c.call_id, c.index, c.text, c.start, c.end) for c in chunks])
            db.execute("INSERT INTO files (path, call_id, sha256, format, size, fingerprint) VALUES (?,?,?,?,?,?)",
                       (src.path, cid, src.sha256, src.format, src.size, fingerprint))

    def delete_call(self, call_id: str) -> bool:
        with self.transaction() as db:
            gone = db.execute("DELETE FROM calls WHERE call_id = ?", (call_id,)).rowcount > 0
            if gone:
                self._calls_changed(db)
            return gone

    # ---- saved searches, the hits they recorded, their webhook outbox (archive/saved.py) ------------------------

    def saved_put(self, slug: str, name: str, request: str, webhook: str | None, created_at: str, *,
                  replace: bool, most: int) -> str:
        """Store a saved search, in one transaction: 'added', 'replaced' (its history goes with the old one),
        'exists' (the slug is taken and not replace: nothing written) or 'full' (`most` saved already)."""
        with self.transaction() as db:
            old = db.execute("SELECT 1 FROM saved_searches WHERE slug = ?", (slug,)).fetchone()
            if old is not None and not replace:
                return "exists"
            if old is None and db.execute("SELECT count(*) FROM saved_searches").fetchone()[0] >= most:
                return "full"
            db.execute("DELETE FROM saved_searches WHERE slug = ?", (slug,))
            db.execute("INSERT INTO saved_searches (slug, name, request, webhook, created_at) VALUES (?,?,?,?,?)",
                       (slug, name, request, webhook, created_at))
        return "replaced" if old is not None else "added"

    def saved_rows(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM saved_searches ORDER BY name COLLATE NOCASE").fetchall()

    def saved_row(self, key: str, slug: str) -> sqlite3.Row | None:
        """The saved search whose slug is key or slug, or whose name is key."""
        return self.db.execute("SELECT * FROM saved_searches WHERE slug = ? OR slug = ? OR name = ? LIMIT 1",
                               (key, slug, key)).fetchone()

    def saved_delete(self, slug: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM saved_searches WHERE slug = ?", (slug,)).rowcount > 0

    def saved_record(self, slug: str, hits: list[tuple[str, str, str]], found_at: str, generation: str,
                     delivery: tuple[str, callable] | None) -> list[str]:
        """Record (turn_id, call_id, hit JSON) rows for a saved search, skipping turns recorded before, and mark
        it checked; delivery (url, payload_of(new turn ids) -> JSON): queue one delivery of the new ones. One
        transaction. Returns the turn ids recorded."""
        import time as _time
        with self.transaction() as db:
            new = [t for t, c, h in hits if db.execute(
                "INSERT OR IGNORE INTO saved_hits (slug, turn_id, call_id, found_at, generation, hit) "
                "VALUES (?,?,?,?,?,?)", (slug, t, c, found_at, generation, h)).rowcount]
            db.execute("UPDATE saved_searches SET checked_at = ?, checked_generation = ?, last_error = NULL "
                       "WHERE slug = ?", (found_at, generation, slug))
            if new and delivery is not None:
                url, payload_of = delivery
                db.execute("INSERT INTO deliveries (slug, url, payload, created_at, next_at) VALUES (?,?,?,?,?)",
                           (slug, url, payload_of(new), found_at, _time.time()))
        return new

    def saved_failed(self, slug: str, at: str, generation: str, error: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE saved_searches SET checked_at = ?, checked_generation = ?, last_error = ? "
                       "WHERE slug = ?", (at, generation, error, slug))

    def saved_visited(self, slug: str, at: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE saved_searches SET visited_at = ? WHERE slug = ?", (at, slug))

    def saved_hits(self, slug: str, limit: int) -> list[sqlite3.Row]:
        """The hits recorded for a saved search, newest first (within one build: in the order recorded)."""
        return self.db.execute("SELECT hit, found_at, generation FROM saved_hits WHERE slug = ? "
                               "ORDER BY found_at DESC, rowid LIMIT ?", (slug, int(limit))).fetchall()

    def saved_found_since(self, slug: str, since: str) -> dict[str, str]:
        """turn_id -> found_at of the hits recorded after `since`."""
        return {r[0]: r[1] for r in self.db.execute(
            "SELECT turn_id, found_at FROM saved_hits WHERE slug = ? AND found_at > ?", (slug, since))}

    def saved_counts(self, slug: str, since: str) -> dict:
        """Hits recorded, those recorded after `since`, the latest found_at; deliveries by status, the last one."""
        one = lambda sql, *a: self.db.execute(sql, (slug, *a)).fetchone()[0]      # noqa: E731
        last = self.db.execute("SELECT status, attempts, last_error, delivered_at FROM deliveries WHERE slug = ? "
                               "ORDER BY id DESC LIMIT 1", (slug,)).fetchone()
        return {"recorded": one("SELECT count(*) FROM saved_hits WHERE slug = ?"),
                "new": one("SELECT count(*) FROM saved_hits WHERE slug = ? AND found_at > ?", since),
                "last_found_at": one("SELECT max(found_at) FROM saved_hits WHERE slug = ?"),
                "delivery_counts": {st: n for st, n in self.db.execute(
                    "SELECT status, count(*) FROM deliveries WHERE slug = ? GROUP BY status", (slug,))},
                "last_delivery": dict(last) if last else None}

    def delivery_claim(self, now: float, lease: float) -> dict | None:
        """The next pending delivery due, leased until now + lease (other senders skip it meanwhile)."""
        with self.transaction() as db:
            row = db.execute("SELECT * FROM deliveries WHERE status = ? AND next_at <= ? AND lease_until <= ? "
                             "ORDER BY next_at, id LIMIT 1", (PENDING, now, now)).fetchone()
            if row is None:
                return None
            db.execute("UPDATE deliveries SET lease_until = ? WHERE id = ?", (now + lease, row["id"]))
            return dict(row)

    def delivery_done(self, delivery_id: int, at: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE deliveries SET status = ?, attempts = attempts + 1, delivered_at = ?, "
                       "last_error = NULL, lease_until = 0 WHERE id = ?", (DELIVERED, at, delivery_id))

    def delivery_retry(self, delivery_id: int, error: str, next_at: float | None) -> None:
        """One more failed attempt: pending again from next_at, or given up (next_at None)."""
        with self.transaction() as db:
            db.execute("UPDATE deliveries SET attempts = attempts + 1, last_error = ?, lease_until = 0, status = ?, "
                       "next_at = coalesce(?, next_at) WHERE id = ?",
                       (error, PENDING if next_at is not None else FAILED, next_at, delivery_id))

    def deliveries(self, slug: str | None, limit: int) -> list[dict]:
        sql = "SELECT id, slug, url, created_at, status, attempts, next_at, delivered_at, last_error FROM deliveries"
        args: tuple = ()
        if slug:
            sql, args = sql + " WHERE slug = ?", (slug,)
        return [dict(r) for r in self.db.execute(sql + " ORDER BY id DESC LIMIT ?", (*args, int(limit)))]

    def delivery_next_due(self) -> float | None:
        """When the next pending delivery can be tried (unix time), or None."""
        return self.db.execute("SELECT min(max(next_at, lease_until)) FROM deliveries WHERE status = ?",
                               (PENDING,)).fetchone()[0]

    def saved_names(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM saved_searches")]


def _call_dict(row: sqlite3.Row, files=None) -> dict:
    d = dict(row)
    d["participants"] = json.loads(d.get("participants") or "[]")
    if "source_files" in d:
        d["source_files"] = json.loads(d["source_files"] or "[]")
    if files is not None:
        d["files"] = [dict(f) for f in files]
    return d


def _batches(values: list, size: int = 500):
    """SQLite takes a bounded number of ? parameters: IN lists go in batches."""
    for i in range(0, len(values), size):
        yield values[i:i + size]
