"""The records that flow through the archive, the vocabularies they use, and the one place where ids and
period labels are built.

file --formats--> Transcript(meta, turns) --chunk--> Chunks --store--> SQLite
query --request--> SearchRequest --searcher--> ranked turns --store--> Hits in SearchResults
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

OPERATOR, EXECUTIVE, ANALYST, UNKNOWN = "operator", "executive", "analyst", "unknown"
ROLES = (OPERATOR, EXECUTIVE, ANALYST, UNKNOWN)
PREPARED, QA = "prepared", "qa"
SECTIONS = (PREPARED, QA)
SECTION_LABELS = {PREPARED: "Prepared remarks", QA: "Q&A"}
TICKER_PATTERN = r"[A-Za-z0-9][A-Za-z0-9.\-]{0,11}"     # a ticker as users and files write it (any case)


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
    id_suffix: str | None = None  # set only when another call already has the id this one's metadata gives

    @property
    def call_id(self) -> str:
        base = call_id(self.ticker, self.company, self.year, self.quarter, self.source)
        return f"{base}-{self.id_suffix}" if self.id_suffix else base

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
    """The period as ids write it: '2020Q1', '2020', or ''."""
    if year and quarter:
        return f"{year}Q{quarter}"
    if year:
        return str(year)
    return ""


def period_text(year: int | None, quarter: int | None, unknown: str = "") -> str:
    """The period as people read it: 'Q1 2020', '2020', or `unknown`."""
    if year and quarter:
        return f"Q{quarter} {year}"
    return str(year) if year else unknown


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


def parent_of(id_: str) -> str:
    """The turn of a chunk id, the call of a turn id: 'KC-2020Q1:t012:c00' -> 'KC-2020Q1:t012' -> 'KC-2020Q1'."""
    return id_.rsplit(":", 1)[0]


def turn_id(call: str, position: int) -> str:
    return f"{call}:t{position:03d}"


def chunk_id(turn: str, index: int) -> str:
    return f"{turn}:c{index:02d}"


# ---- search results --------------------------------------------------------------------------------------------

@dataclass
class Hit:
    """One speaker turn found by a search, with the passage that matched and how each leg ranked it."""
    turn_id: str
    call_id: str
    company: str | None
    ticker: str | None
    year: int | None
    quarter: int | None
    date: str | None
    speaker: str
    title: str | None
    role: str
    section: str
    position: int
    source_file: str | None
    chunk_id: str
    passage: str                    # at most snippets.MAX_PASSAGE characters
    snippet: str                    # HTML-escaped, query terms in <mark>
    text: str                       # the turn, at most snippets.MAX_HIT_TEXT characters
    score: float
    rank: int
    lexical_rank: int | None = None
    lexical_score: float | None = None
    semantic_rank: int | None = None
    semantic_score: float | None = None
    url: str = ""                   # the viewer at this turn
    citation: str = ""
    truncated: bool = False         # passage or text cut to their bound (the turn endpoint has the whole turn)
    match: float = 0.0              # match strength 0-1 (archive/strength.py): below 0.5 not a match
    strength: str = "weak"          # strong | partial | weak
    coverage: float | None = None   # the share of the query's word weight the passage holds
    similarity: float | None = None  # cosine similarity of the passage with the query (None: lexical search)
    question: dict | None = None    # the analyst question an executive answer answers (turn_id, speaker, ...)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SearchResults:
    query: object                   # the SearchRequest answered
    hits: list[Hit]
    total: int                      # matching turns of the window (or exchanges, with unit=exchange)
    took_ms: float
    weights: dict = field(default_factory=dict)
    notice: object = None           # an ArchiveError that did not stop the search: some calls not searchable yet
    calls: int = 0                  # calls among the matches
    weak: int = 0                   # turns of the window below the floor: not shown
    floor: float = 0.5              # the match strength a hit needed
    groups: list[dict] | None = None    # group=call: the page's calls, each with the turn ids of its hits
    facets: dict = field(default_factory=dict)    # name -> [{param, value, label, count}] over all matches
    warnings: list[str] = field(default_factory=list)

    def to_dict(self, door: str = "api") -> dict:
        d = {"query": self.query.to_dict(), "total": self.total, "calls": self.calls, "weak": self.weak,
             "floor": self.floor, "took_ms": round(self.took_ms, 1), "weights": self.weights,
             "hits": [h.to_dict() for h in self.hits], "groups": self.groups, "facets": self.facets,
             "warnings": self.warnings}
        if self.notice is not None:
            d["notice"] = {"message": self.notice.message, "hint": self.notice.hint_for(door)}
        return d
