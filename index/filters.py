"""Filters with one meaning in both legs. A filter is {field: value}, where value is one value, a list of values
(any of them), or for integer fields a (low, high) range, both ends included. Keyword values compare after
lower-casing. The lexical leg turns a filter into a Whoosh query, the vector leg into a row mask."""
from __future__ import annotations

from typing import Any, Mapping

KEYWORD, INTEGER = "keyword", "integer"

Filters = Mapping[str, Any]


def normalized(filters: Filters | None, fields: Mapping[str, str]) -> dict[str, tuple]:
    """{field: ('in', values)} or {field: ('range', lo, hi)}; unknown fields raise ValueError."""
    out = {}
    for name, value in (filters or {}).items():
        if value is None or value == [] or value == ():
            continue
        if name not in fields:
            raise ValueError(f"unknown filter field {name!r}")
        if fields[name] == INTEGER and isinstance(value, tuple):
            lo, hi = value
            out[name] = ("range", int(lo), int(hi))
        else:
            values = value if isinstance(value, (list, set, frozenset)) else [value]
            if fields[name] == INTEGER:
                out[name] = ("in", tuple(sorted({int(v) for v in values})))
            else:
                out[name] = ("in", tuple(sorted({str(v).lower() for v in values})))
    return out
