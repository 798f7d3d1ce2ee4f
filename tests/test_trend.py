"""The trend comparison (Archive.trend with a TrendRequest, /api/trend, /trend, `archive trend`, the MCP tool
term_trend) on the session's shared sample archive (tests/conftest.py), which every test here only reads: the
counts per term are the turns whose text holds the term, counted here again from the store's turn texts; a
split partitions them by ticker; every front door takes the same request and gives the same numbers."""
from __future__ import annotations

import asyncio
import json
import re
from collections import defaultdict

import pytest
from click.testing import CliRunner

from archive.cli import main
from archive.errors import BadRequestError, NotFoundError
from archive.request import MAX_TERMS, SearchRequest, TrendRequest

# Terms whose every form in the sample is one of these (so a count by the regex is the count by the index's
# analyser, stemming and all, whichever lexical engine built it).
FORMS = {"covid": r"\bcovid\b", "pandemic": r"\bpandemic\b", "dividend": r"\bdividends?\b", "demand": r"\bdemands?\b"}
TERMS = list(FORMS)


@pytest.fixture(scope="module")
def a(sample_archive):
    return sample_archive


@pytest.fixture(scope="module")
def turns(a):
    """Every stored turn with its call's ticker and period, read from the store (not the index)."""
    return [dict(r) for r in a.store.db.execute(
        "SELECT t.turn_id, t.call_id, t.text, c.ticker, c.fiscal_year, c.fiscal_quarter FROM turns t "
        "JOIN calls c USING (call_id)")]


@pytest.fixture(scope="module")
def tickers(a):
    return [r[0] for r in a.store.db.execute("SELECT DISTINCT ticker FROM calls ORDER BY ticker")]


def said(turns, term, ticker=None):
    """(year, quarter) -> (turns holding the term, calls they are in), counted from the turn texts."""
    out = defaultdict(lambda: [0, set()])
    for t in turns:
        if re.search(FORMS[term], t["text"], re.I) and ticker in (None, t["ticker"]):
            b = out[(t["fiscal_year"], t["fiscal_quarter"])]
            b[0] += 1
            b[1].add(t["call_id"])
    return {k: (n, len(calls)) for k, (n, calls) in out.items()}


def counted(series):
    return {(x["year"], x["quarter"]): (x["turns"], x["calls"]) for x in series["quarters"] if x["turns"]}


# -- the service --------------------------------------------------------------------------------------------------

def test_each_term_counts_the_turns_that_say_it(a, turns):
    t = a.trend(TrendRequest.build(terms=TERMS))
    assert t["terms"] == TERMS and t["split"] == "none" and t["measure"] == "share"
    assert [s["term"] for s in t["series"]] == TERMS and all(s["ticker"] is None for s in t["series"])
    on_file = defaultdict(int)
    for call_id, y, q in {(x["call_id"], x["fiscal_year"], x["fiscal_quarter"]) for x in turns}:
        on_file[(y, q)] += 1
    for s in t["series"]:
        assert counted(s) == said(turns, s["term"]), s["term"]
        assert not s["truncated"]
        for x in s["quarters"]:
            assert x["calls_on_file"] == on_file[(x["year"], x["quarter"])]
            assert x["share"] == round(x["calls"] / x["calls_on_file"], 4)
            assert x["period"] == f"{x['year']}Q{x['quarter']}"
        assert s["turns"] == sum(n for n, _ in said(turns, s["term"]).values())
    axes = {tuple((x["year"], x["quarter"]) for x in s["quarters"]) for s in t["series"]}
    assert axes == {tuple(sorted(on_file))}          # one axis: every quarter on file, for every term


def test_a_split_partitions_each_terms_counts_by_ticker(a, turns, tickers):
    whole = a.trend(TrendRequest.build(terms=TERMS, tickers=tickers))
    split = a.trend(TrendRequest.build(terms=TERMS, tickers=tickers, split="company"))
    assert len(split["series"]) == len(tickers) * len(TERMS)
    assert [(s["ticker"], s["term"]) for s in split["series"]] == [(k, term) for k in tickers for term in TERMS]
    axis = [(x["year"], x["quarter"]) for x in whole["series"][0]["quarters"]]
    for s in split["series"]:
        assert [(x["year"], x["quarter"]) for x in s["quarters"]] == axis       # the same axis in every panel
        assert counted(s) == said(turns, s["term"], s["ticker"]), (s["ticker"], s["term"])
        assert s["company"]
    for w in whole["series"]:
        panels = [s for s in split["series"] if s["term"] == w["term"]]
        for i, x in enumerate(w["quarters"]):
            for key in ("turns", "calls", "calls_on_file"):
                assert sum(p["quarters"][i][key] for p in panels) == x[key], (w["term"], x["period"], key)
    kc = next(s for s in split["series"] if s["ticker"] == "KC")
    assert kc["company"] == "Kingsoft Cloud"
    assert {x["calls_on_file"] for x in kc["quarters"]} == {0, 1}      # KC has one call, in one quarter


def test_the_filters_and_the_measure(a, turns):
    t = a.trend(TrendRequest.build(terms=["covid", "demand"], tickers=["KC", "YETI"], years=(2020, 2020),
                                   measure="turns"))
    assert t["measure"] == "turns" and t["tickers"] == ["KC", "YETI"] and t["years"] == [2020, 2020]
    assert [x["period"] for x in t["series"][0]["quarters"]] == ["2020Q1", "2020Q3"]     # quarters on file for them
    for s in t["series"]:
        assert counted(s) == {k: tuple(v) for k, v in _sum(said(turns, s["term"], "KC"),
                                                          said(turns, s["term"], "YETI")).items()}
    shares = a.trend(TrendRequest.build(terms=["covid", "demand"], tickers=["KC", "YETI"], years=(2020, 2020)))
    assert [s["quarters"] for s in shares["series"]] == [s["quarters"] for s in t["series"]]   # both are counted
    assert a.trend(TrendRequest.build(terms=["covid"], years=(2019, 2019)))["series"][0]["quarters"] == []


def _sum(x, y):
    return {k: (x.get(k, (0, 0))[0] + y.get(k, (0, 0))[0], x.get(k, (0, 0))[1] + y.get(k, (0, 0))[1])
            for k in set(x) | set(y)}


def test_one_term_keeps_the_single_term_shape(a):
    one = a.trend(TrendRequest.build(terms=["cloud"]))
    assert one["query"] == "cloud" and one["quarters"] == one["series"][0]["quarters"] and one["truncated"] is False
    assert a.trend(SearchRequest("cloud")) == one                 # a SearchRequest reads as one term
    two = a.trend(TrendRequest.build(terms=["cloud", "covid"]))
    assert "quarters" not in two and "query" not in two
    split = a.trend(TrendRequest.build(terms=["cloud"], tickers=["KC"], split="company"))
    assert "quarters" not in split and split["series"][0]["ticker"] == "KC"


def test_terms_are_cleaned_and_bounded():
    req = TrendRequest.build(terms=["  cloud ", "Cloud", "", "margin, outlook", "CLOUD"])
    assert req.terms == ("cloud", "margin, outlook")
    assert TrendRequest.build(terms="cloud").terms == ("cloud",)
    assert len(TrendRequest.build(terms=[f"w{i}" for i in range(MAX_TERMS)] + ["W0"]).terms) == MAX_TERMS
    cases = [({"terms": [f"w{i}" for i in range(MAX_TERMS + 1)]}, "q", "at most 4 terms"),
             ({"terms": ["cloud", "*"]}, "q", "wildcards"),
             ({"terms": ["x" * 501]}, "q", "too long"),
             ({"terms": ["", "  "]}, "q", "needs a term"),
             ({"terms": ["cloud"], "split": "company"}, "split", "no tickers"),
             ({"terms": ["cloud"], "split": "ticker"}, "split", "not one of"),
             ({"terms": ["cloud"], "measure": "words"}, "measure", "not one of"),
             ({"terms": ["cloud"], "years": (2021, 2019)}, "years", "not valid"),
             ({"terms": ["cloud"], "tickers": ["<b>"]}, "ticker", "is not a ticker"),
             ({"terms": ["cloud"], "quarters": [1]}, None, "unknown trend field")]
    for values, param, message in cases:
        with pytest.raises(BadRequestError) as e:
            TrendRequest.build(**values)
        assert e.value.param == param and message in e.value.message, (values, e.value.message)
    with pytest.raises(BadRequestError) as e:
        TrendRequest.build(terms=["cloud"], split="company")
    assert "ticker=KC" in e.value.hint_for("api") and "--ticker KC" in e.value.hint_for("cli")
    assert '"tickers": ["KC"' in e.value.hint_for("mcp")


def test_unknown_tickers(a):
    with pytest.raises(NotFoundError) as e:
        a.trend(TrendRequest.build(terms=["cloud"], tickers=["NOPE"], split="company"))
    assert e.value.param == "ticker"
    t = a.trend(TrendRequest.build(terms=["cloud"], tickers=["KC", "NOPE"], split="company"))
    assert [s["ticker"] for s in t["series"]] == ["KC"] and "NOPE" in t["warnings"][0]


# -- the API ------------------------------------------------------------------------------------------------------

def test_the_api_takes_repeated_terms_and_answers_the_full_shape(sample_client, a):
    body = sample_client.get("/api/trend?q=covid&q=demand&q=&q=Covid&ticker=KC,YETI&split=company&measure=turns")
    assert body.status_code == 200
    t = body.get_json()
    assert set(t) == {"terms", "tickers", "years", "split", "measure", "series", "warnings"}
    assert t["terms"] == ["covid", "demand"] and t["tickers"] == ["KC", "YETI"] and t["split"] == "company"
    assert t == json.loads(json.dumps(a.trend(TrendRequest.build(terms=["covid", "demand"], tickers=["KC", "YETI"],
                                                                 split="company", measure="turns"))))
    s = t["series"][0]
    assert set(s) >= {"term", "ticker", "company", "quarters", "truncated"}
    assert set(s["quarters"][0]) == {"year", "quarter", "period", "turns", "calls", "calls_on_file", "share",
                                     "strength"}
    one = sample_client.get("/api/trend?q=cloud&ticker=KC").get_json()
    assert one["query"] == "cloud" and [x["period"] for x in one["quarters"]] == ["2020Q1"]
    assert sample_client.get("/api/trend?q=margin,+outlook").get_json()["terms"] == ["margin, outlook"]


@pytest.mark.parametrize("query, param", [("q=a&q=b&q=c&q=d&q=e", "q"), ("q=*", "q"), ("q=cloud&split=company", "split"),
                                          ("q=cloud&measure=words", "measure"), ("q=", "q"), ("", "q"),
                                          ("q=cloud&split=none&split=company", None), ("q=cloud&years=1800", "years")])
def test_the_api_refuses_bad_requests_naming_the_parameter(sample_client, query, param):
    r = sample_client.get("/api/trend?" + query)
    assert r.status_code == 400, (query, r.get_json())
    error = r.get_json()["error"]
    assert error.get("param") == param and error["message"], error
    if param == "split":
        assert "ticker=" in error["hint"]


# -- the page -----------------------------------------------------------------------------------------------------

def test_the_page_draws_grouped_bars_a_legend_and_the_numbers(sample_client, a):
    html = sample_client.get("/trend?q=" + "&q=".join(TERMS)).get_data(as_text=True)
    t = a.trend(TrendRequest.build(terms=TERMS))
    quarters = len(t["series"][0]["quarters"])
    assert html.count('class="bar-link"') == quarters * len(TERMS)
    assert len(re.findall(r'<ul class="trend-legend".*?</ul>', html, re.S)[0].split("<li ")) - 1 == len(TERMS)
    assert 'href="/?q=covid&amp;year=2020&amp;quarter=1' in html
    assert "<title>Q1 2020, covid: 2 of 2 calls, 12 turns</title>" in html
    for i in range(len(TERMS)):
        assert f'id="trend-p{i}"' in html                           # a fill (colour + pattern) per term
    rows = re.findall(r'<tr data-period="(\d{4}Q\d)"[^>]*>(.*?)</tr>', html, re.S)
    assert [p for p, _ in rows] == [x["period"] for x in t["series"][0]["quarters"]]
    for period, row in rows:
        for s in t["series"]:
            x = next(x for x in s["quarters"] if x["period"] == period)
            cells = dict(re.findall(rf'data-term="{s["term"]}" data-field="(\w+)">(?:<a [^>]*>)?([^<]+)', row))
            assert (int(cells["calls"]), int(cells["turns"])) == (x["calls"], x["turns"])
            assert cells["share"] == f"{x['share'] * 100:.0f}%"


def test_the_page_splits_by_company_and_says_when_nothing_matches(sample_client):
    html = sample_client.get("/trend?q=covid&q=demand&ticker=KC&ticker=YETI&split=company").get_data(as_text=True)
    assert html.count('<figure class="panel" data-ticker=') == 2 and "Kingsoft Cloud" in html
    assert 'href="/?q=covid&amp;ticker=KC&amp;year=2020&amp;quarter=1' in html
    assert "no call" in html                                       # YETI has no call in Q1, KC none in Q3
    nothing = sample_client.get("/trend?q=zzyzx&q=qwxv").get_data(as_text=True)
    assert "Nothing matches" in nothing and "<svg class=\"trend-svg\"" not in nothing
    r = sample_client.get("/trend?q=cloud&split=company")
    assert r.status_code == 400 and "no tickers were given" in r.get_data(as_text=True)
    five = sample_client.get("/trend?q=a&q=b&q=c&q=d&q=e")
    assert five.status_code == 400 and "at most 4 terms" in five.get_data(as_text=True)
    empty = sample_client.get("/trend").get_data(as_text=True)
    assert empty.count('name="q"') == MAX_TERMS and 'name="split"' in empty and 'name="measure"' in empty


def test_terms_are_escaped_and_huge_input_is_not_echoed(sample_client):
    html = sample_client.get('/trend?q=<script>alert(1)</script>&q="cloud"').get_data(as_text=True)
    assert "<script>alert" not in html
    huge = "x" * 100_000
    for query in (f"q=cloud&ticker={huge}", f"q={huge}&q={huge}&q={huge}", f"q=cloud&years={huge}"):
        r = sample_client.get("/trend?" + query)
        assert r.status_code == 400 and len(r.data) < 20_000, (query[:20], len(r.data))


# -- the command line and the MCP tool ----------------------------------------------------------------------------

def cli(a, *args):
    return CliRunner().invoke(main, ["--home", str(a.settings.home), "trend", *args])


def test_the_cli_prints_a_table_per_panel_and_the_apis_json(a):
    r = cli(a, *TERMS)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith("all calls: share of calls") and all(term in lines[1] for term in TERMS)
    assert lines[2].startswith("Q1 2020") and "2/2  100% " in lines[2] and "█" in lines[2]
    split = cli(a, "covid", "demand", "--ticker", "KC", "--ticker", "YETI", "--split", "company", "--measure", "turns")
    assert split.exit_code == 0, split.output
    assert split.stdout.count("turns that mention each term") == 2 and "KC (Kingsoft Cloud)" in split.stdout
    assert "no call" in split.stdout
    out = json.loads(cli(a, "covid", "demand", "--years", "2020", "--json").stdout)
    assert out == json.loads(json.dumps(a.trend(TrendRequest.build(terms=["covid", "demand"], years=(2020, 2020)))))
    assert "nothing matches 'zzyzx'" in cli(a, "zzyzx").stdout


@pytest.mark.parametrize("args, message", [(["a", "b", "c", "d", "e"], "at most 4 terms"), (["*"], "wildcards"),
                                           (["cloud", "--split", "company"], "no tickers were given"),
                                           (["cloud", "--ticker", "NOPE"], "no calls of ticker NOPE")])
def test_the_cli_refuses_bad_input_with_a_hint(a, args, message):
    r = cli(a, *args)
    assert r.exit_code == 2 and message in r.stderr and "hint: " in r.stderr, r.output
    if "--split" in args:
        assert "--ticker KC" in r.stderr


def test_the_mcp_tool_returns_the_series(a):
    pytest.importorskip("mcp")
    from web.mcp_server import build_server
    server = build_server(a)
    r = asyncio.run(server.call_tool("term_trend", {"terms": ["covid", "demand"], "tickers": ["KC", "YETI"],
                                                    "split": "company", "measure": "turns"}))
    assert not r.is_error
    out = r.structured_content
    t = a.trend(TrendRequest.build(terms=["covid", "demand"], tickers=["KC", "YETI"], split="company"))
    assert out["terms"] == ["covid", "demand"] and out["split"] == "company" and out["measure"] == "turns"
    assert [(s["ticker"], s["term"]) for s in out["series"]] == [(s["ticker"], s["term"]) for s in t["series"]]
    for mine, theirs in zip(out["series"], t["series"]):
        assert [(x["calls_mentioning"], x["calls_on_file"], x["turns"]) for x in mine["quarters"]] == \
            [(x["calls"], x["calls_on_file"], x["turns"]) for x in theirs["quarters"]]
        assert mine["quarters"][0]["period"] == "Q1 2020"
    for bad in ({"terms": ["cloud"], "split": "company"}, {"terms": ["*"]}):
        with pytest.raises(Exception) as e:
            asyncio.run(server.call_tool("term_trend", bad))
        assert "Traceback" not in str(e.value) and str(e.value)
