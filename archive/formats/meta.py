"""Metadata that hides in transcript text: fiscal period, call date, exchange and ticker, company name.
Layout-free helpers the readers share."""
from __future__ import annotations

import re

MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
EXCHANGES = ("NYSE", "NASDAQ", "NASDAQGS", "NASDAQGM", "NASDAQCM", "AMEX", "NYSEAMERICAN", "NYSEMKT", "TSX", "OTC",
             "OTCPK", "LSE", "HKEX", "ASX", "BATS")

_ABBREVIATED = {m[:3]: i for m, i in MONTHS.items()} | {"sept": 9}
_DATE = re.compile(r"(?:\b|(?-i:(?<=[a-z])(?=[A-Z])))(" + "|".join(list(MONTHS) + list(_ABBREVIATED)) + r")\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", re.I)
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
    month, day, year = (MONTHS.get(m[1].lower()) or _ABBREVIATED[m[1].lower()]), int(m[2]), int(m[3])
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


_NAME = r"(?P<company>[A-Z0-9][\w&.,'’/\- ]{1,80}?)"
_LEAD = (r"\b(?:welcome(?:\s+(?:everyone|you|all))?(?:\s+to)?|joining\s+us(?:\s+today)?\s+(?:for|to\s+discuss)|"
         r"standing\s+by\s+for)\s+(?:the\s+|today's\s+|today’s\s+)?")
_PERIOD = (r"(?:(?:first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+quarter|q[1-4]|[1-4]q)(?:\s+(?:fiscal\s+)?(?:20)?\d\d)?"
           r"(?:\s+and\s+full[\s-]year(?:\s+20\d\d)?)?")
_WELCOMES = [
    # 'welcome to the Kingsoft Cloud's First Quarter 2020 ...', 'joining us today for Sun Communities Third Quarter'
    re.compile(_LEAD + _NAME + r"(?:'s|’s)?\s+(?:(?:first|second|third|fourth|1st|2nd|3rd|4th|Q[1-4]|fiscal|full|"
               r"annual|20\d\d|FY)\b|earnings|conference|quarterly|results)", re.I),
    # 'welcome to the Q1 2021 Callaway Golf earnings conference call', '... Third Quarter Cabot Earnings Call'
    re.compile(_LEAD + _PERIOD + r"\s+" + _NAME + r"(?:'s|’s)?\s+(?:earnings|conference|quarterly|results|investor|"
               r"teleconference)\b", re.I),
    # '... results conference call and webcast for Zoetis.', 'Third Quarter Results Teleconference for Travelers.'
    re.compile(r"\b(?:call|webcast|teleconference)\s+for\s+" + _NAME + r"(?:\s*[.\[]|,\s|$)", re.I),
]
_PERIOD_WORDS = re.compile(r"(?:(?:first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+quarter|q[1-4]\b|[1-4]q\b|nine\b|"
                           r"half\b|fiscal\b|full\b|investors?\b|analysts?\b|everyone\b|all\b|earnings\b|"
                           r"conference\b|call\b|results\b|quarterly\b|financial\b|our\b|this\b|today)", re.I)


def company_from_welcome(text: str, context: str | None = None) -> str | None:
    """The operator's welcome names the company: 'welcome to the Kingsoft Cloud's First Quarter 2020 ...',
    'welcome to the Q1 2021 Callaway Golf earnings conference call', '... conference call and webcast for Zoetis.'
    context: more of the call's text, to tell a possessive of speech ("Intel's Corporation") from a brand's own
    ("McDonald's Corporation", whose bare 'McDonald' the call never says)."""
    for pattern in _WELCOMES:
        for m in pattern.finditer(text or ""):
            name = clean_company(m["company"], context=f"{text}\n{context or ''}")
            if name:
                return name
    return None


# A fiscal period at either end of a name: 'FY15 Microsoft Corporation', 'Amazon.com Quarter 2', 'Acme Q3 2021',
# '2021 Acme'. A bare 'Q2' before a name stays: it may be the name ('Q2 Holdings').
_PERIOD_HEAD = re.compile(
    r"^(?:(?:FY|fiscal(?:\s+year)?)\s*'?\d{2,4}|(?:Q[1-4]|[1-4]Q|quarter\s*[1-4])\s*(?:FY)?\s*'?(?:19|20)?\d\d|"
    r"(?:19|20)\d\d|(?:first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+(?:fiscal\s+)?(?:quarter|half)|"
    r"(?:full|half)[\s-]+year|fiscal(?:\s+year)?|quarter\s*[1-4])\b[\s,.\-–]*", re.I)
_PERIOD_TAIL = re.compile(
    r"[\s,\-–]+(?:(?:quarter|qtr|q|FY|fiscal(?:\s+year)?)\s*'?\d{1,4}|Q[1-4]|[1-4]Q|(?:19|20)\d\d|FY|"
    r"fiscal(?:\s+year)?|quarter|quarterly|(?:full|half)[\s-]+year)$", re.I)
# Names made of period and event words only: 'Quarter 1', 'FY 2015', 'Fiscal Year'.
_ONLY_PERIOD = re.compile(r"^(?:(?:q[1-4]|[1-4]q|fy|quarter|quarterly|qtr|first|second|third|fourth|1st|2nd|3rd|"
                          r"4th|fiscal|year|full|half|nine|months?|annual|results|earnings|'?\d{1,4})[\s,.\-–]*)+$",
                          re.I)
_LOWER_TAIL = re.compile(r"(?:\s+(?!(?:plc|inc|corp|corporation|company|incorporated|limited|ltd|llc|co|sa|nv|ag|se)\b)"
                         r"[a-z][\w\-]*)+$")
_LEGAL = r"(?:Corporation|Corp|Incorporated|Inc|Company|Companies|Co|Group|Holdings?|Ltd|Limited|plc|PLC|LLC|N\.V|S\.A|AG|SE)"


def clean_company(raw: str | None, *, context: str | None = None) -> str | None:
    """A company name as read from running text, or None when it is no name: period words cut at both ends,
    a possessive of speech dropped before a legal form when context says the bare name ('Intel's Corporation'
    -> 'Intel Corporation'), names that are only period words refused."""
    if not raw:
        return None
    raw = re.sub(r"\s+", " ", raw).strip()
    if ". " in raw or re.search(r"\s(?:as|our|we|is|are|with|from|will|to)\s", raw):     # a sentence, not a name
        return None
    # Cut where the period or the event starts ('Generali nine-months', 'Prysmian Group, nine month',
    # 'Southwestern Energy Call discussing its').
    name = re.split(r"[,\s-]+(?:nine|half|first|second|third|fourth|financial\s+(?:results|year|report)|fiscal|full|h1|9m|"
                    r"[1-4]q|q[1-4]|results|quarter|quarterly|fy\s*'?\d{2,4}|"
                    r"video|event|debut|december|march|june|september|and|call|discussing|discussion|investor|"
                    r"announces|teleconference|webcast|earnings)\b",
                    raw, maxsplit=1, flags=re.I)[0].strip(" ,.")
    for _ in range(4):
        before = name
        name = _PERIOD_HEAD.sub("", name).strip(" ,.")
        name = _PERIOD_TAIL.sub("", name).strip(" ,.")
        if name == before:
            break
    # a name ends in a capitalised word or a legal form: 'Diebold Nixdorf hosted', 'Hartford financial'
    name = _LOWER_TAIL.sub("", name).strip(" ,.")
    name = re.sub(r"(?:'s|’s|'|’)$", "", name).strip()
    # 'Intel's Corporation': the possessive of speech, when the call also says the bare 'Intel'
    m = re.search(r"\b([A-Z][\w&.\-]*)['’]s\s+" + _LEGAL + r"\b", name)
    if m and context and re.search(r"(?<![\w'’])" + re.escape(m[1]) + r"(?![\w'’])", context):
        name = name[:m.end(1)] + name[m.end(1) + 2:]
    if not name or not (name[0].isupper() or name[0].isdigit()) or _PERIOD_WORDS.match(name) \
            or _ONLY_PERIOD.match(name) or re.fullmatch(r"(?:the\s+)?" + _LEGAL + r"\.?", name, re.I) \
            or ". " in name or len(name.split()) > 7 \
            or not re.search(r"[A-Za-z]{2}|\d[A-Za-z]", name):
        return None
    return name

