"""The JSON API under /api/: search, calls, turns, health, stats."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from archive.errors import BadRequestError

from .params import _int, _one, search_query

bp = Blueprint("api", __name__, url_prefix="/api")


def archive():
    return current_app.config["ARCHIVE"]


@bp.get("/search")
def search():
    results = archive().search(search_query(request.args))
    return jsonify(results.to_dict())


@bp.get("/calls")
def calls():
    ticker = _one(request.args, "ticker")
    year = _int(request.args, "year", 1900, 2200)
    rows = archive().calls(ticker=ticker, year=year, company=_one(request.args, "company"))
    return jsonify({"calls": rows, "total": len(rows)})


@bp.get("/calls/<path:call_id>")
def call(call_id):
    return jsonify(archive().get_call(call_id))


@bp.get("/turns/<path:turn_id>")
def turn(turn_id):
    context = _int(request.args, "context", 0, 20, 0)
    return jsonify(archive().get_turn(turn_id, context))


@bp.get("/health")
def health():
    a = archive()
    status = {"status": "ok", "calls": a.stats()["calls"]}
    try:
        status["index"] = a.indexes.name
        if a.index_error is not None:           # a newer generation was refused; this one keeps serving
            status["index_error"] = a.index_error.message
    except Exception as e:          # the store answers even when no index is built yet
        status["index"] = None
        status["index_error"] = getattr(e, "message", str(e))
    return jsonify(status)


@bp.get("/stats")
def stats():
    s = archive().stats()
    s.pop("db_path", None)          # no server paths to clients
    return jsonify(s)


@bp.get("/trend")
def trend():
    from .params import _years, tickers
    args = request.args
    q = _one(args, "q", "")
    return jsonify(archive().trend(q, tickers(args), _years(args)))


@bp.get("/openapi.json")
def openapi():
    from .openapi import document
    return jsonify(document())


@bp.get("/connector/search")
def connector_search():
    """The search half of the search/fetch pair that connector-style chat clients expect."""
    from archive.search import SearchQuery
    query = _one(request.args, "query", "") or _one(request.args, "q", "")
    res = archive().search(SearchQuery(text=query, limit=_int(request.args, "limit", 1, 50, 10)).validated())
    return jsonify({"results": [{"id": h.turn_id, "title": h.citation, "url": h.url} for h in res.hits]})


@bp.get("/connector/fetch")
def connector_fetch():
    """The fetch half: one result by id, with its text and metadata."""
    turn_id = _one(request.args, "id", "")
    if not turn_id:
        raise BadRequestError("parameter 'id' is required", "pass an id from /api/connector/search")
    t = archive().get_turn(turn_id, 0)
    c, turn = t["call"], t["turn"]
    return jsonify({"id": turn_id, "title": t["citation"], "text": turn["text"], "url": t["url"],
                    "metadata": {"call_id": c["call_id"], "company": c["company"], "ticker": c["ticker"],
                                 "fiscal_year": c["fiscal_year"], "fiscal_quarter": c["fiscal_quarter"],
                                 "date": c["call_date"], "speaker": turn["speaker"], "title": turn["title"],
                                 "role": turn["role"], "section": turn["section"]}})
