"""What a query says besides its words: the companies it names and the fiscal quarter it asks about, read
against the archive's own directory of calls.

Search turns these into soft preferences, never into filters: 'why DiamondRock paused the resort rebuild' also
searches DiamondRock's calls and ranks them higher, and 'q3 adjusted EPS $0.45' ranks third-quarter calls
higher, but a call of another company or quarter still shows when it matches far better. An explicit filter
(a ticker, a company, a quarter) replaces the preference it covers."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

# Words cut from the company names that the operator's welcome gives ('Amphenol Corporation', 'Cigna's').
_LEGAL_SUFFIX = re.compile(r"(?:,?\s+(?:inc\.?|incorporated|corporation|corp\.?|company|co\.?|plc|holdings?|group|"
                           r"ltd\.?|llc|limited|n\.v\.|s\.a\.|the))+$", re.I)
_NAME_NOISE = re.compile(r"^(?:earnings call for|the)\s+|\s+(?:call\b|'s discussion|’s discussion|investor relations|"
                         r"announces|investor teleconference).*$|(?:'s|’s)$", re.I)
_NOT_NAMES = {"quarter", "quarterly", "earnings", "conference", "company", "fiscal", "annual"}

# Acronyms an analyst types that are also somebody's ticker: never read as a company.
_NOT_TICKERS = {"AI", "IT", "ON", "ALL", "ARE", "NOW", "FIX", "KEY", "CAT", "LOW", "ONE", "HAS", "FOR", "AND", "THE",
                "EPS", "CEO", "CFO", "COO", "CTO", "GDP", "ESG", "US", "USA", "UK", "EU", "PC", "TV", "AR", "VR",
                "IOT", "API", "EBIT", "FFO", "NII", "NIM", "ROE", "ROI", "FCF", "FY", "YOY", "LNG", "GAAP", "SEC",
                "FDA", "DOE", "EV", "EVS", "SG", "SGA", "RD", "IPO", "OEM", "GM", "CPI", "FX", "AUM", "NAV"}

_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_QUARTER = re.compile(r"\bq([1-4])(?:\s*'?\d{2,4})?\b|\b([1-4])q(?:\d{2})?\b|"
                      r"\b(first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+quarter\b", re.I)

COMMON_SHARE = 0.002      # a one-word name in more than this share of other companies' passages is a word ('Target')
MAX_COMPANIES = 3         # a query naming more companies than this gets no company preference


@dataclass(frozen=True)
class Interpretation:
    tickers: tuple[str, ...] = ()          # companies the query names, as tickers
    names: tuple[str, ...] = ()            # the words of the query that named them
    quarter: int | None = None             # the fiscal quarter the query asks about

    def __bool__(self) -> bool:
        return bool(self.tickers or self.quarter)

    def to_dict(self) -> dict:
        return {"tickers": list(self.tickers), "names": list(self.names), "quarter": self.quarter}


def quarter_named(text: str) -> int | None:
    """The one fiscal quarter a query names ('Q3', '3Q21', 'third quarter'); None for none or several."""
    found = set()
    for m in _QUARTER.finditer(text):
        found.add(int(m[1] or m[2]) if (m[1] or m[2]) else _ORDINAL[m[3].lower()])
    return found.pop() if len(found) == 1 else None


def clean_name(company: str | None) -> str | None:
    """'Amphenol Corporation' -> 'Amphenol'; 'Earnings Call for Western Alliance Bancorp' -> 'Western Alliance
    Bancorp'; None for what is not a name."""
    if not company:
        return None
    name = _NAME_NOISE.sub("", company.strip()).strip(" ,.")
    name = _LEGAL_SUFFIX.sub("", name).strip(" ,.")
    if len(name) < 3 or name.lower() in _NOT_NAMES or not name[0].isalnum():
        return None
    return name


@dataclass
class Directory:
    """Calls by id (ticker, fiscal quarter) and the names that point to each ticker."""
    call_ticker: dict[str, str | None] = field(default_factory=dict)
    call_quarter: dict[str, int | None] = field(default_factory=dict)
    names: dict[str, set[str]] = field(default_factory=dict)      # lower-case name -> tickers
    tickers: set[str] = field(default_factory=set)
    _pattern: re.Pattern | None = None
    _share_elsewhere: Callable[[str, str], float] | None = None
    _common: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def build(cls, calls: Iterable[tuple[str, str | None, str | None, int | None]],
              share_elsewhere: Callable[[str, str], float] = lambda word, ticker: 0.0,
              aliases: Iterable[tuple[str, str]] = ()) -> "Directory":
        """calls: (call_id, ticker, company, fiscal_quarter). aliases: (ticker, name), more names that point to a
        ticker (the other names its calls were stored with). share_elsewhere(word, ticker) is the share of the
        passages of other companies' calls that contain a word, to tell a one-word name ('Amphenol') from a
        common word ('Target'); it is asked only for names that queries use, once each."""
        d = cls()
        d._share_elsewhere = share_elsewhere
        named: list[tuple[str, str | None]] = []
        for call_id, ticker, company, quarter in calls:
            d.call_ticker[call_id] = ticker
            d.call_quarter[call_id] = quarter
            if ticker:
                d.tickers.add(ticker)
                named.append((ticker, company))
        for ticker, company in [*named, *aliases]:
            name = clean_name(company)
            if not ticker or not name:
                continue
            forms = {name}
            first = name.split()[0]
            if len(first) >= 4 and first[0].isupper() and first != name:
                forms.add(first)          # 'Synovus' for 'Synovus Financial'
            for form in forms:
                d.names.setdefault(form.lower(), set()).add(ticker)
        if d.names:
            alternatives = "|".join(re.escape(n) for n in sorted(d.names, key=len, reverse=True))
            d._pattern = re.compile(r"(?<![\w&.])(" + alternatives + r")(?:'s|’s|')?(?![\w&])", re.I)
        return d

    def _is_common(self, form: str, ticker: str) -> bool:
        if " " in form:
            return False
        if form not in self._common:
            self._common[form] = self._share_elsewhere(form, ticker) > COMMON_SHARE
        return self._common[form]

    def interpret(self, text: str) -> Interpretation:
        tickers: dict[str, None] = {}
        names: list[str] = []
        if self._pattern is not None:
            for m in self._pattern.finditer(text):
                form = m[1].lower()
                owners = self.names[form]
                # a name two companies share names neither; a common word is not a name
                if len(owners) == 1 and not self._is_common(form, next(iter(owners))):
                    tickers.update(dict.fromkeys(owners))
                    names.append(m[1])
        for token in re.findall(r"(?<![\w$])\$?([A-Z][A-Z.]{1,5})(?![\w])", text):
            if token in self.tickers and token not in _NOT_TICKERS:
                tickers[token] = None
                names.append(token)
        if len(tickers) > MAX_COMPANIES:
            tickers, names = {}, []
        return Interpretation(tuple(tickers), tuple(dict.fromkeys(names)), quarter_named(text))
