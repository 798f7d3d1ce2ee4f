"""Search over the bundled sample with the small test encoder: filters in each leg, hit shape, fusion, paging,
and clear errors. (tests/test_search_model.py runs the real model end to end.)"""
from __future__ import annotations

import pytest

from archive.errors import BadRequestError
from archive.request import SearchRequest


@pytest.fixture
def sample(sample_each_engine):
    """The sample archive, indexed by each lexical engine in turn (tests/conftest.py): these tests only search it."""
    return sample_each_engine


@pytest.mark.parametrize("mode", ["lexical", "semantic", "hybrid"])
def test_filters_hold_in_every_leg(sample, mode):
    cases = [
        (dict(tickers=("KC",)), lambda h: h.ticker == "KC"),
        (dict(tickers=("KC", "YETI")), lambda h: h.ticker in ("KC", "YETI")),
        (dict(years=(2020, 2020), quarters=(3,)), lambda h: h.year == 2020 and h.quarter == 3),
        (dict(role="analyst"), lambda h: h.role == "analyst"),
        (dict(section="prepared"), lambda h: h.section == "prepared"),
        (dict(speaker="haijian he"), lambda h: h.speaker == "Haijian He"),
        (dict(company="Danaher Corp"), lambda h: h.company == "Danaher Corp"),
    ]
    for filters, ok in cases:
        res = sample.search(SearchRequest("revenue growth margin", mode=mode, limit=20, **filters))
        assert res.hits, (mode, filters)
        assert all(ok(h) for h in res.hits), (mode, filters)
    none = sample.search(SearchRequest("revenue", mode=mode, years=(2010, 2011)))
    assert none.hits == [] and none.total == 0


def test_one_ticker_filter_keeps_vector_recall(sample):
    """With a selective filter the vector leg searches the matching rows exactly: it returns every KC turn that
    an unfiltered exhaustive search would rank, not a thinned-out subset."""
    res = sample.search(SearchRequest("cloud", mode="semantic", tickers=("KC",), limit=100, min_score=0.0))
    kc_turns = len(sample.get_call("KC-2020Q1")["turns"])
    # with the floor off every turn is in the window: a question folded into its answer comes with it
    assert len({h.turn_id for h in res.hits} | {h.question["turn_id"] for h in res.hits if h.question}) == kc_turns


def test_hit_shape(sample):
    res = sample.search(SearchRequest("enterprise cloud revenue", tickers=("KC",)))
    h = res.hits[0]
    call = sample.get_call(h.call_id)
    turn = call["turns"][h.position]
    # the hit is the stored turn (its text bounded), with its call's metadata
    from archive.snippets import MAX_HIT_TEXT, clip
    assert (h.turn_id, h.speaker, h.role, h.section) == (turn["turn_id"], turn["speaker"], turn["role"],
                                                        turn["section"])
    assert (h.text, h.truncated) == clip(turn["text"], MAX_HIT_TEXT)
    assert (h.company, h.ticker, h.year, h.quarter, h.date) == (call["company"], call["ticker"], call["fiscal_year"],
                                                               call["fiscal_quarter"], call["call_date"])
    # ranks and scores of the legs that found it; the fused scores fall down the page
    assert h.lexical_rank or h.semantic_rank
    assert (h.lexical_rank is None) == (h.lexical_score is None) and (h.semantic_rank is None) == (h.semantic_score is None)
    assert [x.score for x in res.hits] == sorted((x.score for x in res.hits), reverse=True)
    assert h.citation.startswith("Kingsoft Cloud Q1 2020 earnings call, " + h.speaker)
    assert h.url.endswith(f"/calls/KC-2020Q1?turn={h.turn_id}#{h.turn_id.split(':')[1]}")
    assert h.to_dict()["turn_id"] == h.turn_id
    assert h.turn_id.startswith("KC-2020Q1:t") and h.chunk_id.startswith(h.turn_id + ":c")
    assert h.source_file == "kingsoft-cloud-2020-q1.txt"
    assert "<mark>" in h.snippet and h.passage in h.text
    assert len({x.turn_id for x in res.hits}) == len(res.hits)          # one hit per turn
    assert [x.rank for x in res.hits] == list(range(1, len(res.hits) + 1))


def word_marker(*words):
    """A marker of whole words, case-insensitive (what an engine's marks do, without an index)."""
    import re
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.I)
    return lambda text: [m.span() for m in pattern.finditer(text)]


def test_snippets_are_escaped():
    from archive.snippets import snippet
    s = snippet('Margins <script>alert("x")</script> & \'quotes\' rose.', word_marker("margins"))
    assert "<script>" not in s and "&lt;script&gt;" in s and "&quot;" in s and "&#x27;" in s
    assert "<mark>Margins</mark>" in s


def test_pages_come_from_one_fixed_window(sample):
    q = dict(text="revenue growth guidance", limit=5)
    whole = [h.turn_id for h in sample.search(SearchRequest(**{**q, "limit": 20})).hits]
    paged = [h.turn_id for page in (1, 2, 3, 4) for h in sample.search(SearchRequest(**q, page=page)).hits]
    assert paged == whole


def test_weighted_fusion_and_shape(sample):
    def weight(text):
        return sample.search(SearchRequest(text, fusion="weighted")).weights["lexical"]
    assert weight("$0.83 EPS") == 0.9 and weight('"constant currency" growth in the cloud business') == 0.9
    assert weight("Watchman FLX") == 0.8
    assert weight("sees 2021 adjusted earnings per share guidance") == 0.6
    assert weight("why did the company expect demand to recover later this year") == 0.3
    assert sample.search(SearchRequest("margin", fusion="rrf")).weights == {"fusion": "rrf", "k": 60}
    res = sample.search(SearchRequest("margin", fusion="weighted", lexical_weight=1.0))
    assert all(h.lexical_rank for h in res.hits)


def test_phrases_and_exclusions(sample):
    res = sample.search(SearchRequest('"enterprise cloud"', mode="lexical", limit=50))
    assert res.hits and all("enterprise cloud" in h.text.lower() for h in res.hits)
    res = sample.search(SearchRequest("cloud -enterprise", mode="lexical", limit=50))
    assert res.hits and all("enterprise" not in h.passage.lower() for h in res.hits)


@pytest.mark.parametrize("bad, message", [
    (dict(text="*"), "wildcards"),
    (dict(text="margin", limit=0), "limit 0 is out of range"),
    (dict(text="margin", limit=1000), "limit 1000 is out of range"),
    (dict(text="margin", page=500), "page 500 is out of range"),
    (dict(text="margin", page=11), "page 11 is past the 100 results"),
    (dict(text="margin", mode="fuzzy"), "mode 'fuzzy'"),
    (dict(text="margin", role="ceo"), "role 'ceo'"),
    (dict(text="margin", quarters=(5,)), "quarter 5 is out of range"),
    (dict(text="margin", years=(2021, 2019)), "year range 2021-2019"),
    (dict(text="margin", tickers=("A;DROP",)), "is not a ticker"),
])
def test_bad_parameters(sample, bad, message):
    with pytest.raises(BadRequestError) as e:
        sample.search(SearchRequest(**bad))
    assert message in e.value.message and e.value.hint_for("cli")


def test_snippet_for_a_hit_found_by_meaning_takes_the_closest_sentence():
    from archive.snippets import snippet
    from archive.snippets import closest_sentences
    import numpy as np
    passage = "We opened stores. Shoppers came back in spring. Costs fell."
    embedded = []

    def encode(sentences):
        embedded.append(sentences)
        return np.eye(3, dtype=np.float32)[:len(sentences)]
    # the query vector is nearest the second sentence
    closest = closest_sentences([("t1", passage)], word_marker("demand"), encode, np.array([0, 1, 0], np.float32))
    assert closest == {"t1": 1} and embedded == [["We opened stores.", "Shoppers came back in spring.", "Costs fell."]]
    assert snippet(passage, word_marker("demand"), closest=closest["t1"]) == "Shoppers came back in spring."
    # a sentence sharing a word needs no embedding, and is taken over the closest one
    assert closest_sentences([("t1", passage)], word_marker("costs"), encode, np.ones(3, np.float32)) == {}
    assert snippet(passage, word_marker("costs"), closest=1) == "<mark>Costs</mark> fell."
    assert len(embedded) == 1


def test_a_company_the_query_names_is_preferred_not_required(sample):
    # the floor off: turns of other companies that hold only "revenue growth" are weak matches by words
    named = sample.search(SearchRequest("Danaher revenue growth", limit=100, min_score=0.0))
    assert named.weights["interpreted"]["tickers"] == ["DHR"]
    assert named.hits[0].ticker == "DHR"
    assert {h.ticker for h in named.hits} - {"DHR"}           # other companies still show below
    literal = sample.search(SearchRequest("Danaher revenue growth", limit=20, interpret=False))
    assert "interpreted" not in literal.weights
    # an explicit filter replaces the preference
    kc = sample.search(SearchRequest("Danaher revenue growth", tickers=("KC",)))
    assert "interpreted" not in kc.weights and all(h.ticker == "KC" for h in kc.hits)
    for mode in ("lexical", "semantic"):
        assert sample.search(SearchRequest("Danaher revenue growth", mode=mode)).hits[0].ticker == "DHR"


def test_a_quarter_the_query_names_is_preferred(sample):
    res = sample.search(SearchRequest("third quarter revenue growth", limit=5))
    assert res.weights["interpreted"]["quarter"] == 3
    literal = sample.search(SearchRequest("third quarter revenue growth", limit=5, interpret=False))
    # Q1 and Q4 turns that match the words well keep their place near the top (the engines' BM25 numerics
    # order them a little differently); the preference lifts third-quarter turns above them
    in_q3 = lambda r: sum(h.quarter == 3 for h in r.hits[:3])      # noqa: E731
    assert res.hits[0].quarter == 3 and in_q3(res) >= 2 and in_q3(res) >= in_q3(literal)
    explicit = sample.search(SearchRequest("third quarter revenue growth", quarters=(1,), limit=5))
    assert "interpreted" not in explicit.weights and {h.quarter for h in explicit.hits} == {1}
