"""The trend comparison page (/trend): up to four terms per fiscal quarter on one server-side SVG chart (grouped
bars, one colour and pattern per term), or one panel per company of the ticker set on a shared scale (split=
company); every bar links to its hits; the numbers behind the bars in a table. No script: the CSP forbids inline
script and none is needed. The route registers on the pages blueprint (web/pages.py imports this module)."""
from __future__ import annotations

import math
from html import escape

from flask import render_template, request, url_for
from markupsafe import Markup

from archive.errors import ArchiveError
from archive.models import period_text
from archive.request import MAX_QUERY, MAX_TERMS

from .errors import for_page
from .pages import _shown, archive, bp, common
from .params import trend_request

# Okabe-Ito colours (told apart with the common colour-vision deficiencies), each also with its own pattern.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")
PATTERNS = ("solid", "stripes", "dots", "grid")
PLACEHOLDERS = ("e.g. covid", 'e.g. "supply chain"', "e.g. pricing OR prices", "e.g. liquidity")
WIDTH, PANEL_WIDTH, HEIGHT, PANEL_HEIGHT = 1000, 490, 300, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 22, 46


@bp.get("/trend")
def trend():
    args = request.args
    terms = [t[:MAX_QUERY] for t in args.getlist("q")[:2 * MAX_TERMS]]
    ctx = {"args": _shown(args), "error": None, "trend": None, "terms_in": (terms + [""] * MAX_TERMS)[:MAX_TERMS],
           "placeholders": PLACEHOLDERS,
           "tickers_in": ", ".join(v.strip() for v in args.getlist("ticker")[:40] if v.strip())[:MAX_QUERY],
           **common()}
    if any(t.strip() for t in args.getlist("q")):
        try:
            t = archive().trend(trend_request(args))
            ctx.update(trend=t, view=view(t))
        except ArchiveError as e:
            ctx["error"] = for_page(e)
    return render_template("trend.html", **ctx), ctx["error"].status if ctx["error"] else 200


# -- what the page draws -----------------------------------------------------------------------------------------

def hits_url(term: str, tickers, year: int, quarter: int) -> str:
    """The search page with a bar's hits: the term, lexically (the words the bar counts), in that panel's ticker
    or the ticker set, in that fiscal quarter."""
    return url_for("pages.search", q=term, ticker=",".join(tickers) or None, year=year, quarter=quarter,
                   mode="lexical")


def _calls(n: int) -> str:
    return f"{n} call{'s' if n != 1 else ''}"


def view(t: dict) -> dict:
    """The trend arranged for the page: panels (one, or one per ticker) each with its series in term order and its
    table rows; the shared scale; the legend; whether anything matched."""
    terms, measure = t["terms"], t["measure"]
    panels: dict = {}
    for s in t["series"]:
        panel = panels.setdefault(s["ticker"], {"ticker": s["ticker"], "company": s["company"], "series": []})
        panel["series"].append(s)
    value = (lambda x: x["share"]) if measure == "share" else (lambda x: x["turns"])
    top, ticks = scale(max((value(x) for s in t["series"] for x in s["quarters"]), default=0), measure)
    for p in panels.values():
        where = [p["ticker"]] if p["ticker"] else t["tickers"]
        p["rows"] = [{"period": x["period"], "label": period_text(x["year"], x["quarter"]),
                      "calls_on_file": x["calls_on_file"],
                      "cells": [{"term": s["term"], "calls": s["quarters"][i]["calls"],
                                 "turns": s["quarters"][i]["turns"], "share": s["quarters"][i]["share"],
                                 "url": hits_url(s["term"], where, x["year"], x["quarter"])} for s in p["series"]]}
                     for i, x in enumerate(p["series"][0]["quarters"])]
        p["matched"] = any(s["turns"] for s in p["series"])
    split = t["split"] == "company"
    width = PANEL_WIDTH if split and len(panels) > 1 else WIDTH
    height = PANEL_HEIGHT if split and len(panels) > 1 else HEIGHT
    for p in panels.values():
        p["svg"] = Markup(chart(p, t, top, ticks, width, height))
    totals = [{"term": term, "turns": sum(s["turns"] for s in t["series"] if s["term"] == term),
               "calls": sum(s["calls"] for s in t["series"] if s["term"] == term)} for term in terms]
    return {"panels": list(panels.values()), "legend": totals, "split": split,
            "matched": any(x["turns"] for x in totals), "truncated": [s["term"] for s in t["series"] if s["truncated"]],
            "swatches": [Markup(swatch(i)) for i in range(len(terms))], "defs": Markup(defs()),
            "unmatched": [x["term"] for x in totals if not x["turns"]]}


def scale(largest: float, measure: str) -> tuple[float, list[float]]:
    """The top of the y axis and its ticks: a round step, about four of them; shares up to 100%."""
    if largest <= 0:
        return 1.0, [0.0, 1.0]
    raw = largest / 4
    mag = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 2.5, 5, 10) if measure == "share" else (1, 2, 5, 10)
    step = next(m * mag for m in steps if m * mag >= raw)
    if measure != "share":
        step = max(1, round(step))
    top = step * math.ceil(largest / step - 1e-9)
    if measure == "share":
        top = min(top, 1.0)
    n = round(top / step)
    return top, [round(i * step, 6) for i in range(n + 1)]


def _label(v: float, measure: str) -> str:
    if measure == "share":
        return f"{v:.0%}" if v * 100 == round(v * 100) or v >= 0.1 else f"{v:.1%}"
    return f"{v:,.0f}"


def chart(panel: dict, t: dict, top: float, ticks: list[float], width: int, height: int) -> str:
    """One panel's SVG: per fiscal quarter a group of bars, one per term (its colour and pattern), each an <a> to
    that bar's hits with a <title> tooltip; the y axis in percent or turns by the measure, on the shared scale."""
    measure, series = t["measure"], panel["series"]
    quarters = series[0]["quarters"]
    n_q, n_t = max(len(quarters), 1), len(series)
    min_group = n_t * 4 + 6
    width = max(width, LEFT + RIGHT + n_q * min_group)
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    group = plot_w / n_q
    gap = max(4.0, group * 0.22)
    bar = min(44.0, (group - gap) / n_t)
    base = TOP + plot_h
    where = f" in {panel['ticker']}" if panel["ticker"] else (f" in {', '.join(t['tickers'])}" if t["tickers"] else "")
    what = "Share of calls mentioning" if measure == "share" else "Turns mentioning"
    label = f"{what} {', '.join(s['term'] for s in series)}{where}, per fiscal quarter"
    out = [f'<svg class="trend-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}">']
    for v in ticks:
        y = base - (v / top) * plot_h
        out.append(f'<line class="grid{" zero" if v == 0 else ""}" x1="{LEFT}" x2="{width - RIGHT}" y1="{y:.1f}" '
                   f'y2="{y:.1f}"/><text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f'{_label(v, measure)}</text>')
    show_values = bar >= 22
    years = {}
    for i, x in enumerate(quarters):
        gx = LEFT + i * group
        years.setdefault(x["year"], [gx, gx + group])[1] = gx + group
        x0 = gx + (group - bar * n_t) / 2
        cx = gx + group / 2
        out.append(f'<text class="quarter" x="{cx:.1f}" y="{base + 16}" text-anchor="middle">Q{x["quarter"]}</text>')
        if not x["calls_on_file"]:
            note = f"no call of {panel['ticker']} on file in {period_text(x['year'], x['quarter'])}" \
                if panel["ticker"] else f"no call on file in {period_text(x['year'], x['quarter'])}"
            out.append(f'<g class="none"><title>{escape(note)}</title><text x="{cx:.1f}" y="{base - 8}" '
                       f'text-anchor="middle">no call</text></g>')
            continue
        for j, s in enumerate(series):
            q = s["quarters"][i]
            v = q["share"] if measure == "share" else q["turns"]
            h = (v / top) * plot_h if top else 0
            bx, by = x0 + j * bar, base - max(h, 1.5)
            link = hits_url(s["term"], [panel["ticker"]] if panel["ticker"] else t["tickers"], x["year"], x["quarter"])
            title = (f'{panel["ticker"] + " " if panel["ticker"] else ""}{period_text(x["year"], x["quarter"])}, '
                     f'{s["term"]}: {q["calls"]} of {_calls(q["calls_on_file"])}, {q["turns"]} '
                     f'turn{"s" if q["turns"] != 1 else ""}')
            out.append(f'<a href="{escape(link)}" class="bar-link" data-term="{escape(s["term"])}" '
                       f'data-period="{x["period"]}"><title>{escape(title)}</title>'
                       f'<rect class="bar t{j}" x="{bx + 1:.1f}" y="{by:.1f}" width="{max(bar - 2, 1):.1f}" '
                       f'height="{max(h, 1.5):.1f}" fill="url(#trend-p{j})" stroke="{COLOURS[j]}"/></a>')
            if show_values:
                out.append(f'<text class="value" x="{bx + bar / 2:.1f}" y="{by - 4:.1f}" text-anchor="middle">'
                           f'{_label(v, measure)}</text>')
    for y, (a, b) in years.items():
        out.append(f'<text class="year" x="{(a + b) / 2:.1f}" y="{base + 33}" text-anchor="middle">{y}</text>')
        if a > LEFT:
            out.append(f'<line class="year-rule" x1="{a:.1f}" x2="{a:.1f}" y1="{TOP}" y2="{base + 36}"/>')
    out.append("</svg>")
    return "".join(out)


def defs() -> str:
    """The terms' fills, once per page (the bars and the legend refer to them): a colour each, and a pattern
    each so that the terms are told apart without colour too."""
    white = 'fill="#fff" fill-opacity=".55"'
    marks = {"solid": "",
             "stripes": f'<rect x="0" y="0" width="2.2" height="6" {white}/>',
             "dots": f'<circle cx="3" cy="3" r="1.3" {white}/>',
             "grid": f'<rect x="0" y="0" width="6" height="1.3" {white}/><rect x="0" y="0" width="1.3" height="6" '
                     f'{white}/>'}
    out = ['<svg class="trend-defs" xmlns="http://www.w3.org/2000/svg" width="0" height="0" aria-hidden="true" '
           'focusable="false"><defs>']
    for i, (colour, pattern) in enumerate(zip(COLOURS, PATTERNS)):
        turn = ' patternTransform="rotate(45)"' if pattern == "stripes" else ""
        out.append(f'<pattern id="trend-p{i}" width="6" height="6" patternUnits="userSpaceOnUse"{turn}>'
                   f'<rect width="6" height="6" fill="{colour}"/>{marks[pattern]}</pattern>')
    out.append("</defs></svg>")
    return "".join(out)


def swatch(i: int) -> str:
    return (f'<svg class="swatch" xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16" '
            f'aria-hidden="true" focusable="false"><rect x=".5" y=".5" width="15" height="15" rx="3" '
            f'fill="url(#trend-p{i})" stroke="{COLOURS[i]}"/></svg>')
