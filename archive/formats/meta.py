"""Metadata that hides in transcript text: fiscal period, call date, exchange and ticker, company name.
Layout-free helpers the readers share."""
from __future__ import annotations

import re

MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
EXCHANGES = ("NYSE", "NASDAQ", "NASDAQGS", "NASDAQGM", "NASDAQCM", "AMEX", "NYSEAMERICAN", "NYSEMKT", "TSX", "OTC",
             "OTCPK", "LSE", "HKEX", "ASX", "BATS")

_DATE = re.compile(r"\b(" + "|".join(MONTHS) + r")\.?\s+(\d{1,2}),?\s+(\d{4})\b", re.I)
_TICKER = re.compile(r"\((?P<exchange>[A-Z][A-Za-z ]{1,14}):\s*(?P<ticker>[A-Z][A-Z0-9.\-]{0,9})\)")
_PERIODS = [
    # Q1 2018, Q1 FY2018, Q1 fiscal 2018
    (re.compile(r"\bQ([1-4])\s*(?:FY|fiscal\s*(?:year\s*)?)?'?(\d{4})\b", re.I), lambda m: (int(m[2]), int(m[1]))),
    # 2020 - Q1, 2020 Q1, FY2020 Q1
    (re.compile(r"\b(?:FY\s*)?(\d{4})\s*[-–]?\s*Q([1-4])\b", re.I), lambda m: (int(m[1]), int(m[2]))),
    # first quarter (of) (fiscal) (year) 2020
    (re.compile(r"\b(first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+(?:fiscal\s+)?quarter,?\s+(?:of\s+|for\s+)?"
                r"(?:the\s+)?(?:fiscal\s+)?(?:year\s+)?(?:FY\s*)?'?(\d{4})\b", re.I),
     lambda m: (int(m[2]), _ORDINAL[m[1].lower()])),
    # fiscal 2020 first quarter, 2020 first quarter
    (re.compile(r"\b(?:fiscal\s+(?:year\s+)?|FY\s*)?(\d{4})\s+(first|second|third|fourth)[\s-]+quarter\b", re.I),
     lambda m: (int(m[1]), _ORDINAL[m[2].lower()])),
    # nine months (of) 2021: Q3; first half / half-year 2021: Q2
    (re.compile(r"\b(?:first\s+)?(?:nine[\s-]+months?|9M)\s+(?:of\s+|ended\s+|results\s+)?(?:fiscal\s+)?(\d{4})\b", re.I),
     lambda m: (int(m[1]), 3)),
    (re.compile(r"\b(?:first[\s-]+half|half[\s-]+year|H1|1H)\s+(?:of\s+|results\s+)?(?:fiscal\s+)?(\d{4})\b", re.I),
     lambda m: (int(m[1]), 2)),
    # full year 2019 / 2019 annual results / fourth quarter and full year: Q4
    (re.compile(r"\b(?:full[\s-]+year|annual|year[\s-]+end)\s+(?:results\s+)?(?:of\s+|for\s+)?(\d{4})\b", re.I),
     lambda m: (int(m[1]), 4)),
    (re.compile(r"\b(\d{4})\s+(?:full[\s-]+year|annual|year[\s-]+end)\b", re.I), lambda m: (int(m[1]), 4)),
]


def iso_date(text: str) -> str | None:
    m = _DATE.search(text or "")
    if not m:
        return None
    month, day, year = MONTHS[m[1].lower()], int(m[2]), int(m[3])
    if not (1900 < year < 2200 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def period_in(text: str) -> tuple[int | None, int | None]:
    """The first fiscal period named in text: (year, quarter), or (None, None)."""
    best = None
    for pattern, read in _PERIODS:
        m = pattern.search(text or "")
        if m:
            year, quarter = read(m)
            if 1990 <= year <= 2100 and (best is None or m.start() < best[0]):
                best = (m.start(), year, quarter)
    return (best[1], best[2]) if best else (None, None)


def exchange_ticker(text: str) -> tuple[str | None, str | None]:
    """'(NYSE:ABT)' -> ('NYSE', 'ABT')."""
    m = _TICKER.search(text or "")
    if not m:
        return None, None
    return m["exchange"].replace(" ", "").upper(), m["ticker"]


def exchange_in(text: str) -> str | None:
    """An exchange named on its own in a header line ('Technology - Software - NASDAQ - CN')."""
    for part in re.split(r"\s+-\s+|\s*\|\s*", text or ""):
        if part.strip().upper() in EXCHANGES:
            return part.strip().upper()
    return None


_WELCOME = re.compile(
    r"\bwelcome\s+(?:everyone\s+|you\s+|all\s+)?to\s+(?:the\s+)?(?P<company>[A-Z][\w&.,'’\- ]{1,80}?)(?:'s|’s)?\s+"
    r"(?:(?:first|second|third|fourth|1st|2nd|3rd|4th|Q[1-4]|fiscal|full|annual|20\d\d|FY)\b|earnings|conference|"
    r"quarterly|results)", re.I)


def company_from_welcome(text: str) -> str | None:
    """The operator's welcome names the company: 'welcome to the Kingsoft Cloud's First Quarter 2020 ...'."""
    m = _WELCOME.search(text or "")
    if not m:
        return None
    # Cut where the period starts ('Generali nine-months', 'Prysmian Group, nine month', '... financial').
    name = re.split(r"[,\s-]+(?:nine|half|first|second|third|fourth|financial|fiscal|full|h1|9m|[1-4]q|results|"
                    r"video|event|debut|december|march|june|september|and)\b",
                    m["company"], maxsplit=1, flags=re.I)[0].strip(" ,.")
    name = re.sub(r"(?:'s|’s|'|’)$", "", name).strip()
    if not name or name.lower() in ("the", "our", "this", "today's") or not name[0].isupper() \
            or re.match(r"(?:first|second|third|fourth|q[1-4]|nine|half|investors?|analysts?|everyone|all)\b", name, re.I):
        return None
    return name
