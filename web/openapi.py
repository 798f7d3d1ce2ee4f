"""The OpenAPI 3.1 document of the JSON API: the search parameters are generated from the declared request
(archive/request.py); tests/test_web_api.py compares the routes with the app's, tests/test_request.py the
parameters with the declaration."""
from __future__ import annotations

from archive.request import BOOL, CHOICE, FLOAT, INT, TEXT, TREND_FIELDS, YEAR_RANGE, fields

ERROR = {"$ref": "#/components/schemas/Error"}


def _param(name, schema, description, required=False, where="query"):
    return {"name": name, "in": where, "required": required, "description": description, "schema": schema}


def request_params(names=None) -> list[dict]:
    """The query parameters of the declared search request fields (archive/request.py)."""
    out = []
    for fd in fields(names):
        if fd.kind == YEAR_RANGE:
            out.append(_param("year", {"type": "integer", "minimum": int(fd.lo), "maximum": int(fd.hi)},
                              "Only this fiscal year."))
            out.append(_param("years", {"type": "string", "pattern": r"^\d{4}(-\d{4})?$"},
                              f"{fd.help} e.g. {fd.example}."))
            continue
        out.append(_param(fd.name, _schema(fd), fd.help + (" Repeat or comma-separate." if fd.many else ""),
                          required=fd.kind == TEXT))
    return out


def _schema(fd) -> dict:
    if fd.kind == BOOL:
        return {"type": "string", "enum": ["0", "1"], "default": "1" if fd.default else "0"}
    if fd.kind == CHOICE:
        schema = {"type": "string", "enum": list(fd.choices)}
    elif fd.kind in (INT, FLOAT):
        kind = int if fd.kind == INT else float
        schema = {"type": "integer" if fd.kind == INT else "number", "minimum": kind(fd.lo), "maximum": kind(fd.hi)}
    else:
        schema = {"type": "string"}
        if fd.max_length:
            schema["maxLength"] = fd.max_length
        if fd.pattern:
            schema["pattern"] = f"^{fd.pattern}$"
    if fd.default is not None:
        schema["default"] = fd.default
    if fd.many:
        schema = {"type": "array", "items": schema, "maxItems": fd.max_items}
    return schema


def _get(summary, params=(), ok="Result", errors=(400,), schema=None):
    responses = {"200": {"description": ok, "content": {"application/json": {"schema": schema or {"type": "object"}}}}}
    for code in errors:
        responses[str(code)] = {"description": "Error", "content": {"application/json": {"schema": ERROR}}}
    return {"get": {"summary": summary, "parameters": list(params), "responses": responses}}


_NUMBER_OR_NULL = {"type": ["number", "null"]}
_STRING_OR_NULL = {"type": ["string", "null"]}
SEARCH_RESULTS = {
    "type": "object",
    "required": ["query", "total", "calls", "weak", "floor", "hits", "facets", "warnings"],
    "properties": {
        "query": {"type": "object", "description": "The request answered, with its defaults."},
        "total": {"type": "integer", "description": "Matching turns (exchanges, with unit=exchange) among the "
                                                    "turns a search ranks."},
        "calls": {"type": "integer", "description": "Calls among the matches."},
        "weak": {"type": "integer", "description": "Ranked turns below the floor but with some evidence: not "
                                                   "shown (min_score=0 shows them)."},
        "floor": {"type": "number", "description": "The match strength a hit needed."},
        "took_ms": {"type": "number"},
        "weights": {"type": "object"},
        "hits": {"type": "array", "items": {"type": "object", "properties": {
            "turn_id": {"type": "string"}, "call_id": {"type": "string"}, "rank": {"type": "integer"},
            "score": {"type": "number"},
            "match": {"type": "number", "minimum": 0, "maximum": 1,
                      "description": "Match strength: from 0.8 strong, from 0.5 partial, below weak."},
            "strength": {"type": "string", "enum": ["strong", "partial", "weak"]},
            "coverage": _NUMBER_OR_NULL, "similarity": _NUMBER_OR_NULL,
            "snippet": {"type": "string", "description": "Up to 3 matching sentences joined by ' … ', the query's "
                                                         "words in <mark>."},
            "date": _STRING_OR_NULL,
            "question": {"type": ["object", "null"], "description": "For an executive's answer in the Q&A: the "
                                                                     "analyst's question it answers (turn_id, "
                                                                     "speaker, title, role, position, text, "
                                                                     "snippet, url)."}}}},
        "groups": {"type": ["array", "null"], "description": "group=call: the page's calls in order, each "
                                                             "{call_id, company, ticker, year, quarter, date, "
                                                             "matched, best, turn_ids}.",
                   "items": {"type": "object"}},
        "facets": {"type": "object", "description": "company, year, quarter, role, section, speaker -> "
                                                    "[{param, value, label, count}] over all the matches.",
                   "additionalProperties": {"type": "array", "items": {"type": "object", "properties": {
                       "param": {"type": "string"}, "value": {"type": ["string", "integer"]},
                       "label": {"type": "string"}, "count": {"type": "integer"}}}}},
        "warnings": {"type": "array", "items": {"type": "string"}},
        "notice": {"type": "object", "description": "Some stored calls are not searchable yet."},
    },
}


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Earnings-call archive API", "version": "1",
                 "description": "Search earnings-call transcripts by meaning and by exact words."},
        "paths": {
            "/api/search": _get("Search turns (hybrid, lexical or semantic) with filters. Each hit has a match "
                                "strength (0-1); turns below the floor (min_score, default 0.5) are not hits. 404: "
                                "no call of the ticker(s) or company asked for is on file.", request_params(),
                                ok="The matches, a page of hits, facets and groups",
                                errors=(400, 404, 503), schema={"$ref": "#/components/schemas/SearchResults"}),
            "/api/calls": _get("List calls, each under its ticker's canonical company name (company_as_read: the "
                               "name read from the file).",
                               [_param("ticker", {"type": "string"}, "Only this ticker."),
                                _param("year", {"type": "integer"}, "Only this fiscal year."),
                                _param("company", {"type": "string"},
                                       "Only this company: its canonical name or any alias, any case."),
                                _param("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
                                       "Calls per page."),
                                _param("offset", {"type": "integer", "minimum": 0, "default": 0},
                                       "First call of the page (next_offset in the answer).")]),
            "/api/calls/{call_id}": _get("One call with its participants and turns.",
                                         [_param("call_id", {"type": "string"}, "e.g. KC-2020Q1", True, "path")],
                                         errors=(404,)),
            "/api/turns/{turn_id}": _get("One turn with N turns of context either side.",
                                         [_param("turn_id", {"type": "string"}, "e.g. KC-2020Q1:t012", True, "path"),
                                          _param("context", {"type": "integer", "minimum": 0, "maximum": 20},
                                                 "Turns either side.")], errors=(400, 404)),
            "/api/trend": _get("How often a query comes up per fiscal quarter.",
                               request_params(TREND_FIELDS),
                               errors=(400, 503)),
            "/api/connector/search": _get("Connector search: {results: [{id, title, url}]}.",
                                          [_param("query", {"type": "string", "maxLength": 500}, "What to find.", True),
                                           _param("limit", {"type": "integer", "minimum": 1, "maximum": 50},
                                                  "Results.")]),
            "/api/connector/fetch": _get("Connector fetch: {id, title, text, url, metadata}.",
                                         [_param("id", {"type": "string"}, "An id from /api/connector/search.",
                                                 True)], errors=(400, 404)),
            "/api/health": _get("Liveness; ready (the live index is open and the model loaded); calls stored; the live "
                                "index generation; a notice when some stored calls are not searchable yet.",
                                errors=()),
            "/api/stats": _get("Counts of calls, turns, chunks and files.", errors=()),
            "/api/openapi.json": _get("This document.", errors=()),
        },
        "components": {"schemas": {"SearchResults": SEARCH_RESULTS, "Error": {
            "type": "object", "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message"],
                                     "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                                    "hint": {"type": ["string", "null"]}}}}}}},
    }
