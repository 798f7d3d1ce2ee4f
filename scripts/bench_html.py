#!/usr/bin/env python3
"""Which library turns a saved transcript web page into the text the speaker readers need? Builds invented,
transcript-like pages (navigation, header, footer, sidebar with related articles, cookie banner, share buttons, ads,
newsletter box, comments, hidden elements, <script>/<style>/<noscript>/<template> blocks, HTML comments, and a body of
40+ speaker turns in one of five markups), runs every candidate extractor on them and prints, per candidate:

    labels   speaker labels found where a reader needs them (own line, or 'Name: speech' for inline labels), in order
    speech   speech paragraphs found, in order (short ones such as "Thank you." included)
    furn     furniture phrases (nav, ads, scripts, ...) still in the text, summed over the pages
    pages/s  pages extracted per second (best of --repeat runs)

    python scripts/bench_html.py [--pages 12] [--turns 48] [--repeat 3] [--only NAME ...] [--limits] [--json]

`archive` is archive.formats.web_page.html_to_text (pruning + html-text layout + trafilatura's main-content verdict
when it keeps every turn); `archive-pruned` is the same without the trafilatura step. --limits also times the
function on a ~5 MB page and on 10,000 nested <div>s. The runtime libraries are in requirements.txt; the other
candidates need `pip install readability-lxml==0.9 inscriptis==2.7.6 selectolax==1.0.2 beautifulsoup4==4.15.0`
(a candidate that is not installed is reported as an error). No page text comes from a real transcript: names,
firms and speech are made up here.
"""
from __future__ import annotations

import argparse
import html as htmllib
import json
import random
import re
import sys
import time
from dataclasses import dataclass, field

import _venv  # noqa: E402,F401  (runs under .venv; puts the repository on sys.path)

STYLES = ("bold-paragraph", "inline-strong", "heading", "speaker-span", "bold-br", "bold-run-in")

EXECS = [("Jane Roe", "Chief Executive Officer"), ("John Smith", "Chief Financial Officer"),
         ("Priya Natarajan", "Vice President, Investor Relations"), ("Marcus Oyelaran", "Chief Operating Officer")]
ANALYSTS = [("Deborah Kline", "Harbor Point Securities"), ("Rafael Ortiz", "Granite Lane Capital"),
            ("Mei-Ling Zhou", "Bellweather Partners"), ("Tomasz Wielgus", "Northgate Research")]
NOUNS = ("revenue", "gross margin", "demand", "pricing", "inventory", "capacity", "guidance", "backlog", "freight",
         "bookings", "utilization", "free cash flow", "the dividend", "leverage", "the outlook", "automation",
         "productivity", "order intake", "working capital", "the pipeline")
SEGMENTS = ("aerospace", "industrial", "retail", "automotive", "energy", "distribution")
SENTENCES = ("We saw {adj} {noun} in the {seg} segment, and we expect that to continue through the rest of the year.",
             "As I said last quarter, {noun} is the thing we watch most closely, and it was {adj} again.",
             "Can you talk a little about {noun} in {seg} and how you think about it for next year?",
             "On {noun}, we are not going to give a number today, but the trend has been {adj}.",
             "I would add that our {seg} customers have been more cautious, which weighed on {noun}.",
             "So if I look at {noun} by region, it was {adj} in Europe and a bit softer in Asia.",
             "That is a fair question, and I think the answer depends on how {noun} develops in {seg}.",
             "We remain confident in our plan, and {noun} should improve as the new plant ramps up.",
             "Could you help us bridge {noun} from the second quarter to the third?",
             "Excluding the one-time items, {noun} was {adj}, which is in line with what we told you.")
ADJS = ("strong", "better than expected", "stable", "softer", "a little weaker", "ahead of plan", "healthy", "mixed")
SHORT = ["Thank you.", "Thanks.", "Okay.", "Great, thank you.", "Yes.", "Got it, thanks."]

# (markup, phrase that must not survive). Placed around and inside the body.
FURNITURE_TOP = [
    ('<header class="site-header"><a href="/">Examplewire Markets</a><form class="search"><input name="q" '
     'placeholder="Search quotes"><button>Search quotes and news</button></form></header>', "Search quotes and news"),
    ('<nav class="main-nav"><ul><li><a href="/m">Markets Overview</a></li><li><a href="/p">Personal Finance Hub</a>'
     '</li><li><a href="/r">Retirement Planner</a></li></ul></nav>', "Retirement Planner"),
    ('<div id="cookie-consent" class="cookie-banner"><p>We use cookies to personalise content and ads.</p>'
     '<button>Accept all cookies</button></div>', "We use cookies to personalise"),
    ('<ol class="breadcrumb"><li><a href="/">Home</a></li><li><a href="/i">Investing Desk</a></li></ol>',
     "Investing Desk"),
    ('<script>window.dataLayer = [{"page": "transcript", "leak": "SCRIPT LEAK ONE"}];</script>', "SCRIPT LEAK ONE"),
    ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "JSON LD LEAK"}</script>',
     "JSON LD LEAK"),
    ('<noscript><p>Please enable JavaScript to read comments.</p></noscript>', "Please enable JavaScript"),
    ('<!-- begin article COMMENT LEAK -->', "COMMENT LEAK"),
    ('<div class="share-buttons"><a href="#t">Share on Twitter</a> <a href="#l">Share on LinkedIn</a> '
     '<a href="#e">Email this article</a></div>', "Share on LinkedIn"),
]
# Furniture with no tell-tale tag, class or id (generated class names): only a main-content extractor can see it.
FURNITURE_UNMARKED_TOP = [
    ('<div class="c-x81k2"><a href="/q/NWF">NWF</a> <span>41.27 USD</span> <span>up 1.8 percent on the day</span>'
     '</div>', "up 1.8 percent on the day"),
]
FURNITURE_UNMARKED_BOTTOM = [
    ('<div class="c-q93z1"><h4>Most Popular</h4><ul><li><a href="/p1">Is it time to buy utility stocks again'
     '</a></li><li><a href="/p2">What the yield curve is telling investors</a></li></ul></div>',
     "What the yield curve is telling investors"),
]
FURNITURE_MID = [
    ('<div class="ad-slot" id="ad-inline-1"><span>Advertisement</span><p>Sponsored: open a brokerage account and '
     'claim a welcome bonus of up to five hundred dollars.</p></div>', "claim a welcome bonus"),
    ('<div class="promo-box premium-upsell"><p>Try Examplewire Premium free for thirty days and unlock every '
     'stock rating.</p></div>', "unlock every stock rating"),
    ('<div hidden><p>Hidden attribute text must not appear.</p></div>', "Hidden attribute text"),
    ('<div style="display: none"><p>Display none text must not appear.</p></div>', "Display none text"),
    ('<span aria-hidden="true">Aria hidden icon label</span>', "Aria hidden icon label"),
    ('<template><p>Template text must not appear.</p></template>', "Template text"),
]
FURNITURE_BOTTOM = [
    ('<div class="newsletter-signup"><h4>Get the Morning Ledger</h4><p>Our free daily newsletter lands before the '
     'opening bell.</p><form><input type="email" placeholder="Email address"><button>Sign me up</button></form>'
     '</div>', "lands before the opening bell"),
    ('<section id="comments" class="comments"><h3>Reader Comments</h3><div class="comment"><p>Great call, I am '
     'buying more shares tomorrow morning!</p></div></section>', "buying more shares tomorrow"),
    ('<aside class="sidebar"><h4>Related Articles</h4><ul><li><a href="/a">Three dividend stocks to hold for a '
     'decade</a></li><li><a href="/b">Why small caps rallied this week</a></li></ul></aside>',
     "Three dividend stocks to hold"),
    ('<div class="related-articles"><h4>More Earnings Coverage</h4><ul><li><a href="/c">Five takeaways from the '
     'freight recession</a></li></ul></div>', "takeaways from the freight recession"),
    ('<footer class="site-footer"><p>Copyright 2024 Examplewire Media. All rights reserved.</p><ul><li><a '
     'href="/t">Terms of Use</a></li><li><a href="/pr">Privacy Policy</a></li></ul></footer>',
     "Examplewire Media. All rights reserved"),
    ('<style>.speaker { font-weight: bold; } /* STYLE LEAK */</style>', "STYLE LEAK"),
]


@dataclass
class Turn:
    name: str
    title: str | None
    paragraphs: list[str]


@dataclass
class Page:
    style: str
    html: str
    turns: list[Turn]
    furniture: list[str] = field(default_factory=list)

    def label(self, t: Turn) -> str:
        """The line a reader must see for this turn (inline styles: the start of the first speech line)."""
        if self.style == "inline-strong":
            return f"{t.name}: "
        if self.style in ("speaker-span", "bold-br", "bold-run-in") or not t.title:
            return t.name
        return f"{t.name} -- {t.title}"


def _sentence(rng: random.Random) -> str:
    return rng.choice(SENTENCES).format(noun=rng.choice(NOUNS), seg=rng.choice(SEGMENTS), adj=rng.choice(ADJS))


def make_turns(rng: random.Random, n: int) -> list[Turn]:
    turns = [Turn("Operator", None, ["Good day, and welcome to the Northwind Fasteners third quarter 2024 earnings "
                                     "conference call. Please go ahead."])]
    turns.append(Turn(*EXECS[2], ["Thank you, operator. " + " ".join(_sentence(rng) for _ in range(3))]))
    while len(turns) < n - 1:
        if rng.random() < 0.35:
            name, firm = rng.choice(ANALYSTS)
            turns.append(Turn("Operator", None, [f"Our next question comes from {name} with {firm}. Your line is "
                                                 "open."]))
            turns.append(Turn(name, firm, [" ".join(_sentence(rng) for _ in range(rng.randint(1, 3)))]))
        ex = rng.choice(EXECS)
        paras = [" ".join(_sentence(rng) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.25:
            paras = [rng.choice(SHORT)]
        turns.append(Turn(*ex, paras))
    turns.append(Turn("Operator", None, ["Thank you."]))
    return turns


def _turn_html(style: str, t: Turn) -> str:
    e = htmllib.escape
    ps = [e(p) for p in t.paragraphs]
    label = e(t.name) + (f" -- {e(t.title)}" if t.title else "")
    if style == "bold-paragraph":
        return f"<p><strong>{label}</strong></p>\n" + "\n".join(f"<p>{p}</p>" for p in ps)
    if style == "inline-strong":
        return f"<p><strong>{e(t.name)}:</strong> {ps[0]}</p>\n" + "\n".join(f"<p>{p}</p>" for p in ps[1:])
    if style == "heading":
        return f"<h3>{label}</h3>\n" + "\n".join(f"<p>{p}</p>" for p in ps)
    if style == "speaker-span":
        role = f'<span class="role">{e(t.title)}</span>' if t.title else ""
        return (f'<div class="turn"><span class="speaker">{e(t.name)}</span>{role}<div class="speech">'
                + "".join(f"<p>{p}</p>" for p in ps) + "</div></div>")
    if style == "bold-br":
        return f"<p><b>{e(t.name)}</b><br>{ps[0]}</p>\n" + "\n".join(f"<p>{p}</p>" for p in ps[1:])
    if style == "bold-run-in":
        return f"<p><strong>{e(t.name)}</strong> {ps[0]}</p>\n" + "\n".join(f"<p>{p}</p>" for p in ps[1:])
    raise ValueError(style)


def make_page(style: str, seed: int, n_turns: int = 48) -> Page:
    """One invented transcript page in `style`, wrapped in the usual page furniture."""
    rng = random.Random(seed)
    turns = make_turns(rng, n_turns)
    body = [_turn_html(style, t) for t in turns]
    for k, (markup, _) in enumerate(FURNITURE_MID):     # furniture between turns, never inside one
        body.insert(1 + (k + 1) * len(body) // (len(FURNITURE_MID) + 2), markup)
    title = "Northwind Fasteners (NWF) Q3 2024 Earnings Call Transcript"
    html = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{title} | Examplewire</title><meta property=\"og:title\" content=\"{title}\">"
            "<style>body { font-family: serif; }</style><script src=\"/app.js\"></script></head><body>\n"
            + "\n".join(m for m, _ in FURNITURE_TOP + FURNITURE_UNMARKED_TOP)
            + f"\n<main><article class=\"article\"><h1>{title}</h1>\n<p class=\"byline\">Oct 24, 2024</p>\n"
            "<h2>Prepared Remarks:</h2>\n" + "\n".join(body) + "\n</article></main>\n"
            + "\n".join(m for m, _ in FURNITURE_BOTTOM + FURNITURE_UNMARKED_BOTTOM) + "\n</body></html>\n")
    furniture = FURNITURE_TOP + FURNITURE_UNMARKED_TOP + FURNITURE_MID + FURNITURE_BOTTOM + FURNITURE_UNMARKED_BOTTOM
    return Page(style, html, turns, [p for _, p in furniture])


def make_pages(n: int, n_turns: int) -> list[Page]:
    return [make_page(STYLES[i % len(STYLES)], seed=1000 + i, n_turns=n_turns) for i in range(n)]


# ---------------------------------------------------------------------------------------------------- scoring

_WS = re.compile(r"\s+")


def _lines(text: str) -> list[str]:
    return [_WS.sub(" ", ln).strip() for ln in text.splitlines() if ln.strip()]


def _is_label(line: str, want: str, t: Turn) -> bool:
    """The label alone on its line; a speaker span may carry its role span on the same line ('Jane Roe - CEO')."""
    if line == want:
        return True
    rest = line[len(t.name):] if line.startswith(t.name) else None
    return bool(rest and t.title and rest.strip(" -–—,:|") == t.title)


def score(page: Page, text: str) -> dict:
    """Labels and speech paragraphs found in order (greedy subsequence over lines), furniture phrases left."""
    lines = _lines(text or "")
    i = labels = speech = 0
    for t in page.turns:
        want = page.label(t)
        inline = page.style == "inline-strong"
        j = i
        while j < len(lines) and not (lines[j].startswith(want) if inline else _is_label(lines[j], want, t)):
            j += 1
        if j < len(lines):
            labels += 1
            i = j if inline else j + 1
        for k, p in enumerate(t.paragraphs):
            want_p = (page.label(t) + p) if inline and k == 0 else p
            j = i
            while j < len(lines) and lines[j] != want_p:
                j += 1
            if j < len(lines):
                speech += 1
                i = j + 1
    flat = _WS.sub(" ", text or "")
    furn = sum(1 for f in page.furniture if f in flat)
    return {"labels": labels, "labels_total": len(page.turns), "speech": speech,
            "speech_total": sum(len(t.paragraphs) for t in page.turns), "furniture": furn,
            "furniture_total": len(page.furniture)}


# ---------------------------------------------------------------------------------------------------- candidates

def _trafilatura(**kw):
    import trafilatura

    def run(html: str) -> str:
        text = trafilatura.extract(html, include_comments=False, include_tables=True, **kw) or ""
        if kw.get("output_format") == "markdown":          # score the words, not the markup
            text = re.sub(r"^#+\s*|\*\*|__", "", text, flags=re.M)
        return text
    return run


def _justext(html: str) -> str:
    import justext
    paras = justext.justext(html.encode("utf-8"), justext.get_stoplist("English"), encoding="utf-8")
    return "\n\n".join(p.text for p in paras if not p.is_boilerplate)


def _readability(html: str) -> str:
    import html_text
    from readability import Document
    return html_text.extract_text(Document(html).summary(html_partial=True))


def _inscriptis(html: str) -> str:
    import inscriptis
    return inscriptis.get_text(html)


def _html_text(html: str) -> str:
    import html_text
    return html_text.extract_text(html)


def _selectolax(html: str) -> str:
    from selectolax.lexbor import LexborHTMLParser
    tree = LexborHTMLParser(html)
    tree.strip_tags(["script", "style", "noscript", "template"])
    return tree.body.text(separator="\n") if tree.body else ""


def _bs4(html: str) -> str:
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(html, "lxml")
    for el in soup(["script", "style", "noscript", "template"]):
        el.decompose()
    return soup.get_text("\n")


def _ours(html: str) -> str:
    from archive.formats.web_page import html_to_text
    return html_to_text(html, "bench.html").text


def _ours_pruned(html: str) -> str:
    from archive.formats.web_page import html_to_text
    return html_to_text(html, "bench.html", main_content=False).text


CANDIDATES = {
    "trafilatura": _trafilatura(),
    "trafilatura-recall": _trafilatura(favor_recall=True),
    "trafilatura-markdown": _trafilatura(output_format="markdown", include_formatting=True),
    "justext": _justext,
    "readability+html-text": _readability,
    "inscriptis": _inscriptis,
    "html-text": _html_text,
    "selectolax": _selectolax,
    "bs4+lxml": _bs4,
    "archive-pruned": _ours_pruned,
    "archive": _ours,
}


def bench(pages: list[Page], names: list[str], repeat: int) -> list[dict]:
    rows = []
    for name in names:
        fn = CANDIDATES[name]
        totals = {"labels": 0, "labels_total": 0, "speech": 0, "speech_total": 0, "furniture": 0,
                  "furniture_total": 0}
        by_style: dict[str, list[int]] = {}
        error = None
        best = float("inf")
        try:
            fn(pages[0].html)                     # warm-up: imports and first-call set-up are not timed
            for _ in range(repeat):
                t0 = time.perf_counter()
                texts = [fn(p.html) for p in pages]
                best = min(best, time.perf_counter() - t0)
            for p, text in zip(pages, texts):
                s = score(p, text)
                for k in totals:
                    totals[k] += s[k]
                got = by_style.setdefault(p.style, [0, 0])
                got[0] += s["labels"]
                got[1] += s["labels_total"]
        except Exception as e:  # a candidate that fails is reported, not fatal to the benchmark
            error = f"{type(e).__name__}: {e}"
        rows.append({"candidate": name, **totals, "error": error,
                     "labels_by_style": {k: f"{a}/{b}" for k, (a, b) in by_style.items()},
                     "pages_per_s": round(len(pages) / best, 1) if error is None else None})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=12, help="pages to build, cycling through the markups")
    ap.add_argument("--turns", type=int, default=48, help="speaker turns per page (default 48)")
    ap.add_argument("--repeat", type=int, default=3, help="timing runs per candidate; the best is reported")
    ap.add_argument("--only", nargs="*", choices=sorted(CANDIDATES), help="run only these candidates")
    ap.add_argument("--dump", metavar="CANDIDATE", help="print that candidate's text of the first page and stop")
    ap.add_argument("--limits", action="store_true", help="also time html_to_text on a ~5 MB page and on "
                                                          "10,000 nested <div>s")
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout instead of a table")
    args = ap.parse_args(argv)
    pages = make_pages(args.pages, args.turns)
    if args.dump:
        print(CANDIDATES[args.dump](pages[0].html))
        return 0
    rows = bench(pages, args.only or list(CANDIDATES), max(1, args.repeat))
    limits = run_limits() if args.limits else []
    if args.json:
        print(json.dumps({"pages": len(pages), "turns_per_page": args.turns, "styles": list(STYLES),
                          "results": rows, "limits": limits}, indent=2))
        return 0
    print(f"{len(pages)} pages x {args.turns} turns, styles: {', '.join(STYLES)}")
    print(f"{'candidate':24} {'labels':>11} {'speech':>11} {'furn':>7} {'pages/s':>8}  labels by style")
    for r in rows:
        if r["error"]:
            print(f"{r['candidate']:24} error: {r['error']}")
            continue
        print(f"{r['candidate']:24} {r['labels']:>5}/{r['labels_total']:<5} {r['speech']:>5}/{r['speech_total']:<5} "
              f"{r['furniture']:>3}/{r['furniture_total']:<3} {r['pages_per_s']:>8}  "
              + " ".join(f"{k}={v}" for k, v in r["labels_by_style"].items()))
    for lim in limits:
        print(f"{lim['case']}: {lim['mb']} MB in {lim['seconds']} s: {lim['outcome']}")
    return 0


def run_limits() -> list[dict]:
    """html_to_text on pathological input: a long page (~5 MB) and markup nested 10,000 deep."""
    from archive.errors import InputFileError
    from archive.formats.web_page import html_to_text
    long_page = make_page("bold-paragraph", 7, n_turns=12_000).html
    nested = "<html><body>" + "<div>" * 10_000 + "<p>deep text</p>" + "</div>" * 10_000 + "</body></html>"
    tags = "<html><body>" + "<div><span>x</span> <a href='#'>link</a></div>" * 120_000 + "</body></html>"
    out = []
    for case, html in (("5 MB transcript page", long_page), ("5 MB of small elements", tags),
                       ("10,000 nested divs", nested)):
        t0 = time.perf_counter()
        try:
            r = html_to_text(html, "limits.html")
            outcome = f"{len(r.text)} characters; {r.notes[-1]}"
        except InputFileError as e:
            outcome = f"InputFileError: {e}"
        out.append({"case": case, "mb": round(len(html.encode()) / 1e6, 1),
                    "seconds": round(time.perf_counter() - t0, 2), "outcome": outcome})
    return out


if __name__ == "__main__":
    sys.exit(main())
