"""The results a person reads (archive/results.py): facets, grouping by call, the date order, the units (turns,
questions, answers, exchanges), the analyst's question an answer carries, the match floor and min_score, unknown
tickers and companies, snippets, a query nothing matches; and how the CLI prints them.

Fast: the session's shared sample archive with the test encoder (tests/conftest.py), which has no similarity
scale, so every mode judges a match by the query's word coverage. No exact calibration value is asserted."""
from __future__ import annotations

import html
import json
import re
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner

from archive.cli import main
from archive.exchanges import questions_of
from archive.models import turn_id
from archive.request import SearchRequest

MODES = ("hybrid", "lexical", "semantic")
QUERIES = ("gross margin", "pricing", "revenue guidance", "customers", "cloud revenue growth", "store traffic")
NONSENSE = "qwertyzzyx flibbertigibbet"
# The fields of a hit that each facet (and its request parameter) is about.
FACET_FIELD = {"company": None, "year": "year", "quarter": "quarter", "role": "role", "section": "section",
               "speaker": "speaker"}


def search(archive, text, **kw):
    return archive.search(SearchRequest.build(text=text, **kw))


def api(client, status=200, **params):
    r = client.get("/api/search?" + urlencode(params, doseq=True))
    assert r.status_code == status, (params, r.status_code, r.get_json())
    return r.get_json()


def facet_value_of(hit: dict, name: str, param: str):
    if name == "company":
        return hit["ticker"] if param == "ticker" else hit["company"]
    return hit[FACET_FIELD[name]]


# -- facets -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ("hybrid", "lexical"))
@pytest.mark.parametrize("q", ("gross margin", "guidance"))
def test_facets_count_every_match_and_each_narrows_to_its_count(sample_client, q, mode):
    body = api(sample_client, q=q, mode=mode, limit=2)
    assert body["total"] > 2, "the query must match more than a page for this test to mean anything"
    facets = body["facets"]
    assert set(facets) == {"company", "year", "quarter", "role", "section", "speaker"}
    # counts are over every match, not the page
    assert sum(v["count"] for v in facets["role"]) == body["total"]
    assert sum(v["count"] for v in facets["section"]) == body["total"]
    if len(facets["company"]) < 10:                   # no value left off
        assert sum(v["count"] for v in facets["company"]) == body["total"]
    for name, values in facets.items():
        counts = [v["count"] for v in values]
        assert counts == sorted(counts, reverse=True), (name, values)
        for v in values:
            narrowed = api(sample_client, q=q, mode=mode, limit=100, **{v["param"]: v["value"]})
            assert narrowed["hits"], (name, v)
            assert all(facet_value_of(h, name, v["param"]) == v["value"] for h in narrowed["hits"]), (name, v)
            assert narrowed["total"] == v["count"], (name, v, narrowed["total"])


def test_the_analysts_facet_narrows_to_its_count_when_questions_are_folded(sample_client):
    """A matching question folded into its matching answer is not a hit of its own (unit=turn), so the role facet
    does not count it; narrowing to role=analyst leaves no answer to fold it into. The count the facet shows and
    the hits a click on it gives should agree."""
    body = api(sample_client, q="pricing", mode="lexical", limit=100)
    assert body["weak"] == 0            # every matching turn is in the window: only folding can make a difference
    analysts = next(v for v in body["facets"]["role"] if v["value"] == "analyst")
    narrowed = api(sample_client, q="pricing", mode="lexical", limit=100, role="analyst")
    assert narrowed["total"] == analysts["count"], (
        f"facet role=analyst says {analysts['count']}, role=analyst finds {narrowed['total']}")


# -- group=call ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("q", ("gross margin", "customers", "pricing"))
def test_groups_are_calls_in_relevance_order_with_their_best_hits(sample_archive, q, mode):
    flat = search(sample_archive, q, mode=mode, limit=100)
    grouped = search(sample_archive, q, mode=mode, limit=100, group="call")
    assert grouped.groups is not None and flat.groups is None
    assert grouped.total == flat.total and grouped.calls == flat.calls == len(grouped.groups)
    # the calls in the order of their best hit in the relevance order
    assert [g["call_id"] for g in grouped.groups] == list(dict.fromkeys(h.call_id for h in flat.hits))
    bests = [g["best"] for g in grouped.groups]
    assert bests == sorted(bests, reverse=True)
    by_call = {}
    for h in flat.hits:
        by_call.setdefault(h.call_id, []).append(h.turn_id)
    for g in grouped.groups:
        assert g["turn_ids"], g
        assert g["matched"] == len(by_call[g["call_id"]]) >= len(g["turn_ids"])
        assert g["turn_ids"] == by_call[g["call_id"]][:len(g["turn_ids"])]       # its best turns, best first
        assert {h.call_id for h in grouped.hits if h.turn_id in g["turn_ids"]} == {g["call_id"]}
    # the hits are the groups' turns, in the groups' order
    assert [h.turn_id for h in grouped.hits] == [t for g in grouped.groups for t in g["turn_ids"]]


def test_a_grouped_page_holds_limit_calls(sample_archive):
    everything = search(sample_archive, "customers", group="call", limit=100)
    assert len(everything.groups) > 3
    calls = [g["call_id"] for g in everything.groups]
    first = search(sample_archive, "customers", group="call", limit=2)
    second = search(sample_archive, "customers", group="call", limit=2, page=2)
    assert [g["call_id"] for g in first.groups] == calls[:2]
    assert [g["call_id"] for g in second.groups] == calls[2:4]
    assert len(first.hits) > 2                          # a page counts calls, not turns
    assert first.total == everything.total and first.calls == everything.calls


# -- sort ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("q", ("gross margin", "customers", "pricing"))
def test_sort_by_date_orders_calls_newest_first_and_keeps_the_matches(sample_archive, q, mode):
    relevance = search(sample_archive, q, mode=mode, limit=100)
    by_date = search(sample_archive, q, mode=mode, limit=100, sort="date")
    keys = [(h.date or "", h.year or 0, h.quarter or 0) for h in by_date.hits]
    assert keys == sorted(keys, reverse=True)
    assert sorted(h.turn_id for h in by_date.hits) == sorted(h.turn_id for h in relevance.hits)
    assert by_date.total == relevance.total
    # relevance: best first; within a call, the date order keeps the relevance order
    scores = [h.score for h in relevance.hits]
    assert scores == sorted(scores, reverse=True)
    order = [h.turn_id for h in relevance.hits]
    for call in {h.call_id for h in by_date.hits}:
        mine = [h.turn_id for h in by_date.hits if h.call_id == call]
        assert mine == [t for t in order if t in mine], call


# -- units --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_unit_question_and_answer_are_turns_of_that_kind(sample_archive, mode):
    found = 0
    for q in QUERIES:
        questions = search(sample_archive, q, mode=mode, unit="question", limit=100, min_score=0)
        answers = search(sample_archive, q, mode=mode, unit="answer", limit=100, min_score=0)
        found += bool(questions.hits) + bool(answers.hits)
        assert all(h.role == "analyst" and h.section == "qa" for h in questions.hits), q
        assert all(h.role == "executive" and h.section == "qa" for h in answers.hits), q
    assert found >= len(QUERIES)        # a turn with no word of the query is no hit, even at min_score 0


def test_a_unit_cannot_be_combined_with_a_filter_it_contradicts(sample_client):
    for params in ({"unit": "answer", "role": "analyst"}, {"unit": "question", "role": "executive"},
                   {"unit": "question", "section": "prepared"}, {"unit": "exchange", "section": "prepared"}):
        err = api(sample_client, 400, q="margin", **params)["error"]
        assert err["param"] == "unit" and "unit" in err["message"], (params, err)
    assert api(sample_client, q="margin", unit="answer", role="executive", section="qa")["hits"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("q", QUERIES + ("thank you", "next question"))
def test_unit_exchange_hits_are_answers_with_their_question_or_unanswered_questions(sample_archive, q, mode):
    res = search(sample_archive, q, mode=mode, unit="exchange", limit=100)
    wrong = [(h.turn_id, h.role, h.question is not None) for h in res.hits
             if not ((h.role == "executive" and h.question) or (h.role == "analyst" and not h.question))]
    assert not wrong, f"{len(wrong)} of {len(res.hits)} exchange hits are neither: {wrong[:5]}"
    assert all(h.section == "qa" for h in res.hits)
    asked = [h.question["turn_id"] if h.question else h.turn_id for h in res.hits]
    assert len(asked) == len(set(asked)), "an exchange shown twice"


# -- the question an answer carries; folding ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def questions(sample_archive):
    """answer turn id -> question turn id, from the calls' turns by the rule of archive/exchanges.py."""
    out = {}
    for c in sample_archive.calls():
        turns = sample_archive.get_call(c["call_id"])["turns"]
        out.update((turn_id(c["call_id"], a), turn_id(c["call_id"], qn)) for a, qn in questions_of(turns).items())
    return out


@pytest.mark.parametrize("unit", ("turn", "answer"))
@pytest.mark.parametrize("mode", MODES)
def test_an_answer_carries_the_question_of_its_exchange(sample_archive, questions, mode, unit):
    seen = 0
    for q in QUERIES:
        for h in search(sample_archive, q, mode=mode, unit=unit, limit=100, min_score=0).hits:
            expected = questions.get(h.turn_id)
            if expected is None:
                assert h.question is None, (q, h.turn_id, h.role, h.section)
                continue
            seen += 1
            assert h.question and h.question["turn_id"] == expected, (q, h.turn_id, h.question)
            asked = sample_archive.get_turn(expected, 0)["turn"]
            assert h.question["speaker"] == asked["speaker"] and asked["role"] == "analyst"
            assert h.question["text"] and asked["text"].startswith(h.question["text"].rstrip(" …")[:200])
            assert h.question["url"].endswith(f"?turn={expected}#{expected.rsplit(':', 1)[1]}")
    assert seen > 5


@pytest.mark.parametrize("mode", MODES)
def test_a_matching_question_is_folded_into_its_matching_answer(sample_archive, mode):
    folded = 0
    for q in QUERIES:
        res = search(sample_archive, q, mode=mode, limit=100)
        ids = {h.turn_id for h in res.hits}
        carried = {h.question["turn_id"] for h in res.hits if h.question}
        assert not ids & carried, (q, sorted(ids & carried))
        # a carried question that matches on its own would have been a hit: it is among the questions
        questions = {h.turn_id for h in search(sample_archive, q, mode=mode, unit="question", limit=100).hits}
        folded += len(carried & questions)
    assert folded, "no question was folded: the test shows nothing"


# -- the floor and min_score --------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_min_score_moves_the_floor(sample_archive, mode):
    for q in QUERIES:
        default = search(sample_archive, q, mode=mode, limit=100)
        everything = search(sample_archive, q, mode=mode, limit=100, min_score=0)
        strict = search(sample_archive, q, mode=mode, limit=100, min_score=1.0)
        strong = search(sample_archive, q, mode=mode, limit=100, min_score=0.8)
        assert default.floor == 0.5 and everything.floor == 0 and strict.floor == 1.0
        assert all(0 <= h.match <= 1 for h in everything.hits)
        assert all(h.match >= 0.5 and h.strength in ("strong", "partial") for h in default.hits), q
        assert all(h.match >= 0.8 and h.strength == "strong" for h in strong.hits), q
        assert all(h.match >= 1.0 and h.strength == "strong" for h in strict.hits), q
        assert everything.total >= default.total >= strong.total >= strict.total, q
        assert everything.weak == 0 and (default.weak > 0) == (everything.total > default.total)
        assert {h.turn_id for h in strong.hits} <= {h.turn_id for h in default.hits}
        labels = {(h.strength, h.match >= 0.8, h.match >= 0.5) for h in everything.hits}
        assert labels <= {("strong", True, True), ("partial", False, True), ("weak", False, False)}, labels


def test_min_score_out_of_range_is_a_400(sample_client):
    for value in ("2", "-0.1", "lots"):
        err = api(sample_client, 400, q="x", min_score=value)["error"]
        assert err["param"] == "min_score", err


# -- unknown tickers and companies --------------------------------------------------------------------------------

def test_an_unknown_ticker_or_company_is_a_404_naming_it(sample_client):
    err = api(sample_client, 404, q="margin", ticker="ZZZZ")["error"]
    assert "ZZZZ" in err["message"] and err["param"] == "ticker"
    err = api(sample_client, 404, q="margin", ticker="KCC")["error"]
    assert "KCC" in err["message"] and "KC" in (err["hint"] or "")          # did you mean
    err = api(sample_client, 404, q="margin", ticker=["ZZZZ", "YYYY"])["error"]
    assert "ZZZZ" in err["message"] and "YYYY" in err["message"]
    err = api(sample_client, 404, q="margin", company="Kingsoft Clod")["error"]
    assert "Kingsoft Clod" in err["message"] and "Kingsoft Cloud" in (err["hint"] or "")
    assert err["param"] == "company"


def test_a_known_and_an_unknown_ticker_search_the_known_one_with_a_warning(sample_client):
    body = api(sample_client, q="margin", ticker=["KC", "ZZZZ"])
    assert body["hits"] and all(h["ticker"] == "KC" for h in body["hits"])
    assert any("ZZZZ" in w for w in body["warnings"])
    assert api(sample_client, q="margin", ticker="KC")["warnings"] == []


# -- snippets -----------------------------------------------------------------------------------------------------

def _plain(segment: str) -> str:
    return " ".join(html.unescape(re.sub(r"</?mark>", "", segment)).split())


@pytest.mark.parametrize("mode", MODES)
def test_snippets_are_up_to_three_whole_sentences_of_the_turn_with_the_marks_inside(sample_archive, mode):
    turns = {}
    checked = 0
    for q in QUERIES:
        for h in search(sample_archive, q, mode=mode, limit=100).hits:
            segments = h.snippet.split(" … ")
            assert 1 <= len(segments) <= 3, (h.turn_id, h.snippet)
            if h.turn_id not in turns:
                turns[h.turn_id] = " ".join(sample_archive.get_turn(h.turn_id, 0)["turn"]["text"].split())
            text = turns[h.turn_id]
            for s in segments:
                assert s.count("<mark>") == s.count("</mark>"), (h.turn_id, s)
                assert not re.search(r"<mark>[^<]*$", s), (h.turn_id, s)        # no mark left open
                plain = _plain(s)
                plain = plain[:-2] if plain.endswith(" …") else plain
                assert plain and not plain.startswith("…"), (q, h.turn_id, h.snippet)
                at = text.find(plain)
                assert at >= 0, (q, h.turn_id, plain[:80])
                boundary = at == 0 or re.search(r"[.?!…][\"'”’)\]]*\s+$", text[:at])
                assert boundary, (q, h.turn_id, text[max(0, at - 40):at + 40])
                checked += 1
            assert "<mark>" in h.snippet, (q, h.turn_id, h.snippet)      # the hash encoder: words decide
    assert checked > 50


# -- nothing matches ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_a_nonsense_query_has_no_hits_in_any_mode(sample_client, mode):
    body = api(sample_client, q=NONSENSE, mode=mode)
    assert body["hits"] == [] and body["total"] == 0 and body["calls"] == 0, (mode, body["hits"][:1])
    assert all(values == [] for values in body["facets"].values()), body["facets"]
    assert body["groups"] is None
    assert api(sample_client, q=NONSENSE, mode=mode, group="call")["groups"] == []
    for unit in ("question", "answer", "exchange"):
        assert api(sample_client, q=NONSENSE, mode=mode, unit=unit)["hits"] == [], unit


# -- the command line ---------------------------------------------------------------------------------------------

def cli(sample_archive, *args):
    r = CliRunner().invoke(main, ["--home", str(sample_archive.settings.home), "search", *args])
    return r


def test_cli_marks_each_hit_with_its_strength_and_shows_the_question_an_answer_answers(sample_archive):
    res = search(sample_archive, "gross margin", unit="answer", limit=5)
    assert res.hits and all(h.question for h in res.hits)
    r = cli(sample_archive, "gross margin", "--unit", "answer", "--limit", "5")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    heads = [line for line in lines if re.match(r"\s+\d+\. \[(strong|partial|weak)\] ", line)]
    assert len(heads) == len(res.hits)
    for line, h in zip(heads, res.hits):
        assert f"[{h.strength}]" in line and h.turn_id in line
    qs = [line for line in lines if line.lstrip().startswith("Q: ")]
    assert len(qs) == len(res.hits)
    for line, h in zip(qs, res.hits):
        assert line.lstrip().startswith(f"Q: {h.question['speaker']}: ") and "<mark>" not in line
        assert len(line.strip()) <= len(f"Q: {h.question['speaker']}: ") + 170
        assert line.count("**") % 2 == 0
    assert lines[-1].startswith(f"{res.total} matching turn")
    assert f" in {res.calls} call" in lines[-1]
    if res.weak:
        assert f"{res.weak} weaker hidden (--min-score 0 shows them)" in lines[-1]


def test_cli_groups_hits_under_one_heading_per_call(sample_archive):
    res = search(sample_archive, "gross margin", group="call", limit=3)
    r = cli(sample_archive, "gross margin", "--group", "call", "--limit", "3")
    assert r.exit_code == 0, r.output
    out = r.stdout
    at = []
    for g in res.groups:
        period = f"Q{g['quarter']} {g['year']}"
        n = g["matched"]
        heading = f"{g['ticker']} {period} ({g['company']}), {n} matching turn{'s' if n != 1 else ''}"
        assert heading in out, (heading, out[:500])
        at.append(out.index(heading))
        for t in g["turn_ids"]:
            assert out.index(t) > out.index(heading)
    assert at == sorted(at)
    assert out.count(" matching turn") == len(res.groups) + 1         # the headings and the closing line


def test_cli_says_when_nothing_matches(sample_archive):
    res = search(sample_archive, NONSENSE)
    r = cli(sample_archive, NONSENSE)
    assert r.exit_code == 0, r.output
    if res.weak:
        assert f"no passage matches {NONSENSE!r} closely; {res.weak} weak match" in r.stdout
    else:
        assert f"nothing matches {NONSENSE!r}" in r.stdout
    assert "[weak]" not in r.stdout and "[strong]" not in r.stdout


def test_cli_json_is_the_results_and_facets_and_warnings_print(sample_archive):
    res = search(sample_archive, "gross margin", limit=3)
    body = json.loads(cli(sample_archive, "gross margin", "--limit", "3", "--json").stdout)
    expected = res.to_dict("cli")
    body.pop("took_ms"), expected.pop("took_ms")
    assert body == json.loads(json.dumps(expected, default=str))
    r = cli(sample_archive, "gross margin", "--limit", "3", "--facets")
    for name, values in res.facets.items():
        shown = [f"Q{v['value']}" if name == "quarter" else str(v["value"]) for v in values]
        assert f"{name}: " + ", ".join(f"{s} {v['count']}" for s, v in zip(shown, values)) in r.stdout
    r = cli(sample_archive, "margin", "--ticker", "KC", "--ticker", "ZZZZ")
    assert r.exit_code == 0 and "note: no calls of ticker ZZZZ" in r.stderr and "ZZZZ" not in r.stdout
    r = cli(sample_archive, "margin", "--ticker", "ZZZZ")
    assert r.exit_code != 0 and "error: no calls of ticker ZZZZ" in r.stderr


# -- the MCP tool -------------------------------------------------------------------------------------------------

def test_the_mcp_search_tool_returns_strength_questions_facets_and_warnings(sample_archive):
    pytest.importorskip("mcp")
    import asyncio

    import jsonschema

    from web.mcp_server import MAX_QUESTION, build_server
    server = build_server(sample_archive)

    async def work():
        tools = {t.name: t for t in await server.list_tools()}
        calls = [{"query": "gross margin", "unit": "answer", "limit": 5, "tickers": ["KC", "YETI", "ZZZZ"]},
                 {"query": "customers", "group": "call", "limit": 2},
                 {"query": NONSENSE}]
        results = [await server.call_tool("search_transcripts", c) for c in calls]
        try:
            unknown = await server.call_tool("search_transcripts", {"query": "margin", "tickers": ["ZZZZ"]})
            unknown = " ".join(c.text for c in unknown.content) if unknown.is_error else None
        except Exception as e:              # in process the SDK raises the tool's error
            unknown = str(e)
        return tools["search_transcripts"], results, unknown
    tool, (answers, grouped, nothing), unknown = asyncio.run(work())
    assert "min_score" in tool.description and "strong" in tool.description and "exchange" in tool.description
    for r in (answers, grouped, nothing):
        assert not r.is_error, r.content
        jsonschema.validate(r.structured_content, tool.output_schema)
    out = answers.structured_content
    expected = search(sample_archive, "gross margin", unit="answer", limit=5, tickers=("KC", "YETI", "ZZZZ"))
    assert [h["turn_id"] for h in out["hits"]] == [h.turn_id for h in expected.hits]
    assert (out["total"], out["calls"], out["weak"]) == (expected.total, expected.calls, expected.weak)
    assert any("ZZZZ" in w for w in out["warnings"])
    for h, want in zip(out["hits"], expected.hits):
        assert (h["match"], h["strength"], h["date"]) == (want.match, want.strength, want.date)
        assert h["question"]["turn_id"] == want.question["turn_id"]
        assert h["question"]["speaker"] == want.question["speaker"]
        assert len(h["question"]["text"]) <= MAX_QUESTION + 2
        assert want.question["text"].startswith(h["question"]["text"].removesuffix(" …"))
    assert {f: [(v["value"], v["count"]) for v in vs] for f, vs in out["facets"].items()} == \
        {f: [(v["value"], v["count"]) for v in vs] for f, vs in expected.facets.items()}
    g = grouped.structured_content
    assert len(g["groups"]) == 2 and [h["turn_id"] for h in g["hits"]] == [t for x in g["groups"] for t in x["turn_ids"]]
    assert nothing.structured_content["hits"] == [] and nothing.structured_content["total"] == 0
    assert unknown and "no calls of ticker ZZZZ" in unknown
