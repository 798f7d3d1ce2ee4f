"""Saved searches on the web (the service: Archive.save_search ... in archive/service.py, archive/saved.py).

The JSON API: GET/POST /api/saved, GET/DELETE /api/saved/<name> (under /api, so the X-API-Key check of create_app
applies). The pages: /saved (the list; POST: save the search the results page's form sends), /saved/<slug> (its
results, the hits recorded since the last visit marked New; viewing it is a visit) and POST /saved/<slug>/remove.
Every page POST goes through `guarded`: refused unless it comes from this site's own pages (Origin, else Referer),
and, with ARCHIVE_API_KEY set, unless it carries the key in the form field `key`. The Atom feeds are web/feeds.py."""
from __future__ import annotations

import functools
import json
import re
from datetime import datetime
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from archive.errors import ArchiveError, BadRequestError, NotFoundError
from archive.request import BOOL, BY_NAME, FIELDS, WINDOW

from .errors import error_response, for_page
from .pages import _pairs, _search_url, _shown, common, results_context
from .params import int_value, one_value, search_request
from .security import is_loopback, key_ok

bp = Blueprint("saved", __name__)

BODY_KEYS = ("name", "webhook", "replace")                  # of a saved search, beside its search's parameters
SEARCH_KEYS = tuple(f.name for f in FIELDS if f.name != "page") + ("year",)     # /api/search's names, less page
SINCE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z|never")


def archive():
    return current_app.config["ARCHIVE"]


# ---- what a saved search is, in words and in a search's arguments -------------------------------------------

def args_of(request_fields: dict) -> MultiDict:
    """A saved search's request (its `request` dict) as the search page's arguments (q, ticker, years, ...), the
    defaults left out: search_request(args_of(r)) is the saved request again."""
    out = MultiDict()
    for fd in FIELDS:
        value = request_fields.get(fd.attr)
        if fd.name == "page" or value in (None, "", (), []) or value == fd.default:
            continue
        if fd.name == "years":
            a, b = value
            out.add("years", str(a) if a == b else f"{a}-{b}")
        elif fd.many:
            out.add(fd.name, ",".join(map(str, value)))
        elif fd.kind == BOOL:
            out.add(fd.name, "1" if value else "0")
        else:
            out.add(fd.name, str(value))
    return out


def when(iso: str | None) -> str:
    """'2026-03-02 14:05 UTC' for a stored timestamp ('never' for none)."""
    if not iso:
        return "never"
    try:
        return datetime.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S").strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso[:19]


def webhook_state(s: dict) -> dict | None:
    """How its webhook stands, for the list: the receiver's host only (a webhook's path or query may hold a
    token, and pages are readable without the API key), and the last delivery's outcome."""
    if not s.get("webhook"):
        return None
    host = urlsplit(s["webhook"]).netloc.rpartition("@")[2] or "?"
    d, pending = s.get("last_delivery"), (s.get("delivery_counts") or {}).get("pending", 0)
    if d is None:
        state, text = "idle", "no delivery yet"
    elif d["status"] == "delivered":
        state, text = "delivered", f"delivered {when(d.get('delivered_at'))}"
    elif d["status"] == "failed":
        state, text = "failed", f"failed, given up after {d['attempts']} attempt{'s' if d['attempts'] != 1 else ''}" \
            + (f": {d['last_error']}" if d.get("last_error") else "")
    else:
        state, text = "pending", "pending" + (
            f", attempt {d['attempts']} failed: {d['last_error']}" if d.get("last_error") else "")
    if pending and state != "pending":
        text += f"; {pending} pending"
    return {"host": host, "state": state, "text": text}


@bp.app_template_filter("when")
def _when_filter(iso):
    return when(iso)


@bp.app_context_processor
def _saved_context():
    """The page forms show an API key box only when the server has a key."""
    return {"saved_needs_key": bool(archive().settings.api_key)}


# ---- the guard of every page POST ----------------------------------------------------------------------------

def origin_of(url: str | None) -> str | None:
    """'http://127.0.0.1:8000' for any URL of that origin (default ports dropped, lower case); None if not one."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def own_origins() -> set[str]:
    """This server's origins: the public address (ARCHIVE_BASE_URL), and the one the request was sent to when its
    Host can be trusted: a loopback name or address, or any host once an API key guards the server (a page of
    another site that a DNS name rebound to 127.0.0.1 sends its own Host, and is refused)."""
    st = archive().settings
    out = {origin_of(st.base_url)}
    host = urlsplit(request.host_url).hostname or ""
    if st.api_key or is_loopback(host):
        out.add(origin_of(request.host_url))
    return {o for o in out if o}


def same_origin() -> bool:
    """Whether this request was sent by a page of this site: its Origin is this server's origin; or, where the
    browser sends `Origin: null` (it does for a form POST from a page under Referrer-Policy: no-referrer, as every
    page here is) or none, its Sec-Fetch-Site (set by the browser, never by a page) says same-origin; or, without
    either, its Referer is of this origin."""
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        return origin_of(origin) in own_origins()
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site:
        return fetch_site == "same-origin"
    referer = origin_of(request.headers.get("Referer"))
    return referer is not None and referer in own_origins()


def refusal():
    """Why this page POST is refused (a 403 page), or None: it must come from this site's own pages
    (same_origin) and, with an API key set, carry the key in the form field `key`."""
    if not same_origin():
        return error_response(403, "forbidden", "this form can only be sent from this archive's own pages",
                              f"open {url_for('saved.index')} on this site and send it from there; a request from "
                              "another site, or one that does not say where it comes from, is refused")
    key = archive().settings.api_key
    if key and not key_ok(request.form.get("key"), key):
        return error_response(403, "forbidden", "the API key is missing or wrong",
                              "type the archive's API key in the key box of the form")
    return None


def guarded(view):
    """A page POST: refused (403) unless refusal() finds nothing against it."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        refused = refusal()
        return refused if refused is not None else view(*args, **kwargs)
    return wrapper


def _api_host_refusal():
    """A write to the API without a key must be sent to a loopback name or the public address (ARCHIVE_BASE_URL),
    never to another host name that resolves here (DNS rebinding)."""
    st = archive().settings
    if st.api_key or origin_of(request.host_url) in own_origins():
        return None
    return error_response(403, "forbidden", f"requests for host {request.host[:80]!r} are not accepted here",
                          "send it to 127.0.0.1 or localhost, or set ARCHIVE_BASE_URL to this public address")


# ---- the JSON API --------------------------------------------------------------------------------------------

@bp.route("/api/saved", methods=["GET", "POST"])
def api_saved():
    if request.method == "GET":
        return jsonify({"saved_searches": archive().saved_searches()})
    refused = _api_host_refusal()
    if refused is not None:
        return refused
    if request.mimetype != "application/json":
        return error_response(415, "unsupported_media_type",
                              "the body must be JSON (Content-Type: application/json), not " +
                              (request.mimetype[:60] if request.mimetype else "one without a Content-Type"),
                              'send e.g. {"name": "Pricing pressure", "q": "pricing pressure", "ticker": "KC"} '
                              "with Content-Type: application/json")
    body = _json_object()
    args = _search_args(body)               # an unknown key first: it may be a misspelt name
    name, webhook, replace = body.get("name"), body.get("webhook"), body.get("replace", False)
    if not isinstance(name, str):
        raise BadRequestError("name must be a string: the saved search's name", param="name",
                              example="Pricing pressure")
    if webhook is not None and not isinstance(webhook, str):
        raise BadRequestError("webhook must be a string: an http(s) URL", param="webhook",
                              example="https://hooks.example.com/earnings")
    if replace is None:
        replace = False
    if not isinstance(replace, bool):
        raise BadRequestError("replace must be true or false", param="replace", example="true")
    s = archive().save_search(name, search_request(args), webhook, replace=replace)
    resp = jsonify(s)
    resp.status_code = 201
    resp.headers["Location"] = url_for("saved.api_one", name=s["slug"])
    return resp


@bp.route("/api/saved/<path:name>", methods=["GET", "DELETE"])
def api_one(name):
    if request.method == "GET":
        return jsonify(archive().saved_search(name))
    refused = _api_host_refusal()
    if refused is not None:
        return refused
    return jsonify(archive().remove_saved(name))


def _json_object() -> dict:
    raw = request.get_data(cache=True)
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise BadRequestError("the body is not valid JSON", 'send a JSON object, e.g. {"name": "Pricing pressure", '
                                                            '"q": "pricing pressure"}') from None
    if not isinstance(body, dict):
        raise BadRequestError(f"the body must be a JSON object, not {_kind(body)}",
                              'e.g. {"name": "Pricing pressure", "q": "pricing pressure", "ticker": "KC"}')
    for k, v in body.items():
        for s in [k, *(v if isinstance(v, list) else [v])]:
            if isinstance(s, str) and not _unicode(s):
                raise BadRequestError(f"{k[:40]!r} holds text that is not valid Unicode (a lone surrogate)",
                                      param=k[:40] if _unicode(k) else None)
    return body


def _unicode(s: str) -> bool:
    try:
        s.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _kind(v) -> str:
    return {list: "an array", dict: "an object", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(v), "a number")


def _search_args(body: dict) -> MultiDict:
    """The search in a JSON body (the names and syntax of /api/search; a list where a parameter takes several
    values, a JSON number or boolean where it takes one) as the query arguments search_request reads."""
    out = MultiDict()
    for k, v in body.items():
        if k in BODY_KEYS:
            continue
        if k not in SEARCH_KEYS:
            raise BadRequestError(f"unknown key {k[:40]!r}" + (" (a saved search keeps no page)" if k == "page"
                                                                else ""),
                                  f"use name, webhook, replace and the search's parameters: {', '.join(SEARCH_KEYS)}",
                                  param=k[:40])
        fd = BY_NAME.get(k)
        if isinstance(v, list) and not (fd and fd.many):
            raise BadRequestError(f"{k} takes one value, not a list", param=k, example=fd.example if fd else "2020")
        for x in (v if isinstance(v, list) else [v]):
            if x is None:
                continue
            if isinstance(x, bool):
                if not (fd and fd.kind == BOOL):
                    kind = "text" if fd and fd.kind in ("text", "str", "choice") else "a number"
                    raise BadRequestError(f"{k} must be {kind}, not a boolean", param=k,
                                          example=fd.example if fd else "2020")
                x = "1" if x else "0"
            elif isinstance(x, (int, float)):
                x = str(x)
            elif not isinstance(x, str):
                raise BadRequestError(f"{k} must be a string or a number, not {_kind(x)}", param=k,
                                      example=fd.example if fd else "2020")
            out.add(k, x)
    return out


# ---- the pages -----------------------------------------------------------------------------------------------

def _rows():
    out = []
    for s in archive().saved_searches():
        out.append({**s, "hook": webhook_state(s)})
    return out


@bp.get("/saved")
def index():
    return render_template("saved.html", saved_searches=_rows(), **common())


@bp.post("/saved")
@guarded
def create():
    """Save the search the results page's form sends (its arguments as hidden fields, a name, maybe a webhook)."""
    form = request.form
    args = MultiDict([(k, v) for k, v in form.items(multi=True) if k not in ("name", "webhook", "key", "page")])
    try:
        s = archive().save_search(one_value(form, "name", ""), search_request(args), one_value(form, "webhook"))
    except ArchiveError as e:
        back = url_for("pages.search") + "?" + urlencode([(k, v[:500]) for k, v in list(args.items(multi=True))[:40]])
        return render_template("saved.html", saved_searches=_rows(), error=for_page(e), back=back,
                               **common()), e.status
    return redirect(url_for("saved.page", slug=s["slug"], created=1), 303)


@bp.post("/saved/<slug>/remove")
@guarded
def remove(slug):
    try:
        archive().remove_saved(slug)
    except NotFoundError as e:
        return render_template("saved.html", saved_searches=_rows(), error=_gone(e), **common()), 404
    return redirect(url_for("saved.index"), 303)


def _gone(e: NotFoundError):
    shown = for_page(e)
    shown.hint = e.hint if e.hint and e.hint.startswith("did you mean") else "see the saved searches below"
    return shown


@bp.get("/saved/<slug>")
def page(slug):
    """A saved search run now, the search page's way; the hits recorded since the last visit are marked New, and
    this counts as a visit. The page links carry `since` (the last visit before this one), so the next pages
    mark the same hits."""
    a = archive()
    page_no = int_value(request.args, "page", 1, WINDOW, 1)
    since = request.args.get("since", "")
    since = since if SINCE.fullmatch(since) else None
    try:
        stored = a.saved.get(slug)
    except NotFoundError as e:
        return render_template("saved.html", saved_searches=_rows(), error=_gone(e), **common()), 404
    args = args_of(stored.to_dict()["request"])
    notice = a.pending_notice()
    ctx = {"args": _shown(args), "results": None, "error": None, **common(), "window": WINDOW,
           "notice": for_page(notice) if notice else None, "created": request.args.get("created") == "1"}
    try:
        s, results, new = a.saved_results(stored.slug, page=page_no, visit=since is None)
    except ArchiveError as e:           # e.g. its tickers not on file yet: the page says so, and it still exists
        s, new = a.describe_saved(stored), {}
        ctx["error"] = for_page(e)
        if isinstance(e, NotFoundError):
            ctx["error"].status = 200
    else:
        if since is not None:
            new = a.saved.found_since(stored, None if since == "never" else since)
        last = since if since is not None else (s["visited_at"] or "never")
        ctx.update(results_context(args, results.query, results,
                                   lambda p: url_for("saved.page", slug=stored.slug, page=p, since=last),
                                   back=urlencode(_pairs(args))))
    shown_since = s["visited_at"] if since is None else None if since == "never" else since     # the last visit
    ctx.update(saved={**s, "since": shown_since},
               new_ids=set(new), new_count=len(new),
               search_url=_search_url(_pairs(args)))
    return render_template("search.html", **ctx), ctx["error"].status if ctx["error"] else 200
