"""The tantivy lexical engine on its own: financial tokens survive analysis, phrases, exclusions, OR, filters,
every word counts, highlighting, generations (update copies, open writes nothing), threads."""
from __future__ import annotations

import hashlib
import threading

import pytest

from index.query import parse
from index.tantivy_lexical import TantivyIndex

from .test_lexical import DOCS, FIELDS       # the same passages the Whoosh engine is tested on
CONTEXT = {"a": "Jane Smith, Chief Financial Officer"}


def docs():
    for i, t, k, y in DOCS:
        doc = {"id": i, "text": t, "ticker": k, "year": y}
        if i in CONTEXT:
            doc["context"] = CONTEXT[i]
        yield doc


@pytest.fixture(scope="module")
def lex(tmp_path_factory):
    ix = TantivyIndex.build(tmp_path_factory.mktemp("tantivy") / "lexical", docs(), FIELDS)
    yield ix
    ix.close()


def ids(lex, q, **filters):
    return [d for d, _ in lex.search(parse(q), filters or None, 10)]


def files(folder):
    """Size and SHA-256 of every file in the folder, lock files included."""
    return {str(p.relative_to(folder)): (p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(folder.rglob("*")) if p.is_file()}


# ---- analysis ----------------------------------------------------------------------------------------------------

def test_financial_tokens_survive_analysis(lex):
    terms = [t for g in lex.terms_by_position("Adjusted EPS of $0.83, 10% non-GAAP Q3 AAPL 1,200 S&P 17.9.") for t in g]
    assert terms == ["adjust", "ep", "$0.83", "10%", "non", "gaap", "q3", "aapl", "1,200", "s&p", "17.9"]
    # a trailing comma or full stop is punctuation, not part of the number
    assert lex.terms_by_position("in 2019, 2020 and $1,200.50, 3.5%.") == [["2019"], ["2020"], ["$1,200.50"],
                                                                             ["3.5%"]]
    # hyphens split (at consecutive positions), names joined by & stay whole, possessives go (' and ’ alike)
    assert lex.tokens("non-GAAP 10-K AT&T") == [(0, "non"), (1, "gaap"), (2, "10"), (3, "k"), (4, "at&t")]
    assert lex.terms_by_position("the Company’s margin and Apple's") == [["compani"], ["margin"], ["appl"]]
    assert lex.terms_by_position("the and of") == []


def test_numbers_and_compounds_match_exactly(lex):
    assert ids(lex, "$0.83") == ["a"]
    assert ids(lex, "10%") == ["a"]
    assert ids(lex, "Q4") == ["b"]
    assert ids(lex, "non-GAAP") == ["a"]
    assert ids(lex, "non GAAP")[0] == "a"
    assert set(ids(lex, "GAAP")) == {"a", "c"}          # 'non-GAAP' is also found by its parts
    assert ids(lex, "AT&T") == ["e"] and ids(lex, "10-K") == ["e"] and ids(lex, "S&P") == ["e"]
    assert ids(lex, "the") == [] and ids(lex, "zzz") == []          # nothing analysable / nothing found


# ---- query language ----------------------------------------------------------------------------------------------

def test_phrases_are_required_and_ordered(lex):
    assert ids(lex, '"constant currency"') == ["c"]
    assert ids(lex, '"constant currency" growth') == ["c"]     # d has growth, not the phrase
    assert ids(lex, '"currency constant"') == []
    assert ids(lex, '"growth in currency"') == ["d"]           # a stopword keeps its place in the phrase
    assert ids(lex, '"constant currency" "net income"') == ["c"]
    assert ids(lex, '"constant currency" "basis"') == []


def test_exclusions_and_or(lex):
    assert ids(lex, "growth -azure") == ["d"]
    assert ids(lex, 'growth -"constant currency"') == ["d"]
    assert set(ids(lex, "azure OR filing")) == {"c", "e"}
    assert set(ids(lex, "azure OR filing -att")) == {"c", "e"}
    assert ids(lex, "azure OR filing -AT&T") == ["c"]


def test_every_word_counts(lex):
    """No word is pruned for being common: the passage with the common word and the rare one ranks first, and
    the passages with the common word alone still come."""
    assert ids(lex, "adjusted Q4") == ["b", "a"]
    assert ids(lex, "growth azure") == ["c", "d"]
    q = parse("adjusted eps growth azure")
    assert lex.search(q, prune=True) == lex.search(q, prune=False)


def test_fields(lex):
    assert ids(lex, "smith") == ["a"]                          # the context is searched ...
    assert lex.search(parse("smith"), fields=("text",)) == []  # ... unless only the text is asked for
    assert lex.search(parse('"chief financial officer"'), fields=("context",))[0][0] == "a"


def test_filters(lex):
    assert ids(lex, "growth", ticker="msft", year=(2020, 2020)) == ["c"]
    assert set(ids(lex, "eps", ticker=["ACME", "T"])) == {"a", "b"}
    assert ids(lex, "growth", ticker="NOPE") == []
    assert ids(lex, "growth", year=2019) == ["d"]
    assert set(ids(lex, "growth OR filing", year=[2019, 2018])) == {"d", "e"}
    assert set(ids(lex, "eps OR growth OR filing", year=(2020, 2021))) == {"a", "b", "c"}
    with pytest.raises(ValueError):
        lex.search(parse("growth"), {"nope": 1})


def test_a_filter_alone_never_matches_and_changes_no_score(lex):
    assert ids(lex, "azure", ticker="acme") == []
    assert ids(lex, "zzz", ticker="msft") == []
    assert ids(lex, '"constant currency"', ticker="acme") == []
    alone = dict(lex.search(parse("growth")))
    filtered = dict(lex.search(parse("growth"), {"ticker": "msft", "year": (2019, 2021)}))
    assert filtered == alone


def test_scores_are_best_first_and_limited(lex):
    hits = lex.search(parse("eps OR growth OR filing OR gaap"), limit=3)
    assert len(hits) == 3
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True) and all(s > 0 for _, s in hits)
    assert lex.search(parse("eps"), limit=0) == []


def test_word_share_outside(lex):
    assert lex.word_share_outside("growth", "ticker", "MSFT") == 0.0        # c, d are MSFT's
    assert lex.word_share_outside("growth", "ticker", "acme") == pytest.approx(2 / 5)
    assert lex.word_share_outside("Adjusted", "ticker", "t") == pytest.approx(2 / 5)
    assert lex.word_share_outside("non-GAAP", "ticker", "msft") == pytest.approx(1 / 5)
    assert lex.word_share_outside("the", "ticker", "acme") == 1.0           # a stopword
    assert lex.word_share_outside("zzz", "ticker", "acme") == 0.0


def test_len(lex):
    assert len(lex) == 5


# ---- highlighting ------------------------------------------------------------------------------------------------

def marked(lex, q, text):
    return [text[a:b] for a, b in lex.marks(parse(q), text)]


def test_marks_cover_the_matched_words(lex):
    text = "Adjusted EPS was $0.83, up 10% on non-GAAP basis."
    assert marked(lex, "eps $0.83 gaap", text) == ["EPS", "$0.83", "GAAP"]
    assert marked(lex, '"constant currency" growth -azure', "Azure constant currency growth") == \
        ["constant", "currency", "growth"]                    # an excluded word is not marked
    assert marked(lex, "growth OR filing", "the 10-K filing, growth") == ["filing", "growth"]
    assert lex.marks(parse("zzz"), text) == [] and lex.marks(parse("the"), text) == []
    assert lex.marks(parse("eps"), "") == []


def test_marks_are_character_spans(lex):
    """tantivy reports byte offsets into the UTF-8 text; marks turns them into character spans."""
    text = "Café’s “constant currency” growth — 10% — naïve EPS"
    spans = lex.marks(parse('eps "constant currency" 10%'), text)
    assert [text[a:b] for a, b in spans] == ["constant", "currency", "10%", "EPS"]
    assert spans[-1] == (len(text) - 3, len(text))


def test_marks_see_the_whole_text(lex):
    text = "word " * 100 + "EPS at the end"                   # past tantivy's 150-character fragment
    assert marked(lex, "eps", text) == ["EPS"]
    # tantivy cuts fragments by bytes: 200 two-byte characters between the words must not hide the second
    text = "EPS " + "é" * 200 + " growth"
    assert marked(lex, "eps growth", text) == ["EPS", "growth"]


def test_marks_words_the_index_knows(lex):
    assert marked(lex, "non-GAAP", "non-GAAP EPS") == ["non", "GAAP"]     # a compound's parts
    assert marked(lex, "kiwi eps", "kiwi EPS") == ["EPS"]      # SnippetGenerator skips terms no passage holds


# ---- generations -------------------------------------------------------------------------------------------------

def test_build_reports_progress_and_fails_cleanly(tmp_path):
    seen = []
    many = ({"id": str(i), "text": f"passage {i}"} for i in range(2500))
    ix = TantivyIndex.build(tmp_path / "p", many, {}, progress=seen.append)
    assert seen == [1000, 2000] and len(ix) == 2500

    def broken():
        yield {"id": "x", "text": "one"}
        raise RuntimeError("source failed")
    with pytest.raises(RuntimeError, match="source failed"):
        TantivyIndex.build(tmp_path / "q", broken(), {})


def test_open_writes_nothing(tmp_path):
    folder = tmp_path / "lexical"
    TantivyIndex.build(folder, docs(), FIELDS).close()
    before = files(folder)
    names = set(before)
    assert "meta.json" in names
    assert {n for n in names if n.lower().endswith("lock")} == {".tantivy-meta.lock", ".tantivy-writer.lock"}
    assert all(before[n][0] == 0 for n in names if n.endswith(".lock"))
    ix = TantivyIndex.open(folder, FIELDS)
    assert ids(ix, "growth -azure") == ["d"] and len(ix) == 5
    assert ix.marks(parse("eps"), "EPS rose") == [(0, 3)]
    ix.close()
    assert files(folder) == before


def test_update_copies_and_leaves_the_source_intact(tmp_path, lex):
    source = tmp_path / "gen-1"
    TantivyIndex.build(source, docs(), FIELDS).close()
    before = files(source)
    added = [{"id": "f", "text": "Azure growth accelerated.", "ticker": "MSFT", "year": 2022},
             {"id": "g", "text": "Guidance for non-GAAP EPS.", "ticker": "ACME", "year": 2022}]
    copy = TantivyIndex.update(source, tmp_path / "gen-2", "ticker", ["msft", "T"], added, FIELDS)
    assert len(copy) == 4
    assert ids(copy, "growth") == ["f"]
    assert ids(copy, "filing") == []
    assert set(ids(copy, "non-GAAP")) == {"a", "g"}
    assert set(ids(copy, "eps", year=(2022, 2022))) == {"g"}
    copy.close()
    # the source's files are byte-identical, and it still answers as before
    assert files(source) == before
    old = TantivyIndex.open(source, FIELDS)
    assert len(old) == 5
    for q in ("growth", "filing", "non-GAAP", '"constant currency"'):
        assert old.search(parse(q)) == lex.search(parse(q))
    old.close()
    # and the copy opens as it was committed
    again = TantivyIndex.open(tmp_path / "gen-2", FIELDS)
    assert ids(again, "growth") == ["f"] and len(again) == 4
    again.close()


# ---- threads -----------------------------------------------------------------------------------------------------

def test_threads_share_one_searcher(lex):
    queries = ["eps", "growth currency", '"constant currency"', "azure OR filing", "non-GAAP -azure"]
    expected = {q: lex.search(parse(q)) for q in queries}
    text = "Café’s EPS and constant currency growth"
    expected_marks = {q: lex.marks(parse(q), text) for q in queries}
    got, errors = [], []

    def work(q):
        try:
            for _ in range(5):
                got.append((q, lex.search(parse(q)), lex.marks(parse(q), text)))
        except Exception as e:       # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=work, args=(queries[i % len(queries)],)) for i in range(12)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors and len(got) == 60
    assert all(res == expected[q] and m == expected_marks[q] for q, res, m in got)
