"""Frozen records that flow through the archive, and the one place where ids are built.

file --formats--> Transcript(meta, turns) --chunk--> Chunks --store--> SQLite
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

OPERATOR, EXECUTIVE, ANALYST, UNKNOWN = "operator", "executive", "analyst", "unknown"
ROLES = (OPERATOR, EXECUTIVE, ANALYST, UNKNOWN)
PREPARED, QA = "prepared", "qa"
SECTIONS = (PREPARED, QA)
SECTION_LABELS = {PREPARED: "Prepared remarks", QA: "Q&A"}


@dataclass(frozen=True)
class Participant:
    """Someone listed in a call's participant block (or learnt from the operator's introductions)."""
    name: str
    title: str | None = None      # job title for management, firm for analysts
    role: str = UNKNOWN

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Turn:
    position: int                 # 0-based order in the call
    speaker: str
    title: str | None
    role: str
    section: str
    text: str                     # paragraphs separated by a blank line

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SourceFile:
    path: str
    sha256: str
    format: str
    size: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Transcript:
    """One earnings call: metadata analysts filter on, and its ordered turns."""
    company: str | None
    ticker: str | None
    exchange: str | None
    year: int | None              # fiscal year
    quarter: int | None           # fiscal quarter 1-4
    date: str | None              # call date, ISO yyyy-mm-dd, when known
    turns: tuple[Turn, ...]
    participants: tuple[Participant, ...] = ()
    source: SourceFile | None = None
    title: str | None = None      # the file's own title line, when it has one
    company_source: str | None = None     # where the company name came from: given | file | welcome

    @property
    def call_id(self) -> str:
        return call_id(self.ticker, self.company, self.year, self.quarter, self.source)

    @property
    def period(self) -> str:
        return period_label(self.year, self.quarter)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["call_id"] = self.call_id
        return d


@dataclass(frozen=True)
class Chunk:
    """A passage of one turn that fits the embedding model's window."""
    chunk_id: str
    turn_id: str
    call_id: str
    turn_position: int
    index: int                    # 0-based chunk number inside the turn
    text: str
    start: int                    # character offsets in the turn's text
    end: int

    def to_dict(self) -> dict:
        return asdict(self)


# ---- ids -------------------------------------------------------------------------------------------------------

_SLUG = re.compile(r"[^A-Z0-9]+")


def slug(text: str, limit: int = 40) -> str:
    """'Kingsoft Cloud Holdings Ltd.' -> 'KINGSOFT-CLOUD-HOLDINGS-LTD' (ASCII, upper case, dash separated)."""
    import unicodedata
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    s = _SLUG.sub("-", ascii_text.upper()).strip("-")
    return s[:limit].rstrip("-") or "CALL"


def period_label(year: int | None, quarter: int | None) -> str:
    if year and quarter:
        return f"{year}Q{quarter}"
    if year:
        return str(year)
    return ""


def call_id(ticker, company, year, quarter, source: SourceFile | None = None) -> str:
    """Readable, stable id: 'KC-2020Q1'. Without a ticker the company stands in ('KINGSOFT-CLOUD-2020Q1');
    without a period, the file name does (a changed file keeps its id)."""
    base = slug(ticker, 16) if ticker else slug(company) if company else None
    period = period_label(year, quarter)
    if base and period:
        return f"{base}-{period}"
    stem = None
    if source is not None:
        import os
        stem = slug(os.path.splitext(os.path.basename(source.path))[0], 40)
    return "-".join(p for p in (base, period, stem) if p) or "CALL"


def turn_id(call: str, position: int) -> str:
    return f"{call}:t{position:03d}"


def chunk_id(turn: str, index: int) -> str:
    return f"{turn}:c{index:02d}"
