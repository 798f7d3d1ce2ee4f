"""The OpenAPI 3.1 document of the JSON API (kept true by tests/test_web_api.py, which compares it with the
app's routes)."""
from __future__ import annotations

ERROR = {"$ref": "#/components/schemas/Error"}


def _param(name, schema, description, required=False, where="query"):
    return {"name": name, "in": where, "required": required, "description": description, "schema": schema}


SEARCH_PARAMS = [
    _param("q", {"type": "string", "maxLength": 500}, 'Words, "exact phrases", -excluded, a OR b.', True),
    _param("ticker", {"type": "string"}, "Ticker(s): repeat or comma-separate."),
    _param("company", {"type": "string"}, "Company name (any case): the canonical name or any alias of it."),
    _param("year", {"type": "integer", "minimum": 1900, "maximum": 2200}, "Fiscal year."),
    _param("years", {"type": "string", "pattern": r"^\d{4}(-\d{4})?$"}, "Fiscal years, e.g. 2019-2021."),
    _param("quarter", {"type": "integer", "minimum": 1, "maximum": 4}, "Fiscal quarter."),
    _param("speaker", {"type": "string"}, "Exact speaker name (any case)."),
    _param("role", {"type": "string", "enum": ["executive", "analyst", "operator", "unknown"]}, "Speaker role."),
    _param("section", {"type": "string", "enum": ["prepared", "qa"]}, "Prepared remarks or Q&A."),
    _param("mode", {"type": "string", "enum": ["hybrid", "lexical", "semantic"], "default": "hybrid"}, "Search mode."),
    _param("fusion", {"type": "string", "enum": ["weighted", "rrf"], "default": "weighted"}, "Hybrid fusion."),
    _param("lexical_weight", {"type": "number", "minimum": 0, "maximum": 1}, "Weighted fusion's lexical share."),
    _param("interpret", {"type": "string", "enum": ["0", "1"], "default": "1"},
           "1: also search the calls of companies the query names and prefer the fiscal quarter it names; "
           "0: take the words literally."),
    _param("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}, "Hits per page."),
    _param("page", {"type": "integer", "minimum": 1, "default": 1}, "Page within the first 100 results."),
]


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
            "/api/search": _get("Search turns (hybrid, lexical or semantic) with filters.", SEARCH_PARAMS,
                                errors=(400, 503)),
            "/api/calls": _get("List calls, each under its ticker's canonical company name (company_as_read: the "
                               "name read from the file).",
                               [_param("ticker", {"type": "string"}, "Only this ticker."),
                                _param("year", {"type": "integer"}, "Only this fiscal year."),
                                _param("company", {"type": "string"},
                                       "Only this company: its canonical name or any alias, any case.")]),
            "/api/calls/{call_id}": _get("One call with its participants and turns.",
                                         [_param("call_id", {"type": "string"}, "e.g. KC-2020Q1", True, "path")],
                                         errors=(404,)),
            "/api/turns/{turn_id}": _get("One turn with N turns of context either side.",
                                         [_param("turn_id", {"type": "string"}, "e.g. KC-2020Q1:t012", True, "path"),
                                          _param("context", {"type": "integer", "minimum": 0, "maximum": 20},
                                                 "Turns either side.")], errors=(400, 404)),
            "/api/trend": _get("How often a query comes up per fiscal quarter.",
                               [SEARCH_PARAMS[0], SEARCH_PARAMS[1], SEARCH_PARAMS[3], SEARCH_PARAMS[4]],
                               errors=(400, 503)),
            "/api/connector/search": _get("Connector search: {results: [{id, title, url}]}.",
                                          [_param("query", {"type": "string", "maxLength": 500}, "What to find.", True),
                                           _param("limit", {"type": "integer", "minimum": 1, "maximum": 50},
                                                  "Results.")]),
            "/api/connector/fetch": _get("Connector fetch: {id, title, text, url, metadata}.",
                                         [_param("id", {"type": "string"}, "An id from /api/connector/search.",
                                                 True)], errors=(400, 404)),
            "/api/health": _get("Liveness, calls stored, live index generation.", errors=()),
            "/api/stats": _get("Counts of calls, turns, chunks and files.", errors=()),
            "/api/openapi.json": _get("This document.", errors=()),
        },
        "components": {"schemas": {"Error": {
            "type": "object", "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message"],
                                     "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                                    "hint": {"type": ["string", "null"]}}}}}}},
    }
