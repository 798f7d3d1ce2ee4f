"""Request arguments -> SearchQuery and friends, shared by the pages and the API. Every bad value becomes a
BadRequestError that names the parameter and the fix."""
from __future__ import annotations

import re

from archive.errors import BadRequestError
from archive.search import MAX_LIMIT, WINDOW, SearchQuery


def _one(args, name, default=None):
    values = args.getlist(name)
    if len(values) > 1:
        raise BadRequestError(f"parameter {name!r} was given {len(values)} times", f"give {name} once")
    return values[0] if values else default


def _int(args, name, lo, hi, default=None):
    raw = _one(args, name)
    if raw in (None, ""):
        return default
    if not re.fullmatch(r"-?\d{1,9}", raw.strip()):
        raise BadRequestError(f"parameter {name!r} must be a whole number, got {raw[:40]!r}", f"e.g. {name}={lo}")
    value = int(raw)
    if not lo <= value <= hi:
        raise BadRequestError(f"parameter {name!r} is out of range ({value})", f"use {lo} to {hi}")
    return value


def _years(args):
    year = _int(args, "year", 1900, 2200)
    raw = _one(args, "years")
    if year is not None and raw:
        raise BadRequestError("give year or years, not both", "e.g. years=2019-2021")
    if year is not None:
        return (year, year)
    if raw:
        m = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4}))?\s*", raw)
        if not m:
            raise BadRequestError(f"years {raw[:40]!r} is not a range", "e.g. years=2019-2021")
        a, b = int(m[1]), int(m[2] or m[1])
        return (a, b)
    return None


def tickers(args) -> tuple[str, ...]:
    """ticker=KC&ticker=YETI or ticker=KC,YETI."""
    return tuple(t.strip().upper() for v in args.getlist("ticker") for t in v.split(",") if t.strip())


def search_query(args) -> SearchQuery:
    text = _one(args, "q", "")
    tickers_ = tickers(args)
    limit = _int(args, "limit", 1, MAX_LIMIT, 10)
    page = _int(args, "page", 1, WINDOW, 1)
    offset = (page - 1) * limit
    if offset >= WINDOW:
        raise BadRequestError(f"page {page} is past the {WINDOW} results a search returns", "narrow the query")
    weight = _one(args, "lexical_weight")
    try:
        weight = float(weight) if weight not in (None, "") else None
    except ValueError:
        raise BadRequestError("parameter 'lexical_weight' must be a number between 0 and 1", "e.g. 0.7") from None
    interpret = _one(args, "interpret", "1")
    if interpret not in ("0", "1"):
        raise BadRequestError(f"parameter 'interpret' must be 0 or 1, got {interpret[:20]!r}", "e.g. interpret=0")
    quarter = _one(args, "quarter")
    q = None
    if quarter not in (None, ""):
        q = quarter.strip().upper().lstrip("Q")
        if q not in ("1", "2", "3", "4"):
            raise BadRequestError(f"quarter {quarter[:20]!r} is not 1-4", "e.g. quarter=3")
        q = int(q)
    return SearchQuery(text=text, tickers=tickers_, company=_one(args, "company") or None, years=_years(args),
                       quarter=q, speaker=_one(args, "speaker") or None, role=_one(args, "role") or None,
                       section=_one(args, "section") or None, mode=_one(args, "mode", "hybrid") or "hybrid",
                       limit=limit, offset=offset, fusion=_one(args, "fusion", "weighted") or "weighted",
                       lexical_weight=weight, interpret=interpret == "1").validated()
