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

SCHEMA_VERSION = 2
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
"""


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

    # ---- reads -------------------------------------------------------------------------------------------------

    def file(self, path: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM files WHERE path = ?", (path,)).fetchone()

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
            return db.execute("DELETE FROM calls WHERE call_id = ?", (call_id,)).rowcount > 0


def _call_dict(row: sqlite3.Row, files=None) -> dict:
    d = dict(row)
    d["participants"] = json.loads(d.get("participants") or "[]")
    if "source_files" in d:
        d["source_files"] = json.loads(d["source_files"] or "[]")
    if files is not None:
        d["files"] = [dict(f) for f in files]
    return d


def passages_sql(calls: list[str] | None = None) -> str:
    """Every chunk (or those of the given calls) with the call and turn fields the indexes need, in a stable
    order. Call ids are quoted here, so the list is safe to inline."""
    where = ""
    if calls is not None:
        quoted = ",".join("'" + c.replace("'", "''") + "'" for c in calls)
        where = f"WHERE c.call_id IN ({quoted}) "
    return ("SELECT c.chunk_id, c.turn_id, c.call_id, c.text, t.position, t.speaker, t.role, t.section, "
            "k.ticker, k.company, k.fiscal_year, k.fiscal_quarter, k.call_date "
            "FROM chunks c JOIN turns t USING (turn_id) JOIN calls k ON k.call_id = c.call_id "
            + where + "ORDER BY c.call_id, t.position, c.idx")
