"""One canonical company name per ticker, from the names its calls were stored with. Pure functions; the store
feeds them (store.companies) and the service reads queries and filters with them.

Each call keeps the company name as it was read. Across a ticker's calls the names vary ('Aflac', 'Aflac
Incorporated', 'American Assets Trust, Inc' / 'American Assets Trust Inc'), so the archive shows one:

1. Spellings that differ only in case, punctuation, spacing or a possessive are one form ('American Assets Trust,
   Inc' and 'American Assets Trust Inc'); a form is written as its most common spelling.
2. The canonical form is the one
   a. given with the most authority: a sidecar or the command line, then the file's own title, header or metadata,
      then (older archives that did not record it) unknown, and last the operator's welcome;
   b. then used by the most calls;
   c. then naming a legal form ('Avista Corporation' over 'Avista'), then the longest, then the first in
      alphabetical order (so the choice never depends on the order of ingest).
3. Every other clean form is an alias: queries that name it and the company filter find the ticker's calls.

Welcome-derived names (and those of unknown origin) are re-checked with the reader's cleaner, so a period word or
other junk stored by an older reader is neither canonical nor an alias. Calls without a ticker are each company by
their own name."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

GIVEN, FILE, WELCOME = "given", "file", "welcome"
_AUTHORITY = {GIVEN: 3, FILE: 2, None: 1, WELCOME: 0}
_LEGAL = re.compile(r"\b(?:inc|incorporated|corporation|corp|company|companies|co|plc|holdings?|group|ltd|limited|"
                    r"llc|lp|l\.p|n\.v|s\.a|ag|se|trust)\b\.?", re.I)


@dataclass(frozen=True)
class Company:
    ticker: str | None
    name: str | None                             # the canonical name (None: no clean name on file)
    aliases: tuple[str, ...] = ()                # the other names its calls were stored with
    calls: int = 0

    def to_dict(self) -> dict:
        return {"ticker": self.ticker, "company": self.name, "aliases": list(self.aliases), "calls": self.calls}


def spelling_key(name: str) -> str:
    """'American Assets Trust, Inc' and 'american assets trust inc' are one spelling; "Intel's" is 'intel'."""
    s = re.sub(r"['’]s\b", "", name.lower())
    return " ".join(re.findall(r"[a-z0-9&]+", s))


def _clean(name: str | None, source: str | None) -> str | None:
    if not name or not name.strip():
        return None
    name = re.sub(r"\s+", " ", name).strip()
    if source in (GIVEN, FILE):
        return name                       # what the file or the user says is the name as given
    from .formats.meta import clean_company
    return clean_company(name)


def canonical(rows: Iterable[tuple[str | None, str | None, str | None, int]]) -> list[Company]:
    """rows: (ticker, company as stored, where the company came from, number of calls). One Company per ticker
    (and one per name for calls without a ticker), sorted by name."""
    by_ticker: dict[str | None, list[tuple[str, str | None, int]]] = {}
    no_ticker: Counter = Counter()
    for ticker, company, source, n in rows:
        if not ticker:
            if company and company.strip():
                no_ticker[re.sub(r"\s+", " ", company).strip()] += n
            continue
        by_ticker.setdefault(ticker, []).append((company, source, n))
    out = []
    for ticker, names in by_ticker.items():
        total = sum(n for _, _, n in names)
        forms: dict[str, dict] = {}
        for company, source, n in names:
            clean = _clean(company, source)
            if not clean:
                continue
            f = forms.setdefault(spelling_key(clean), {"spellings": Counter(), "calls": 0, "authority": -1})
            f["spellings"][clean] += n
            f["calls"] += n
            f["authority"] = max(f["authority"], _AUTHORITY.get(source, 1))
        if not forms:
            out.append(Company(ticker, None, (), total))
            continue
        written = {k: min(f["spellings"], key=lambda s: (-f["spellings"][s], s)) for k, f in forms.items()}
        best = min(forms, key=lambda k: (-forms[k]["authority"], -forms[k]["calls"],
                                         not _LEGAL.search(written[k]), -len(written[k]), written[k]))
        aliases = sorted({s for f in forms.values() for s in f["spellings"]} - {written[best]}, key=str.lower)
        out.append(Company(ticker, written[best], tuple(aliases), total))
    out += [Company(None, name, (), n) for name, n in no_ticker.items()]
    return sorted(out, key=lambda c: ((c.name or c.ticker or "").lower(), c.ticker or ""))


def tickers_named(companies: Iterable[Company], name: str) -> tuple[str, ...]:
    """The tickers a company name points to: its canonical name or an alias, in any case and spelling
    ('american assets trust inc'). Empty when the name is no ticker's (or only names calls without one)."""
    key = spelling_key(name or "")
    if not key:
        return ()
    return tuple(sorted({c.ticker for c in companies if c.ticker
                         and any(spelling_key(n) == key for n in (c.name or "", *c.aliases))}))
