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


def _get(summary, params=(), ok="Result", errors=(400,)):
    responses = {"200": {"description": ok, "content": {"application/json": {"schema": {"type": "object"}}}}}
    for code in errors:
        responses[str(code)] = {"description": "Error", "content": {"application/json": {"schema": ERROR}}}
    return {"get": {"summary": summary, "parameters": list(params), "responses": responses}}


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Earnings-call archive API", "version": "1",
                 "description": "Search earnings-call transcripts by meaning and by exact words."},
        "paths": {
            "/api/search": _get("Search turns (hybrid, lexical or semantic) with filters.", request_params(),
                                errors=(400, 503)),
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
        "components": {"schemas": {"Error": {
            "type": "object", "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message"],
                                     "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                                    "hint": {"type": ["string", "null"]}}}}}}},
    }
