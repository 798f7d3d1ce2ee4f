"""The query language: what it accepts, and clear refusals for hostile input."""
from __future__ import annotations

import pytest

from index.query import MAX_CHARS, QuerySyntaxError, parse, plain


def test_words_phrases_exclusions_or():
    p = parse('"free cash flow" guidance -covid AWS OR Azure')
    assert [[c.text for c in g] for g in p.groups] == [["free cash flow"], ["guidance"], ["AWS", "Azure"]]
    assert p.groups[0][0].phrase and [c.text for c in p.excluded] == ["covid"]
    assert p.free_text == "free cash flow guidance AWS OR Azure"
    assert [c.text for g in parse("$0.83 EPS non-GAAP 10% Q3").groups for c in g] == \
        ["$0.83", "EPS", "non-GAAP", "10%", "Q3"]


@pytest.mark.parametrize("text, message", [
    ("", "the query is empty"),
    ("   ", "the query is empty"),
    ("*a*", "wildcards"),
    ("marg?n", "wildcards"),
    ("(" * 5000 + "a" + ")" * 5000, "the query is too long"),
    ("((((a))))", "parentheses are not supported"),
    ("NOT NOT x", "the operator NOT is not supported"),
    ("a AND b", "the operator AND is not supported"),
    ("ticker:AAPL margins", "field names are not supported"),
    ("text:foo", "field names are not supported"),
    ("[2019 TO 2021]", "ranges and brackets"),
    ("margin~2", "fuzzy and boost"),
    ('"unclosed phrase', "quotation mark is not closed"),
    ("OR margin", "OR must stand between"),
    ("margin OR", "OR must stand between"),
    ("-covid", "only excludes"),
    ("x" * 100_000, "the query is too long"),
    (" ".join(["w"] * 40), "more than 32 words"),
])
def test_hostile_input_gets_a_clear_error(text, message):
    with pytest.raises(QuerySyntaxError) as e:
        parse(text)
    assert message in e.value.message and e.value.hint
    if len(text) > MAX_CHARS:                 # refused by its length alone, whatever else is wrong with it
        assert e.value.message == f"the query is too long ({len(text)} characters, at most {MAX_CHARS})"


def test_control_characters_and_urls_are_plain_text():
    assert parse("gross\x00margin").words == ["gross", "margin"]
    assert parse("see https://example.com").words == ["see", "https://example.com"]


def test_plain_makes_any_text_a_query():
    for text in ["revenue (ex-FX) grew 5%*", "NOT NOT x", "ticker:AAPL", "x" * 10_000, '"a" OR (b)']:
        q = plain(text)
        assert len(q) <= MAX_CHARS
        parse(q)
