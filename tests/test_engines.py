"""What both lexical engines must do alike (index.engines.lexical_engine: Whoosh and tantivy)."""
from __future__ import annotations

import pytest

from index import lexical as whoosh_engine, tantivy_lexical as tantivy_engine
from index.engines import lexical_engine
from index.filters import INTEGER, KEYWORD
from index.query import parse

from .conftest import ENGINES

FIELDS = {"ticker": KEYWORD, "year": INTEGER}
FILLER = ["Revenue grew in the quarter."] * 2 + ["Q3 was fine."] * 2 + ["A million units."] * 2 + \
    ["Thank you, operator."] * 20


def build(engine, folder, docs):
    return lexical_engine(engine).build(folder, ({"ticker": "acme", "year": 2021, **d} for d in docs), FIELDS)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_figure_outweighs_the_common_words_around_it(engine, tmp_path, monkeypatch):
    docs = [{"id": "figure", "text": "Sales came in at $41.1 million for the period."},
            {"id": "words", "text": "Q3 revenue grew; Q3 revenue was up."}] + \
        [{"id": f"f{i}", "text": t} for i, t in enumerate(FILLER)]
    ix = build(engine, tmp_path / "on", docs)
    q = parse("q3 revenue $41.1 million")
    assert [d for d, _ in ix.search(q, None, 3)][0] == "figure"
    ix.close()
    for module in (whoosh_engine, tantivy_engine):
        monkeypatch.setattr(module, "FIGURE_BOOST", 1.0)
    ix = build(engine, tmp_path / "off", docs)
    assert [d for d, _ in ix.search(q, None, 3)][0] != "figure"     # what the boost is for
    ix.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_marks_are_what_the_engine_matched(engine, tmp_path):
    ix = build(engine, tmp_path / "ix", [{"id": "a", "text": "Café margins rose; non-GAAP EPS was $0.83."}])
    text = "Café margins rose; non-GAAP EPS was $0.83."
    marked = {text[a:b].lower() for a, b in ix.marks(parse("margin $0.83 -eps"), text)}
    assert marked == {"margins", "$0.83"}
    assert ix.marks(parse("dividend"), text) == []
    ix.close()
