"""The OpenAPI 3.1 document of the JSON API: the search parameters are generated from the declared request
(archive/request.py); tests/test_web_api.py compares the routes with the app's, tests/test_request.py the
parameters with the declaration."""
from __future__ import annotations

import dataclasses

from archive.request import BOOL, BY_NAME, CHOICE, EXPORT_IGNORES, EXPORT_MAX, FLOAT, INT, TEXT, TREND_FIELDS, YEAR_RANGE, fields

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


def _export(what: str, media: str) -> dict:
    """A search exported as a file: the search's parameters (limit, page and group ignored) and max."""
    params = [p if p["name"] not in EXPORT_IGNORES else
              {**p, "description": "Ignored by an export: it is one flat list of every match, up to max."}
              for p in request_params()]
    params.append(_param("max", {"type": "integer", "minimum": 1, "maximum": EXPORT_MAX, "default": EXPORT_MAX},
                         f"Hits exported at most (the best ones, in order; at most {EXPORT_MAX})."))
    op = _get(f"The matches of a search (the same parameters as /api/search) as {what}: one row per hit, in rank "
              "order, with its citation and deep link; up to max hits. limit, page and group are ignored. Text "
              "cells that begin with =, +, -, @, a tab or a carriage return get a leading ' (never read as "
              "formulas). 404: no call of the ticker(s) or company asked for is on file.", params,
              errors=(400, 404, 503))
    op["get"]["responses"]["200"] = {
        "description": f"{what} as an attachment",
        "headers": {"Content-Disposition": {"description": "attachment; filename=\"earnings-search-...\"",
                                            "schema": {"type": "string"}},
                    "X-Total-Matches": {"description": "Matches among the turns ranked for the export: more than "
                                                       "the rows means max cut the export short.",
                                        "schema": {"type": "integer", "minimum": 0}}},
        "content": {media: {"schema": {"type": "string", "contentMediaType": media}}}}
    return op


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


# ---- saved searches (web/saved.py) ---------------------------------------------------------------------------

_SAVED = {
    "type": "object",
    "required": ["name", "slug", "query", "request", "webhook", "created_at", "recorded", "new", "feed_url", "url"],
    "properties": {
        "name": {"type": "string"}, "slug": {"type": "string", "description": "Its address: /saved/{slug}."},
        "query": {"type": "string"},
        "request": {"type": "object", "description": "The search kept: its fields with their defaults (no page)."},
        "webhook": _STRING_OR_NULL, "created_at": {"type": "string"},
        "checked_at": {**_STRING_OR_NULL, "description": "When it last ran against the calls an index build added."},
        "visited_at": {**_STRING_OR_NULL, "description": "When its page was last viewed."},
        "last_error": {**_STRING_OR_NULL, "description": "Why its last check failed, if it did."},
        "recorded": {"type": "integer", "description": "Hits recorded (each found in a call added after it was "
                                                       "saved)."},
        "new": {"type": "integer", "description": "Hits recorded since its page was last viewed."},
        "last_found_at": _STRING_OR_NULL,
        "delivery_counts": {"type": "object", "additionalProperties": {"type": "integer"},
                            "description": "Webhook deliveries per status: pending, delivered, failed."},
        "last_delivery": {"type": ["object", "null"], "description": "{status, attempts, last_error, delivered_at}"},
        "feed_url": {"type": "string", "description": "Its Atom feed (read without the API key)."},
        "url": {"type": "string", "description": "Its page."},
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
}
_SAVED_ONE = {**_SAVED, "required": [*_SAVED["required"], "recorded_hits", "deliveries"], "properties": {
    **_SAVED["properties"],
    "recorded_hits": {"type": "array", "items": {"type": "object"}, "description": "The latest hits recorded, newest "
                      "first: turn_id, call_id, company, ticker, year, quarter, speaker, citation, url, snippet, match, "
                      "strength, question (for an answer), found_at, ..."},
    "deliveries": {"type": "array", "items": {"type": "object"}, "description": "Its latest webhook deliveries: "
                   "id, status, attempts, created_at, delivered_at, last_error, ..."}}}
_REMOVED = {"type": "object", "required": ["name", "slug", "query", "request"], "properties": {
    k: _SAVED["properties"][k] for k in ("name", "slug", "query", "request", "webhook", "created_at", "checked_at",
                                          "visited_at", "last_error")}}


def _body_property(fd) -> dict:
    """A search field as a key of the JSON body of POST /api/saved: /api/search's name, a JSON value (a list
    where it takes several)."""
    if fd.kind == YEAR_RANGE:
        return {"type": "string", "pattern": r"^\d{4}(-\d{4})?$", "description": f"{fd.help} e.g. {fd.example}."}
    if fd.kind == BOOL:
        one = {"type": "boolean", "default": fd.default}
    else:
        one = _schema(dataclasses.replace(fd, many=False))
    if fd.many:
        one = {"anyOf": [one, {"type": "array", "items": one, "maxItems": fd.max_items}]}
    return {**one, "description": fd.help + (" One value or a list." if fd.many else "")}


def saved_paths() -> dict:
    from archive.saved import MAX_NAME, MAX_URL
    search = {fd.name: _body_property(fd) for fd in fields() if fd.name != "page"}
    search["year"] = {"type": "integer", "minimum": int(BY_NAME["years"].lo), "maximum": int(BY_NAME["years"].hi),
                      "description": "Only this fiscal year."}
    body = {"type": "object", "required": ["name", "q"], "additionalProperties": False, "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME,
                 "description": "Its name (its address, slug, is made from it)."},
        "webhook": {"type": ["string", "null"], "maxLength": MAX_URL,
                    "description": "An http(s) URL: each batch of new hits is POSTed to it as JSON."},
        "replace": {"type": "boolean", "default": False,
                    "description": "Replace a saved search of the same name (its recorded hits go)."},
        **search}}
    name = _param("name", {"type": "string"}, "Its name or slug.", True, "path")

    def answer(description, schema, status="200"):
        return {status: {"description": description, "content": {"application/json": {"schema": schema}}}}

    def errors(*codes):
        return {str(c): {"description": "Error", "content": {"application/json": {"schema": ERROR}}} for c in codes}
    return {
        "/api/saved": {
            "get": {"summary": "The saved searches, each with its hits recorded, how many are new since its page was "
                               "last viewed, and its webhook's deliveries.", "parameters": [],
                    "responses": answer("The saved searches", {
                        "type": "object", "required": ["saved_searches"],
                        "properties": {"saved_searches": {"type": "array", "items": _SAVED}}})},
            "post": {"summary": "Save a search under a name: the body is a JSON object with name, optionally webhook "
                                "and replace, and the search in /api/search's parameter names (a list where one "
                                "takes several values). After each index build that adds calls it runs against "
                                "those calls: their hits are recorded (its feed, its page's New marks) and POSTed to "
                                "its webhook. 409: the name is taken (replace=true replaces it); 415: the body is not "
                                "application/json.", "parameters": [],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
                     "responses": {**answer("The saved search, with warnings (e.g. a ticker not on file yet)",
                                            _SAVED, "201"), **errors(400, 403, 409, 413, 415)}},
        },
        "/api/saved/{name}": {
            "get": {"summary": "One saved search with its latest recorded hits (recorded_hits, newest first) and its "
                               "webhook deliveries.", "parameters": [name],
                    "responses": {**answer("The saved search", _SAVED_ONE), **errors(404)}},
            "delete": {"summary": "Forget a saved search, its recorded hits and its queued deliveries.",
                       "parameters": [name],
                       "responses": {**answer("The saved search removed", _REMOVED), **errors(403, 404)}},
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
            "/api/search.csv": _export("CSV (UTF-8 with a byte-order mark, a header row)", "text/csv"),
            "/api/search.xlsx": _export("an XLSX workbook (sheet Results; sheet Search: the query, filters and "
                                        "when)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
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
            "/api/trend": _get("How often each of up to four terms comes up per fiscal quarter: per term (and, with "
                               "split=company, per ticker of the set) the turns and calls that mention it and the "
                               "share of the quarter's calls on file. One term without split also answers the "
                               "single-term keys query, quarters and truncated. 404: no call of the tickers asked for "
                               "is on file.",
                               [{**p, "description": p["description"].replace(" Repeat or comma-separate.", "") +
                                 " Repeat q for each term: q=cloud&q=margin."} if p["name"] == "q" else p
                                for p in request_params(TREND_FIELDS)],
                               ok="One series per term (per ticker and term with split=company), on one axis of "
                                  "quarters", errors=(400, 404, 503), schema={
                                   "type": "object",
                                   "required": ["terms", "tickers", "years", "split", "measure", "series"],
                                   "properties": {
                                       "terms": {"type": "array", "items": {"type": "string"}},
                                       "tickers": {"type": "array", "items": {"type": "string"}},
                                       "years": {"type": ["array", "null"], "items": {"type": "integer"}},
                                       "split": {"type": "string", "enum": ["none", "company"]},
                                       "measure": {"type": "string", "enum": ["share", "turns"]},
                                       "warnings": {"type": "array", "items": {"type": "string"}},
                                       "series": {"type": "array", "items": {"type": "object", "properties": {
                                           "term": {"type": "string"}, "ticker": _STRING_OR_NULL,
                                           "company": _STRING_OR_NULL, "truncated": {"type": "boolean"},
                                           "turns": {"type": "integer"}, "calls": {"type": "integer"},
                                           "quarters": {"type": "array", "items": {"type": "object", "properties": {
                                               "year": {"type": "integer"}, "quarter": {"type": "integer"},
                                               "period": {"type": "string"}, "turns": {"type": "integer"},
                                               "calls": {"type": "integer"}, "calls_on_file": {"type": "integer"},
                                               "share": {"type": "number"}, "strength": {"type": "number"}}}}}}}}}),
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
            **saved_paths(),
        },
        "components": {"schemas": {"SearchResults": SEARCH_RESULTS, "Error": {
            "type": "object", "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message"],
                                     "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                                    "hint": {"type": ["string", "null"]}}}}}}},
    }
