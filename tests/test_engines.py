"""What every lexical leg must do alike (index.engines.lexical_engine: Whoosh and tantivy; and Milvus,
index.milvus_index, run in Milvus Lite)."""
from __future__ import annotations

import pytest

from index import lexical as whoosh_engine, tantivy_lexical as tantivy_engine
from index.engines import lexical_engine
from index.filters import INTEGER, KEYWORD
from index.query import parse

from .conftest import SEARCH_ENGINES

FIELDS = {"ticker": KEYWORD, "year": INTEGER}
FILLER = ["Revenue grew in the quarter."] * 2 + ["Q3 was fine."] * 2 + ["A million units."] * 2 + \
    ["Thank you, operator."] * 20


def build(engine, folder, docs):
    docs = [{"ticker": "acme", "year": 2021, **d} for d in docs]
    if engine == "milvus":
        return milvus_collection(folder, docs, FIELDS)
    return lexical_engine(engine).build(folder, iter(docs), FIELDS)


class _Closing:
    """A Milvus collection in its own Milvus Lite file, released (file closed) by close()."""

    def __init__(self, ix, holder):
        self.ix, self.holder = ix, holder

    def __getattr__(self, name):
        return getattr(self.ix, name)

    def __len__(self):
        return len(self.ix)

    def close(self):
        from index.milvus_index import release
        release(self.holder)


def milvus_collection(folder, docs, fields):
    """docs written to a new Milvus Lite collection (vectors from the test encoder)."""
    from index.encoders import HashEncoder
    from index.milvus_index import MilvusIndex, connect
    holder = object()
    folder.mkdir(parents=True, exist_ok=True)
    client = connect(str(folder / "milvus.db"), holder=holder)
    ix = MilvusIndex.create(client, "t", fields, HashEncoder().dim, vector_index="flat", partition_key=False,
                            scalar_indexes=False)
    ix.write(docs, HashEncoder().encode([d["text"] for d in docs]))
    ix.finish()
    return _Closing(ix, holder)


@pytest.mark.parametrize("engine", SEARCH_ENGINES)
def test_a_figure_outweighs_the_common_words_around_it(engine, tmp_path, monkeypatch):
    docs = [{"id": "figure", "text": "Sales came in at $41.1 million for the period."},
            {"id": "words", "text": "Q3 revenue grew; Q3 revenue was up."}] + \
        [{"id": f"f{i}", "text": t} for i, t in enumerate(FILLER)]
    ix = build(engine, tmp_path / "on", docs)
    q = parse("q3 revenue $41.1 million")
    assert [d for d, _ in ix.search(q, None, 3)][0] == "figure"
    ix.close()
    from index import milvus_index
    for module in (whoosh_engine, tantivy_engine, milvus_index):
        monkeypatch.setattr(module, "FIGURE_BOOST", 1.0)
    ix = build(engine, tmp_path / "off", docs)
    assert [d for d, _ in ix.search(q, None, 3)][0] != "figure"     # what the boost is for
    ix.close()


@pytest.mark.parametrize("engine", SEARCH_ENGINES)
def test_marks_are_what_the_engine_matched(engine, tmp_path):
    ix = build(engine, tmp_path / "ix", [{"id": "a", "text": "Café margins rose; non-GAAP EPS was $0.83."}])
    text = "Café margins rose; non-GAAP EPS was $0.83."
    marked = {text[a:b].lower() for a, b in ix.marks(parse("margin $0.83 -eps"), text)}
    assert marked == {"margins", "$0.83"}
    assert ix.marks(parse("dividend"), text) == []
    ix.close()


CONTRACT = [
    {"id": "a", "text": "Gross margin rose to 41% on pricing.", "ticker": "acme", "year": 2020},
    {"id": "b", "text": "Margin was gross of fees, and fell.", "ticker": "acme", "year": 2021},
    {"id": "c", "text": "Gross profit margin held; COVID costs eased.", "ticker": "bolt", "year": 2021},
    {"id": "d", "text": "The margin outlook for 2022 is steady.", "ticker": "bolt", "year": 2022},
] + [{"id": f"f{i}", "text": t} for i, t in enumerate(FILLER)]


@pytest.mark.parametrize("engine", SEARCH_ENGINES)
def test_phrases_exclusions_and_filters_mean_the_same_in_every_engine(engine, tmp_path):
    ix = build(engine, tmp_path / "ix", CONTRACT)
    found = lambda q, f=None: [d for d, _ in ix.search(parse(q), f, 10)]      # noqa: E731
    assert found('"gross margin"') == ["a"]                   # a phrase is required, in its order
    assert set(found("margin")) == {"a", "b", "c", "d"}
    assert "c" not in found("margin -covid") and set(found("margin -covid")) == {"a", "b", "d"}
    assert "a" not in found('margin -"gross margin"')
    assert set(found("margin", {"ticker": ["bolt"]})) == {"c", "d"}
    assert set(found("margin", {"year": (2021, 2022)})) == {"b", "c", "d"}
    assert set(found("margin", {"ticker": "acme", "year": [2020]})) == {"a"}
    assert found("margin", {"ticker": 'o"brien\\'}) == []       # a hostile value is a value, not syntax
    assert found("41%") == ["a"]                               # a figure stays whole
    assert ix.doc_frequency(ix.terms_by_position("margins")[0][0]) == 4
    assert ix.word_share_outside("margin", "ticker", "bolt") == pytest.approx(2 / len(CONTRACT))
    ix.close()


def test_milvus_reads_text_as_tantivy_does(tmp_path):
    """The Milvus engine analyses with the tantivy engine's analyser (the terms Milvus's BM25 counts)."""
    pytest.importorskip("tantivy")
    from index.milvus_index import Analysis, holds_phrase
    ix = build("tantivy", tmp_path / "tv", CONTRACT[:1])
    text = "Non-GAAP EPS of $0.83 at AT&T’s stores, up 10% in Q3; the cost of revenue fell."
    a = Analysis()
    assert a.terms_by_position(text) == ix.terms_by_position(text)
    terms, vocab = a.indexed(text)
    assert set(vocab) == ix.terms(text)
    assert "$0.83" in vocab and "10%" in vocab and "at&t" in vocab
    split = terms.split(" ")
    assert holds_phrase(split, a.words("cost of revenue")) and not holds_phrase(split, a.words("revenue cost"))
    ix.close()


def test_the_engine_and_the_milvus_server_follow_the_live_index():
    from archive.config import Settings
    from archive.indexes import chosen_engine, following
    on_server = {"lexical_engine": "milvus", "milvus": {"uri": "http://milvus.internal:19530"}}
    in_lite = {"lexical_engine": "milvus", "milvus": {"uri": "/srv/archive/milvus.db"}}
    plain = Settings()
    assert chosen_engine(plain, on_server) == "milvus"                 # empty: keep the live index's engine
    assert chosen_engine(Settings(engine="local"), on_server) == "whoosh"
    assert chosen_engine(Settings(engine="local"), {"lexical_engine": "tantivy"}) == "tantivy"
    assert chosen_engine(Settings(engine="milvus"), {"lexical_engine": "tantivy"}) == "milvus"
    assert chosen_engine(Settings(lexical_engine="tantivy"), on_server) == "tantivy"
    assert chosen_engine(plain, None) == "whoosh"
    # a reader or a build without milvus_uri uses the server the live index is on, not a new Lite file
    assert following(plain, on_server).milvus_path == "http://milvus.internal:19530"
    assert following(plain, in_lite).milvus_path == plain.milvus_path
    assert following(Settings(milvus_uri="http://other:19530"), on_server).milvus_path == "http://other:19530"
    assert following(plain, {"lexical_engine": "tantivy"}) is plain
