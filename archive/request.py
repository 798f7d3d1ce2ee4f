"""The search request, declared once: every field with its type, default, bounds, vocabulary and help. The CLI
options (archive/cli.py), the web parameter parser (web/params.py), the OpenAPI schema (web/openapi.py) and the
MCP tool's input schema (web/mcp_server.py) are generated from FIELDS; tests/test_request.py fails when one of
them disagrees with it. Each front door turns its own syntax into plain values; SearchRequest.build checks them
against the declaration, so a bound or a vocabulary is enforced in one place.

Door names: a field has one name on the web (`ticker`), the CLI writes it `--ticker`, the MCP tool uses the
plural for lists (`tickers`). The year range is `year=2020` or `years=2019-2021` on the web and the CLI, and
`years: [2019, 2021]` in MCP."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import Any

from index.query import MAX_CHARS, ParsedQuery, QuerySyntaxError, parse

from .errors import BadRequestError
from .models import ROLES, SECTIONS, TICKER_PATTERN
from .strength import FLOOR

MODES = ("hybrid", "lexical", "semantic")
SORTS = ("relevance", "date")
GROUPS = ("none", "call")
UNITS = ("turn", "question", "answer", "exchange")
MATCH_FLOOR = FLOOR          # a hit's match strength (0-1) below which it is not a match (archive/strength.py)
FUSIONS = ("weighted", "rrf")
MAX_LIMIT = 100
WINDOW = 100                 # fused turns a search ranks; pages come from this window
EXPORT_MAX = 1000            # hits an export (CSV, XLSX) holds at most (Archive.export) ...
EXPORT_DEPTH = 2             # ... ranking this many times as many turns: passages collapse into fewer turns, and
                             # the weak ones are no matches (a window of 1,000 held 300-700 matches on 1,380 calls)
EXPORT_IGNORES = ("limit", "page", "group")     # an export is one flat list of every match: no page, no groups
YEARS = (1900, 2200)
QUARTERS = (1, 2, 3, 4)
MAX_TICKERS = 20
MAX_NAME = 200               # characters of a company or speaker name
MAX_QUERY = MAX_CHARS        # characters of a query
CHAT_LIMIT = (8, 25)         # a chat tool's default and largest page (its context window is the cost)
MAX_CONTEXT = 20             # turns either side of a turn read in context (a chat tool: at most CHAT_CONTEXT)
CHAT_CONTEXT = 10

TEXT, STR, INT, FLOAT, BOOL, CHOICE, YEAR_RANGE = "text", "str", "int", "float", "bool", "choice", "year_range"


@dataclass(frozen=True)
class Field:
    """One field of the search request. `name` is the web and API name; `attr` the SearchRequest attribute."""
    name: str
    attr: str
    kind: str
    help: str
    default: Any = None
    lo: float | None = None
    hi: float | None = None
    choices: tuple = ()
    many: bool = False           # several values: repeated or comma-separated on the web, repeated on the CLI
    max_items: int | None = None
    pattern: str | None = None
    max_length: int | None = None
    example: str = ""            # a value for hints: 'e.g. role=executive'
    mcp: str | None = None       # the MCP argument's name ("" : not offered to chat tools)

    @property
    def cli(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def mcp_name(self) -> str:
        return self.mcp if self.mcp is not None else (self.attr if self.many else self.name)


FIELDS: tuple[Field, ...] = (
    Field("q", "text", TEXT, 'What to find: words, "exact phrases", -excluded words, a OR b.', max_length=MAX_QUERY,
          example="gross margin outlook", mcp="query"),
    Field("ticker", "tickers", STR, "Only these tickers.", many=True, max_items=MAX_TICKERS, pattern=TICKER_PATTERN,
          example="KC"),
    Field("company", "company", STR, "Only this company: its name or any alias on file, any case.",
          max_length=MAX_NAME, example="Kingsoft Cloud"),
    Field("years", "years", YEAR_RANGE, "Only these fiscal years: one year or an inclusive range.", lo=YEARS[0],
          hi=YEARS[1], example="2019-2021"),
    Field("quarter", "quarters", INT, "Only these fiscal quarters.", lo=1, hi=4, many=True, max_items=4, example="3"),
    Field("speaker", "speaker", STR, "Only this speaker (exact name, any case).", max_length=MAX_NAME,
          example="Haijian He"),
    Field("role", "role", CHOICE, "Only this speaker role.", choices=ROLES, example="executive"),
    Field("section", "section", CHOICE, "Only prepared remarks or the Q&A.", choices=SECTIONS, example="qa"),
    Field("mode", "mode", CHOICE, "hybrid combines exact words (BM25) and meaning (embeddings).", default="hybrid",
          choices=MODES, example="lexical"),
    Field("fusion", "fusion", CHOICE, "How hybrid mode fuses the legs: a weighted sum of normalised scores "
          "(weights by the query's shape) or reciprocal rank fusion (k=60).", default="weighted", choices=FUSIONS,
          example="rrf"),
    Field("lexical_weight", "lexical_weight", FLOAT, "Weighted fusion: the lexical share (default: chosen by the "
          "query's shape).", lo=0.0, hi=1.0, example="0.7"),
    Field("interpret", "interpret", BOOL, "Also search the calls of the companies the query names and prefer the "
          "fiscal quarter it names (never a filter); off: the words only.", default=True, example="0"),
    Field("unit", "unit", CHOICE, "What a hit is: any turn; only the analysts' questions or only the executives' "
          "answers of the Q&A; or question+answer pairs searched as one unit (exchange).", default="turn",
          choices=UNITS, example="answer"),
    Field("min_score", "min_score", FLOAT, f"Only hits whose match strength (0-1) is at least this; default "
          f"{MATCH_FLOOR}, the floor below which a passage does not match; 0 also shows the closest weak matches.",
          lo=0.0, hi=1.0, example="0.8"),
    Field("sort", "sort", CHOICE, "Order: relevance, or call date (newest call first).", default="relevance",
          choices=SORTS, example="date"),
    Field("group", "group", CHOICE, "call: hits grouped by call (a page holds `limit` calls, each with its best "
          "turns).", default="none", choices=GROUPS, example="call"),
    Field("limit", "limit", INT, "Hits per page.", default=10, lo=1, hi=MAX_LIMIT, example="10"),
    Field("page", "page", INT, f"Page of results, within the first {WINDOW}.", default=1, lo=1, hi=WINDOW,
          example="2"),
)
BY_NAME = {f.name: f for f in FIELDS}
BY_ATTR = {f.attr: f for f in FIELDS}
# The units that are turns of one kind: the filters they mean (unit=exchange searches the Q&A: see results.py).
UNIT_FILTERS = {"question": {"role": "analyst", "section": "qa"}, "answer": {"role": "executive", "section": "qa"},
                "exchange": {"section": "qa"}}
UNIT_TEXT = {"question": "the analysts' questions of the Q&A", "answer": "the executives' answers of the Q&A",
             "exchange": "question+answer pairs of the Q&A"}
# The trend request (Archive.trend): up to MAX_TERMS terms, each a query of q's syntax and bounds (on the web the
# repeated q, never split on commas), over the search's ticker and year filters; split=company draws one panel per
# ticker of the set; measure: what a bar shows (share of the quarter's calls, or turns).
MAX_TERMS = 4
SPLITS = ("none", "company")
MEASURES = ("share", "turns")
TREND_FIELDS: tuple[Field, ...] = (      # what a trend takes (fields(TREND_FIELDS))
    Field("q", "terms", TEXT, f"The terms to compare, up to {MAX_TERMS}, each a query: words, \"exact phrases\", "
          "-excluded words, a OR b (a term is never split on commas).", many=True, max_items=MAX_TERMS,
          max_length=MAX_QUERY, example="cloud", mcp="terms"),
    BY_NAME["ticker"],
    BY_NAME["years"],
    Field("split", "split", CHOICE, "company: a series (a panel of the chart) per ticker of the ticker set, which "
          "it needs; none: the ticker set as one.", default="none", choices=SPLITS, example="company"),
    Field("measure", "measure", CHOICE, "What the chart shows (both are counted): share, the share of the "
          "quarter's calls that mention the term; turns, how many turns mention it.", default="share",
          choices=MEASURES, example="turns"),
)
TREND_BY_NAME = {f.name: f for f in TREND_FIELDS}


def fields(names=None) -> tuple[Field, ...]:
    """The declared fields: all of FIELDS, or those named (a Field given as itself, e.g. one of TREND_FIELDS)."""
    return FIELDS if names is None else tuple(n if isinstance(n, Field) else BY_NAME[n] for n in names)


def _bad(f: Field, message: str, example: str | None = None) -> BadRequestError:
    return BadRequestError(message, param=f.name, example=example if example is not None else f.example)


def check(f: Field, value):
    """A plain value (the door parsed its syntax) checked against the declaration; returns it normalised."""
    if value is None or value == () or value == []:
        return f.default if not f.many else ()
    if f.many:
        values = tuple(value) if isinstance(value, (list, tuple)) else (value,)
        if f.max_items and len(values) > f.max_items:
            raise _bad(f, f"{f.name}: at most {f.max_items} values, got {len(values)}")
        return tuple(dict.fromkeys(check(replace(f, many=False), v) for v in values))
    if f.kind in (TEXT, STR):
        if not isinstance(value, str):
            raise _bad(f, f"{f.name} must be text")
        if f.max_length and len(value) > f.max_length:
            raise _bad(f, f"{f.name} is too long ({len(value)} characters, at most {f.max_length})")
        if f.pattern:
            value = value.strip()
            if not re.fullmatch(f.pattern, value):
                raise _bad(f, f"{f.name} {value[:40]!r} is not a {f.name}: use letters, digits, '.' or '-'")
            if f.name == "ticker":
                value = value.upper()
        return (value.strip() or None) if f.kind == STR else value
    if f.kind == CHOICE:
        if value not in f.choices:
            raise _bad(f, f"{f.name} {str(value)[:40]!r} is not one of {', '.join(map(str, f.choices))}")
        return value
    if f.kind == BOOL:
        if not isinstance(value, bool):
            raise _bad(f, f"{f.name} must be true or false")
        return value
    if f.kind in (INT, FLOAT):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (f.kind == INT and value != int(value)):
            raise _bad(f, f"{f.name} must be a {'whole number' if f.kind == INT else 'number'}")
        value = int(value) if f.kind == INT else float(value)
        if not (f.lo <= value <= f.hi):
            lo, hi = (int(f.lo), int(f.hi)) if f.kind == INT else (f.lo, f.hi)
            raise _bad(f, f"{f.name} {value} is out of range: use {lo} to {hi}")
        return value
    if f.kind == YEAR_RANGE:
        try:
            a, b = (int(value[0]), int(value[-1])) if isinstance(value, (list, tuple)) else (int(value),) * 2
        except (TypeError, ValueError, IndexError):
            raise _bad(f, f"{f.name} must be a year or a range of years") from None
        if isinstance(value, (list, tuple)) and not 1 <= len(value) <= 2:
            raise _bad(f, f"{f.name} must be one year or two (a range)")
        if not (f.lo <= a <= b <= f.hi):
            raise _bad(f, f"year range {a}-{b} is not valid: use years {int(f.lo)}-{int(f.hi)}, the first not after "
                          "the second")
        return (a, b)
    raise AssertionError(f.kind)


@dataclass(frozen=True)
class SearchRequest:
    """A search, checked against FIELDS. Build one with SearchRequest.build(...) (or construct it and call
    validated())."""
    text: str
    tickers: tuple[str, ...] = ()
    company: str | None = None
    years: tuple[int, int] | None = None       # fiscal years, inclusive
    quarters: tuple[int, ...] = ()
    speaker: str | None = None
    role: str | None = None
    section: str | None = None
    mode: str = "hybrid"
    fusion: str = "weighted"
    lexical_weight: float | None = None         # weighted fusion only; None: chosen by the query's shape
    interpret: bool = True                      # prefer calls of the companies and the quarter the text names
    unit: str = "turn"
    min_score: float | None = None              # None: MATCH_FLOOR
    sort: str = "relevance"
    group: str = "none"
    limit: int = 10
    page: int = 1

    @classmethod
    def build(cls, **values) -> "SearchRequest":
        """From plain values keyed by attribute (text, tickers, years, quarters, ...); missing ones take their
        default."""
        unknown = set(values) - {f.attr for f in FIELDS}
        if unknown:
            raise BadRequestError(f"unknown search field {sorted(unknown)[0]!r}",
                                  f"use {', '.join(f.attr for f in FIELDS)}")
        return cls(**{f.attr: values.get(f.attr) for f in FIELDS}).validated()

    def validated(self) -> "SearchRequest":
        out = {f.attr: check(f, getattr(self, f.attr)) for f in FIELDS}
        out["text"] = out["text"] or ""
        fixed = UNIT_FILTERS.get(out["unit"], {})
        for attr, value in fixed.items():
            if out[attr] not in (None, value):
                raise _bad(BY_NAME["unit"], f"unit={out['unit']} is {UNIT_TEXT[out['unit']]}: it cannot be combined "
                                            f"with {attr}={out[attr]}", "turn")
        if (out["page"] - 1) * out["limit"] >= WINDOW:
            raise _bad(BY_NAME["page"], f"page {out['page']} is past the {WINDOW} results a search ranks "
                                        f"({out['limit']} per page)", "1")
        return SearchRequest(**out)

    @property
    def floor(self) -> float:
        """The match strength a hit needs."""
        return MATCH_FLOOR if self.min_score is None else self.min_score

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    def parsed(self) -> ParsedQuery:
        try:
            return parse(self.text)
        except QuerySyntaxError as e:
            raise BadRequestError(e.message, e.hint, param="q") from None

    def filters(self) -> dict:
        """The filters both legs apply, in the index's field names."""
        fixed = UNIT_FILTERS.get(self.unit, {})
        f = {"ticker": [t.upper() for t in self.tickers] or None, "company": self.company,
             "quarter": list(self.quarters) or None, "speaker": self.speaker, "role": self.role or fixed.get("role"),
             "section": self.section or fixed.get("section"), "year": tuple(self.years) if self.years else None}
        return {k: v for k, v in f.items() if v not in (None, "", [])}

    def to_dict(self) -> dict:
        d = asdict(self)
        d["offset"] = self.offset
        return d


@dataclass(frozen=True)
class TrendRequest:
    """A trend comparison, checked against TREND_FIELDS: the terms (each a query of q's syntax; empty ones dropped,
    duplicates by case collapsed, at most MAX_TERMS), the ticker set, the fiscal years, split and measure."""
    terms: tuple[str, ...]
    tickers: tuple[str, ...] = ()
    years: tuple[int, int] | None = None
    split: str = "none"
    measure: str = "share"

    @classmethod
    def build(cls, **values) -> "TrendRequest":
        """From plain values keyed by attribute (terms, tickers, years, split, measure)."""
        unknown = set(values) - {f.attr for f in TREND_FIELDS}
        if unknown:
            raise BadRequestError(f"unknown trend field {sorted(unknown)[0]!r}",
                                  f"use {', '.join(f.attr for f in TREND_FIELDS)}")
        return cls(**{f.attr: values.get(f.attr) for f in TREND_FIELDS}).validated()

    def validated(self) -> "TrendRequest":
        out = {f.attr: check(f, getattr(self, f.attr)) for f in TREND_FIELDS[1:]}
        out["terms"] = _terms(self.terms)
        if out["split"] == "company" and not out["tickers"]:
            raise SplitNeedsTickersError("split=company draws one panel per ticker of the ticker set, and no "
                                         "tickers were given", param="split")
        return TrendRequest(**out)

    def search(self, term: str) -> SearchRequest:
        """The lexical search whose every match a term's series counts."""
        return SearchRequest.build(text=term, tickers=self.tickers, years=self.years, mode="lexical")

    def to_dict(self) -> dict:
        return asdict(self)


class SplitNeedsTickersError(BadRequestError):
    """split=company without a ticker set: the hint names the ticker filter in each front door's terms."""
    EXAMPLES = {"cli": "--ticker KC --ticker YETI", "mcp": '"tickers": ["KC", "YETI"]', "page": "tickers KC, YETI"}

    def hint_for(self, door: str = "cli") -> str:
        return (f"add the tickers to compare, e.g. {self.EXAMPLES.get(door, 'ticker=KC&ticker=YETI')}; or leave "
                "split out for one chart")


def _terms(value) -> tuple[str, ...]:
    """The terms as given, each checked as a query (length, syntax), empty ones dropped, the same term in another
    case once; refused past MAX_TERMS or when none is left."""
    f = TREND_BY_NAME["q"]
    if value is None:
        value = ()
    elif isinstance(value, str):
        value = (value,)
    elif not isinstance(value, (list, tuple)):
        raise _bad(f, "q: the terms must be a list of queries")
    one = replace(f, many=False)
    kept: dict[str, str] = {}
    for v in value:
        text = check(one, v)
        if text is None or not text.strip():
            continue
        text = " ".join(text.split())
        kept.setdefault(text.casefold(), text)
    if len(kept) > f.max_items:
        raise BadRequestError(f"at most {f.max_items} terms can be compared, got {len(kept)}",
                              f"compare {f.max_items} at a time", param="q")
    if not kept:
        raise BadRequestError("the trend needs a term", "type what to count, e.g. cloud", param="q")
    for text in kept.values():
        try:
            parse(text)
        except QuerySyntaxError as e:
            which = f" (term {text[:40]!r})" if len(kept) > 1 else ""
            raise BadRequestError(e.message + which, e.hint, param="q") from None
    return tuple(kept.values())
