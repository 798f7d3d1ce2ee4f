"""Request arguments -> SearchRequest, for the pages and the API, generated from the declared fields
(archive/request.py): this module knows only the web's syntax (repeated or comma-separated lists, 0/1 flags,
years=2019-2021, quarter=Q3); the bounds and vocabularies are checked by the declaration. Every bad value
becomes a BadRequestError that names the parameter."""
from __future__ import annotations

import re

from archive.errors import BadRequestError
from archive.request import BOOL, FLOAT, INT, TEXT, TREND_FIELDS, YEAR_RANGE, SearchRequest, TrendRequest, fields


def one_value(args, name, default=None):
    values = args.getlist(name)
    if len(values) > 1:
        raise BadRequestError(f"parameter {name!r} was given {len(values)} times", f"give {name} once")
    return values[0] if values else default


def int_value(args, name, lo, hi, default=None):
    raw = one_value(args, name)
    if raw in (None, ""):
        return default
    value = _number(name, raw, int)
    if not lo <= value <= hi:
        raise BadRequestError(f"parameter {name!r} is out of range ({value}): use {lo} to {hi}", param=name,
                              example=str(lo))
    return value


def _number(name, raw: str, kind):
    text = raw.strip()
    if name == "quarter":
        text = text.upper().removeprefix("Q")
    pattern = r"-?\d{1,9}" if kind is int else r"-?\d{1,9}(?:\.\d{0,9})?|-?\.\d{1,9}"
    if not re.fullmatch(pattern, text):
        raise BadRequestError(f"parameter {name!r} must be a {'whole number' if kind is int else 'number'}, got "
                              f"{raw[:40]!r}", param=name, example="1" if kind is int else "0.5")
    return kind(text)


def _years(args):
    year, raw = one_value(args, "year"), one_value(args, "years")
    if year not in (None, "") and raw:
        raise BadRequestError("give year or years, not both", param="years", example="2019-2021")
    if year not in (None, ""):
        y = _number("year", year, int)
        return (y, y)
    if raw:
        m = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4}))?\s*", raw)
        if not m:
            raise BadRequestError(f"years {raw[:40]!r} is not a range", param="years", example="2019-2021")
        return (int(m[1]), int(m[2] or m[1]))
    return None


def _value(args, fd):
    if fd.kind == YEAR_RANGE:
        return _years(args)
    if fd.many:
        raw = [v.strip() for given in args.getlist(fd.name) for v in given.split(",") if v.strip()]
        return tuple(_number(fd.name, v, int) if fd.kind == INT else v for v in raw)
    raw = one_value(args, fd.name)
    if raw in (None, ""):
        return None
    if fd.kind == BOOL:
        if raw not in ("0", "1"):
            raise BadRequestError(f"parameter {fd.name!r} must be 0 or 1, got {raw[:20]!r}", param=fd.name,
                                  example="0")
        return raw == "1"
    if fd.kind in (INT, FLOAT):
        return _number(fd.name, raw, int if fd.kind == INT else float)
    return raw


def search_request(args, names=None, **fixed) -> SearchRequest:
    """The search the arguments ask for (only the fields in names, when given); fixed: values the route sets."""
    values = {fd.attr: _value(args, fd) for fd in fields(names) if fd.kind != TEXT}
    text = one_value(args, "q", "")
    return SearchRequest.build(text=text, **{k: v for k, v in values.items() if v is not None}, **fixed)


def trend_request(args) -> TrendRequest:
    """The trend comparison the arguments ask for: the terms are the repeated q (never split on commas), the
    other fields in the search's web syntax, all checked by the declaration (archive/request.py)."""
    values = {fd.attr: _value(args, fd) for fd in TREND_FIELDS if fd.name != "q"}
    return TrendRequest.build(terms=args.getlist("q"), **{k: v for k, v in values.items() if v is not None})


def tickers(args) -> tuple[str, ...]:
    """ticker=KC&ticker=YETI or ticker=KC,YETI."""
    return tuple(t.strip().upper() for v in args.getlist("ticker") for t in v.split(",") if t.strip())
