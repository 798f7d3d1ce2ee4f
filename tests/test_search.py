"""Search over the bundled sample with the small test encoder: filters in each leg, hit shape, fusion, paging,
and clear errors. (tests/test_search_model.py runs the real model end to end.)"""
from __future__ import annotations

import pytest

from archive.config import Settings
from archive.errors import BadRequestError
from archive.search import SearchQuery
from archive.service import Archive

from .conftest import SAMPLE


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    a = Archive.open(Settings(home=tmp_path_factory.mktemp("search"), encoder="hash"))
    assert a.ingest([SAMPLE]).ok
    a.reindex()
    yield a
    a.close()


@pytest.mark.parametrize("mode", ["lexical", "semantic", "hybrid"])
def test_filters_hold_in_every_leg(sample, mode):
    cases = [
        (dict(tickers=("KC",)), lambda h: h.ticker == "KC"),
        (dict(tickers=("KC", "YETI")), lambda h: h.ticker in ("KC", "YETI")),
        (dict(years=(2020, 2020), quarter=3), lambda h: h.year == 2020 and h.quarter == 3),
        (dict(role="analyst"), lambda h: h.role == "analyst"),
        (dict(section="prepared"), lambda h: h.section == "prepared"),
        (dict(speaker="haijian he"), lambda h: h.speaker == "Haijian He"),
        (dict(company="Danaher Corp"), lambda h: h.company == "Danaher Corp"),
    ]
    for filters, ok in cases:
        res = sample.search(SearchQuery("revenue growth margin", mode=mode, limit=20, **filters))
        assert res.hits, (mode, filters)
        assert all(ok(h) for h in res.hits), (mode, filters)
    none = sample.search(SearchQuery("revenue", mode=mode, years=(2010, 2011)))
    assert none.hits == [] and none.total == 0


def test_one_ticker_filter_keeps_vector_recall(sample):
    """With a selective filter the vector leg searches the matching rows exactly: it returns every KC turn that
    an unfiltered exhaustive search would rank, not a thinned-out subset."""
    res = sample.search(SearchQuery("cloud", mode="semantic", tickers=("KC",), limit=100))
    kc_turns = len(sample.get_call("KC-2020Q1")["turns"])
    assert res.total == kc_turns


def test_hit_shape(sample):
    res = sample.search(SearchQuery("enterprise cloud revenue", tickers=("KC",)))
    h = res.hits[0]
    d = h.to_dict()
    for key in ("turn_id", "call_id", "company", "ticker", "year", "quarter", "date", "speaker", "role", "section",
                "position", "source_file", "passage", "snippet", "score", "lexical_rank", "lexical_score",
                "semantic_rank", "semantic_score", "chunk_id", "text"):
        assert key in d
    assert h.turn_id.startswith("KC-2020Q1:t") and h.chunk_id.startswith(h.turn_id + ":c")
    assert h.source_file == "kingsoft-cloud-2020-q1.txt"
    assert "<mark>" in h.snippet and h.passage in h.text
    assert len({x.turn_id for x in res.hits}) == len(res.hits)          # one hit per turn
    assert [x.rank for x in res.hits] == list(range(1, len(res.hits) + 1))


def test_snippets_are_escaped():
    from archive.search import snippet
    from index.lexical import stem_word
    s = snippet('Margins <script>alert("x")</script> & \'quotes\' rose.', {stem_word("margin")}, stem_word)
    assert "<script>" not in s and "&lt;script&gt;" in s and "&quot;" in s and "&#x27;" in s
    assert "<mark>Margins</mark>" in s


def test_pages_come_from_one_fixed_window(sample):
    q = dict(text="revenue growth guidance", limit=5)
    whole = [h.turn_id for h in sample.search(SearchQuery(**{**q, "limit": 20})).hits]
    paged = [h.turn_id for off in (0, 5, 10, 15) for h in sample.search(SearchQuery(**q, offset=off)).hits]
    assert paged == whole


def test_weighted_fusion_and_shape(sample):
    def weight(text):
        return sample.search(SearchQuery(text, fusion="weighted")).weights["lexical"]
    assert weight("$0.83 EPS") == 0.9 and weight('"constant currency" growth in the cloud business') == 0.9
    assert weight("Watchman FLX") == 0.8
    assert weight("sees 2021 adjusted earnings per share guidance") == 0.6
    assert weight("why did the company expect demand to recover later this year") == 0.3
    assert sample.search(SearchQuery("margin", fusion="rrf")).weights == {"fusion": "rrf", "k": 60}
    res = sample.search(SearchQuery("margin", fusion="weighted", lexical_weight=1.0))
    assert all(h.lexical_rank for h in res.hits)


def test_phrases_and_exclusions(sample):
    res = sample.search(SearchQuery('"enterprise cloud"', mode="lexical", limit=50))
    assert res.hits and all("enterprise cloud" in h.text.lower() for h in res.hits)
    res = sample.search(SearchQuery("cloud -enterprise", mode="lexical", limit=50))
    assert res.hits and all("enterprise" not in h.passage.lower() for h in res.hits)


@pytest.mark.parametrize("bad, message", [
    (dict(text="*"), "wildcards"),
    (dict(text="margin", limit=0), "limit 0 is out of range"),
    (dict(text="margin", limit=1000), "limit 1000 is out of range"),
    (dict(text="margin", offset=500), "offset 500 is out of range"),
    (dict(text="margin", mode="fuzzy"), "mode 'fuzzy'"),
    (dict(text="margin", role="ceo"), "role 'ceo'"),
    (dict(text="margin", quarter=5), "quarter 5 is not 1-4"),
    (dict(text="margin", years=(2021, 2019)), "year range 2021-2019"),
    (dict(text="margin", tickers=("A;DROP",)), "is not a ticker"),
])
def test_bad_parameters(sample, bad, message):
    with pytest.raises(BadRequestError) as e:
        sample.search(SearchQuery(**bad))
    assert message in e.value.message and e.value.hint


def test_snippet_for_a_hit_found_by_meaning_takes_the_closest_sentence():
    from archive.search import snippet
    from index.lexical import stem_word
    passage = "We opened stores. Shoppers came back in spring. Costs fell."
    picked = []

    def closest(sentences):
        picked.append(sentences)
        return 1
    assert snippet(passage, {"demand"}, stem_word, closest=closest) == "Shoppers came back in spring."
    assert picked == [["We opened stores.", "Shoppers came back in spring.", "Costs fell."]]
    assert snippet(passage, {stem_word("costs")}, stem_word, closest=closest) == "<mark>Costs</mark> fell."
    assert len(picked) == 1              # a sentence sharing a word needs no embedding


def test_a_company_the_query_names_is_preferred_not_required(sample):
    named = sample.search(SearchQuery("Danaher revenue growth", limit=100))
    assert named.weights["interpreted"]["tickers"] == ["DHR"]
    assert named.hits[0].ticker == "DHR"
    assert {h.ticker for h in named.hits} - {"DHR"}           # other companies still show below
    literal = sample.search(SearchQuery("Danaher revenue growth", limit=20, interpret=False))
    assert "interpreted" not in literal.weights
    # an explicit filter replaces the preference
    kc = sample.search(SearchQuery("Danaher revenue growth", tickers=("KC",)))
    assert "interpreted" not in kc.weights and all(h.ticker == "KC" for h in kc.hits)
    for mode in ("lexical", "semantic"):
        assert sample.search(SearchQuery("Danaher revenue growth", mode=mode)).hits[0].ticker == "DHR"


def test_a_quarter_the_query_names_is_preferred(sample):
    res = sample.search(SearchQuery("third quarter revenue growth", limit=5))
    assert res.weights["interpreted"]["quarter"] == 3
    assert [h.quarter for h in res.hits[:3]] == [3, 3, 3]
    explicit = sample.search(SearchQuery("third quarter revenue growth", quarter=1, limit=5))
    assert "interpreted" not in explicit.weights and {h.quarter for h in explicit.hits} == {1}
