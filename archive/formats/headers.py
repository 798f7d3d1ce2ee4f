"""Metadata a file keeps outside the call: header fields (`Ticker: MSFT`, `Company: Microsoft`, `Quarter: Q1 2026`),
a title line (`Apple Inc. (AAPL) Q1 2025 Earnings Call`, `Microsoft(MSFT+5.25%)Q1 2025 Earnings CallOct 30, 2024`),
and the file name (`AAPL_2025_Q1.csv`, `MSFT_Q1_2025_earnings_call.txt`, `Q3 2022 Acme Corp Earnings Call.txt`).
Each value found records where it came from (`draft.sources`), for `inspect`."""
from __future__ import annotations

import re
from pathlib import Path

from .meta import exchange_ticker, iso_date, period_in

_FIELD = re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z ._]{1,30}?)\s*[:=]\s*(?P<value>\S.{0,200}?)\s*$")
_KEYS = {
    "company": "company", "company name": "company", "issuer": "company", "name": "company",
    "ticker": "ticker", "symbol": "ticker", "stock symbol": "ticker", "ticker symbol": "ticker",
    "quarter": "period", "fiscal quarter": "period", "period": "period", "fiscal period": "period",
    "event": "title", "event name": "title", "title": "title",
    "date": "date", "call date": "date", "event date": "date", "event date/time": "date",
    "fiscal year": "year", "year": "year", "exchange": "exchange",
}
# 'Apple Inc. (AAPL) ...', 'Microsoft(MSFT+5.25%)Q1 ...', 'Abbott Laboratories (NYSE:ABT) Q1 ...'
_TITLE_TICKER = re.compile(r"^(?P<company>[^()\n]{2,80}?)\s*\((?:(?P<exchange>[A-Z][A-Za-z]{1,12})\s*:\s*)?"
                           r"(?P<ticker>[A-Z][A-Z0-9.\-]{0,7})(?:\s*[+\-−]\s*\d[\d.,]*%)?\)")
_TITLE_WORDS = re.compile(r"earnings|conference call|results call|investor call|analyst call|\bQ[1-4]\b|quarter", re.I)
_TICKER = re.compile(r"^[A-Z][A-Z0-9]{0,5}(?:[.\-][A-Z]{1,2})?$")
_NOT_TICKERS = {"CT", "Q1", "Q2", "Q3", "Q4", "FY", "EARNINGS", "CALL", "TRANSCRIPT", "THE", "AND"}


def _set(draft, key: str, value, where: str) -> None:
    if value in (None, "") or getattr(draft, key, None) not in (None, ""):
        return
    setattr(draft, key, value)
    draft.sources[key] = where


def header_meta(lines: list[str], draft) -> None:
    """Fill what the draft lacks from the lines before the call."""
    for line in lines[:60]:
        m = _FIELD.match(line)
        if m and m["key"].lower().strip() in _KEYS:
            what, value = _KEYS[m["key"].lower().strip()], m["value"].strip()
            where = f"header field {m['key'].strip()!r}"
            if what == "company":
                name = re.sub(r"\s*\([^)]*\)\s*$", "", value).strip()
                if 1 < len(name) <= 100:
                    _set(draft, "company", name, where)
            elif what == "ticker" and _TICKER.match(value.upper().split(":")[-1].strip()):
                _set(draft, "ticker", value.upper().split(":")[-1].strip(), where)
            elif what == "period":
                y, q = period_in(value)
                _set(draft, "quarter", q, where)
                _set(draft, "year", y, where)
            elif what == "year" and re.fullmatch(r"(?:FY\s*)?\d{4}", value, re.I):
                _set(draft, "year", int(value[-4:]), where)
            elif what == "date":
                _set(draft, "date", iso_date(value) or (value[:10] if re.match(r"\d{4}-\d\d-\d\d", value) else None),
                     where)
            elif what == "title":
                _set(draft, "title", value, where)
            elif what == "exchange":
                _set(draft, "exchange", value.upper()[:20], where)
    for line in lines[:40]:
        s = re.sub(r"\s+", " ", line).strip()
        if not s or len(s) > 300 or _FIELD.match(s) and not _TITLE_TICKER.match(s):
            continue
        m = _TITLE_TICKER.match(s)
        if m or (_TITLE_WORDS.search(s) and period_in(s)[0]):
            where = f"title line {s[:80]!r}"
            _set(draft, "title", s, where)
            if m and m["ticker"] not in _NOT_TICKERS:
                _set(draft, "ticker", m["ticker"], where)
                _set(draft, "company", m["company"].strip(" -,"), where)
                if m["exchange"]:
                    _set(draft, "exchange", m["exchange"].upper(), where)
            else:
                ex, tk = exchange_ticker(s)
                _set(draft, "ticker", tk, where)
                _set(draft, "exchange", ex, where)
            y, q = period_in(s)
            _set(draft, "quarter", q, where)
            _set(draft, "year", y, where)
            _set(draft, "date", iso_date(s), where)
            break
    for line in lines[:40]:
        if iso_date(line):
            _set(draft, "date", iso_date(line), f"header line {line.strip()[:60]!r}")
            break


def file_name_meta(path: Path, draft) -> None:
    """Ticker and fiscal period from a file name, when the file itself does not say."""
    stem = Path(path).name
    stem = re.sub(r"(?:\.meta)?\.[A-Za-z0-9]{1,5}$", "", stem)
    where = f"file name {Path(path).name!r}"
    y, q = period_in(stem.replace("_", " "))
    if y is None:
        m = re.search(r"(?:^|[_\-\s])(?:Q([1-4])[_\-\s]?((?:19|20)\d\d)|((?:19|20)\d\d)[_\-\s]?Q([1-4]))(?:$|[_\-\s])",
                      stem, re.I)
        if m:
            y, q = (int(m[2]), int(m[1])) if m[1] else (int(m[3]), int(m[4]))
    if y is not None:
        _set(draft, "year", y, where)
        _set(draft, "quarter", q, where)
    tokens = [t for t in re.split(r"[_\s]+", stem) if t]
    if y is not None and tokens:
        lead = [t for t in tokens[:2] if _TICKER.match(t) and t not in _NOT_TICKERS and not re.match(r"^(?:19|20)\d\d$", t)]
        if lead and not re.search(r"[a-z]", stem.split("_")[0] if "_" in stem else stem[:6]):
            _set(draft, "ticker", lead[0], where)
