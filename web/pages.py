"""The pages: search (/), the call viewer (/calls/<id>), the term trend (/trend), the API's human page."""
from __future__ import annotations


from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, current_app, render_template, request, url_for
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from archive.errors import ArchiveError
from archive.models import SECTION_LABELS, period_text
from archive.request import FIELDS, MAX_QUERY, WINDOW
from archive.snippets import highlight

from .errors import for_page
from .params import one_value, search_request

bp = Blueprint("pages", __name__)
FILTER_NAMES = {"ticker": "ticker", "company": "company", "years": "year", "year": "year", "quarter": "quarter", "speaker": "speaker",
                "role": "role", "section": "section"}
MAX_PAIRS, MAX_ARG, MAX_BACK = 40, 500, 64 * 1024      # a back link's query string: pairs, characters of each, all


def archive():
    return current_app.config["ARCHIVE"]


def common():
    return {"section_labels": SECTION_LABELS, "suggestions": _suggestions()}


def _suggestions():
    """Tickers and companies on file, for the filter boxes' suggestions: one canonical name per ticker (a filter
    on one of its aliases finds the same calls)."""
    return [{"ticker": c["ticker"], "company": c["company"]} for c in archive().companies()
            if c["ticker"] or c["company"]]


def _shown(args) -> MultiDict:
    """The request's arguments as a page echoes them: each value cut to the longest query, at most 40 of them
    (an error page does not repeat a 100 KB input)."""
    return MultiDict([(k, v[:MAX_QUERY]) for k, v in list(args.items(multi=True))[:40]])


def _filters_text(q) -> str:
    """' in KC 2020-2021 Q3 executive Q&A' for the filters a request carries."""
    years = (str(q.years[0]) if q.years[0] == q.years[1] else f"{q.years[0]}-{q.years[1]}") if q.years else None
    parts = [*q.tickers, q.company, years, *(f"Q{x}" for x in q.quarters), q.speaker, q.role,
             SECTION_LABELS.get(q.section) if q.section else None]
    parts = [p for p in parts if p]
    return (" in " + " ".join(parts)) if parts else ""


@bp.get("/")
def search():
    args = request.args
    notice = archive().pending_notice()
    ctx = {"args": _shown(args), "results": None, "error": None, "stats": archive().stats(), **common(),
           "notice": for_page(notice) if notice else None}
    if one_value(args, "q"):
        try:
            q = search_request(args)
            results = archive().search(q)
            ctx.update(results_context(args, q, results,
                                       lambda p: url_for("pages.search", **{**args.to_dict(), "page": p}),
                                       back=urlencode(_pairs(args, keep_page=True))))
            if not results.hits:
                ctx["suggestions_without"] = _without(args)
        except ArchiveError as e:
            ctx["error"] = for_page(e)
    return render_template("search.html", **ctx), ctx["error"].status if ctx["error"] else 200


def results_context(args, q, results, page_url, back: str) -> dict:
    """What search.html needs to show a search's results (the search page's, a saved search's page): the pages,
    the facet links and filter chips, the weak and literal links, the viewer's way back, the export links."""
    shown = results.calls if results.groups is not None else results.total      # what a page holds
    return dict(results=results, filters_text=_filters_text(q), page=q.page, pages=range(1, -(-shown // q.limit) + 1),
                page_url=page_url, literal_url=_search_url(_pairs(args, "interpret") + [("interpret", "0")]),
                hit_by_id={h.turn_id: h for h in results.hits}, facets=_facets(args, results.facets),
                chips=_chips(args, results.facets),
                weak_url=_search_url(_pairs(args, "min_score") + [("min_score", "0")]), back=back, window=WINDOW,
                # plain downloads: with ARCHIVE_API_KEY set /api needs the key in a header, so no links
                **({} if archive().settings.api_key else {
                    "export_csv": url_for("api.search_csv") + "?" + urlencode(_pairs(args, "limit")),
                    "export_xlsx": url_for("api.search_xlsx") + "?" + urlencode(_pairs(args, "limit"))}))


# -- refining a search: facet links and the chips of its filters ----------------------------------------------

FACET_HEADINGS = {"company": "Company", "year": "Fiscal year", "quarter": "Quarter", "role": "Role",
                  "section": "Section", "speaker": "Speaker"}
CHIP_NAMES = {"ticker": "Ticker", "company": "Company", "year": "Year", "years": "Years", "quarter": "Quarter",
              "speaker": "Speaker", "role": "Role", "section": "Section"}
MANY_VALUES = {f.name for f in FIELDS if f.many}     # filters of several values (repeated or comma-separated)
SAME_FILTER = {"year": ("year", "years"), "years": ("year", "years")}      # one replaces the other


def _pairs(args, *drop, keep_page=False) -> list[tuple[str, str]]:
    """The search's arguments less `drop` and empty values; less the page too (a refined search starts at 1)."""
    return [(k, v) for k, v in list(args.items(multi=True))[:MAX_PAIRS]
            if k not in drop and (keep_page or k != "page") and v.strip()]


def _search_url(pairs) -> str:
    return url_for("pages.search") + "?" + urlencode([(k, v[:MAX_ARG]) for k, v in pairs])


def _values(args, name) -> list[str]:
    """A filter's values as given: ticker=KC,YETI and ticker=KC&ticker=YETI both read ['KC', 'YETI']; a name
    (company, speaker) is one value, commas and all."""
    given = [v.strip() for v in args.getlist(name) if v.strip()]
    return [v.strip() for g in given for v in g.split(",") if v.strip()] if name in MANY_VALUES else given[:1]


def _norm(name, value) -> str:
    value = str(value).strip().casefold()
    return value.removeprefix("q") if name == "quarter" else value


def _active(args, param, value) -> bool:
    """Whether the search already filters on exactly this value (a facet link would add nothing)."""
    if param == "year":
        years = args.get("years", "").replace(" ", "").split("-")
        return _norm("year", args.get("year", "")) == str(value) or years in ([str(value)], [str(value)] * 2)
    return _norm(param, value) in {_norm(param, v) for v in _values(args, param)}


def _facets(args, facets) -> list[dict]:
    """Each facet of the results with its entries; an entry links to the search narrowed to it (its filter added,
    or replacing the one given), or is marked active when the search already filters on it."""
    out = []
    for name, entries in (facets or {}).items():
        items = []
        for e in entries:
            active = _active(args, e["param"], e["value"])
            url = None if active else _search_url(_pairs(args, *SAME_FILTER.get(e["param"], (e["param"],)))
                                                  + [(e["param"], str(e["value"]))])
            items.append({**e, "active": active, "url": url})
        if items:
            out.append({"name": name, "heading": FACET_HEADINGS.get(name, name.title()), "entries": items})
    return out


def _chips(args, facets) -> list[dict]:
    """The filters the search carries, each with a link to the same search without it (a ticker or quarter of
    several: without that one)."""
    labels = {(e["param"], _norm(e["param"], e["value"])): e["label"]
              for entries in (facets or {}).values() for e in entries}
    out = []
    for name, title in CHIP_NAMES.items():
        values = _values(args, name)
        for v in values:
            rest = [x for x in values if x != v]
            url = _search_url(_pairs(args, name) + ([(name, ",".join(rest))] if rest else []))
            out.append({"name": title, "label": _chip_label(name, v, labels), "url": url})
    return out


def _chip_label(name, value, labels) -> str:
    if name == "ticker":
        return value.upper()
    if name == "quarter":
        return f"Q{_norm(name, value)}"
    return labels.get((name, _norm(name, value))) or (SECTION_LABELS.get(value) if name == "section" else None) \
        or value


def _without(args):
    """For an empty result: how many results each filter, dropped alone, would give."""
    out = []
    for key in ("years", "year", "quarter", "ticker", "company", "speaker", "role", "section"):
        if args.get(key):
            rest = {k: v for k, v in args.to_dict().items() if k not in (key, "page")}
            try:
                n = archive().search(search_request(_Args(rest))).total
            except ArchiveError:
                continue
            if n:
                out.append({"name": FILTER_NAMES[key], "count": n, "url": url_for("pages.search", **rest)})
    return out


class _Args(dict):
    def getlist(self, k):
        return [self[k]] if k in self else []


@bp.get("/calls/<path:call_id>")
def call(call_id):
    a = archive()
    try:
        call = a.get_call(call_id)
    except ArchiveError as e:
        return render_template("base.html", error=for_page(e)), e.status
    marker = a.marker(request.args.get("q", "")[:500])
    target = request.args.get("turn")
    turns = call["turns"]
    by_position = {t["position"]: t for t in turns}
    before = None
    for t in turns:
        marked = [(p, marker(p)) for p in t["text"].split("\n\n")]
        t["paragraphs"] = [Markup(highlight(p, spans)) for p, spans in marked]
        t["match"] = any(spans for _, spans in marked)
        t["anchor"] = _anchor(t["turn_id"])
        asked = by_position.get(t["question_position"])
        # the question an answer answers, where the reader would not see it just above (or it is the turn sought)
        t["question"] = asked if asked and (asked is not before or t["turn_id"] == target) else None
        before = t
    toc = [{**c, "anchor": _anchor(by_position[c["position"]]["turn_id"])}
           for c in call["contents"] if c["position"] in by_position]
    same = [c for c in a.calls(ticker=call["ticker"])] if call["ticker"] else []
    ids = [c["call_id"] for c in same]
    i = ids.index(call_id) if call_id in ids else -1
    period = lambda c: period_text(c["fiscal_year"], c["fiscal_quarter"])      # noqa: E731
    prev = {"call_id": same[i - 1]["call_id"], "period": period(same[i - 1])} if i > 0 else None
    nxt = {"call_id": same[i + 1]["call_id"], "period": period(same[i + 1])} if 0 <= i < len(same) - 1 else None
    return render_template("call.html", call=call, turns=turns, target=target, toc=toc,
                           matches=sum(t["match"] for t in turns), back=_back_url(request.args.get("back")),
                           period=period(call), prev=prev, nxt=nxt, **common())


def _anchor(turn_id: str) -> str:
    """The viewer's anchor of a turn: 't012' for KC-2020Q1:t012."""
    return turn_id.rsplit(":", 1)[-1]


def _back_url(back: str | None) -> str | None:
    """The search page with the query string a viewer link carried (`back`), re-encoded from its pairs: always a
    path on this site, never an absolute or other-host URL."""
    if not back:
        return None
    pairs = [(k[:MAX_ARG], v[:MAX_ARG]) for k, v in parse_qsl(back[:MAX_BACK])[:MAX_PAIRS]]
    return url_for("pages.search") + ("?" + urlencode(pairs) if pairs else "")


@bp.get("/api")
def api_docs():
    from .openapi import document
    return render_template("api.html", doc=document(), **common())


from . import trend  # noqa: E402,F401  (the trend comparison page registers /trend on bp: web/trend.py)
