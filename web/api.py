"""The JSON API under /api/: search (and its CSV and XLSX exports), trend, calls, turns, health, stats, and the
connector pair."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from archive.errors import BadRequestError
from archive.request import EXPORT_IGNORES, EXPORT_MAX, FIELDS, MAX_CONTEXT, YEARS

from .params import int_value, one_value, search_request, trend_request

bp = Blueprint("api", __name__, url_prefix="/api")
DEFAULT_CALLS, MAX_CALLS = 100, 1000        # calls per page of /api/calls


def archive():
    return current_app.config["ARCHIVE"]


@bp.get("/search")
def search():
    results = archive().search(search_request(request.args))
    return jsonify(results.to_dict())


# An export takes the search's parameters; limit, page and group are ignored (it is every match, up to max).
EXPORT_FIELDS = tuple(f.name for f in FIELDS if f.name not in EXPORT_IGNORES)


@bp.get("/search.csv")
def search_csv():
    return _export("csv")


@bp.get("/search.xlsx")
def search_xlsx():
    return _export("xlsx")


def _export(ext: str):
    """The search's matches (up to max, default and most EXPORT_MAX) as a CSV or XLSX download."""
    from archive import export
    q = search_request(request.args, EXPORT_FIELDS)
    max_hits = int_value(request.args, "max", 1, EXPORT_MAX, EXPORT_MAX)
    a = archive()
    results = a.export(q, max_hits, snippets=False)
    body = export.to_csv(results) if ext == "csv" else export.to_xlsx(results, generation=a.searcher.name)
    resp = current_app.response_class(body, content_type=export.TYPES[ext])
    resp.headers["Content-Disposition"] = f'attachment; filename="{export.filename(results, ext)}"'
    resp.headers["X-Total-Matches"] = str(results.total)
    return resp


@bp.get("/calls")
def calls():
    ticker = one_value(request.args, "ticker")
    year = int_value(request.args, "year", *YEARS)
    limit = int_value(request.args, "limit", 1, MAX_CALLS, DEFAULT_CALLS)
    offset = int_value(request.args, "offset", 0, 10**9, 0)
    rows = archive().calls(ticker=ticker, year=year, company=one_value(request.args, "company"))
    page = rows[offset:offset + limit]
    return jsonify({"calls": page, "total": len(rows), "offset": offset,
                    "next_offset": offset + limit if offset + limit < len(rows) else None})


@bp.get("/calls/<path:call_id>")
def call(call_id):
    return jsonify(archive().get_call(call_id))


@bp.get("/turns/<path:turn_id>")
def turn(turn_id):
    context = int_value(request.args, "context", 0, MAX_CONTEXT, 0)
    return jsonify(archive().get_turn(turn_id, context))


@bp.get("/health")
def health():
    """Liveness (this answers), readiness (the live index is open and the model loaded: searches are answered at
    full speed) and whether every stored call is searchable."""
    a = archive()
    ready = a.readiness()
    status = {"status": "degraded" if ready["degraded"] else "ok", "ready": ready["ready"],
              "calls": a.stats()["calls"], "index": ready["index"]}
    if ready["degraded"]:
        status["degraded"] = ready["degraded"]
    if ready["index_error"]:
        status["index_error"] = ready["index_error"]
    notice = a.pending_notice()
    if notice is not None:
        status["notice"] = {"message": notice.message, "hint": notice.hint_for("api")}
    return jsonify(status)


@bp.get("/stats")
def stats():
    s = archive().stats()
    s.pop("db_path", None)          # no server paths to clients
    return jsonify(s)


@bp.get("/trend")
def trend():
    """Up to four terms (the repeated q) per fiscal quarter; split=company: a series per ticker and term."""
    return jsonify(archive().trend(trend_request(request.args)))


@bp.get("/openapi.json")
def openapi():
    from .openapi import document
    return jsonify(document())


@bp.get("/connector/search")
def connector_search():
    """The search half of the search/fetch pair that connector-style chat clients expect."""
    from archive.request import SearchRequest
    query = one_value(request.args, "query", "") or one_value(request.args, "q", "")
    res = archive().search(SearchRequest.build(text=query, limit=int_value(request.args, "limit", 1, 50, 10)))
    return jsonify({"results": [{"id": h.turn_id, "title": h.citation, "url": h.url} for h in res.hits]})


@bp.get("/connector/fetch")
def connector_fetch():
    """The fetch half: one result by id, with its text and metadata."""
    turn_id = one_value(request.args, "id", "")
    if not turn_id:
        raise BadRequestError("parameter 'id' is required", "pass an id from /api/connector/search")
    t = archive().get_turn(turn_id, 0)
    c, turn = t["call"], t["turn"]
    return jsonify({"id": turn_id, "title": t["citation"], "text": turn["text"], "url": t["url"],
                    "metadata": {"call_id": c["call_id"], "company": c["company"], "ticker": c["ticker"],
                                 "fiscal_year": c["fiscal_year"], "fiscal_quarter": c["fiscal_quarter"],
                                 "date": c["call_date"], "speaker": turn["speaker"], "title": turn["title"],
                                 "role": turn["role"], "section": turn["section"]}})
