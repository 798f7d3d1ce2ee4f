"""Property-based tests (Hypothesis): the query language and the request parameters refuse anything with a clear
error and nothing else, and what they accept is bounded (MAX_CHARS characters, MAX_CLAUSES words and phrases)."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from archive.errors import ArchiveError
from index.query import MAX_CHARS, MAX_CLAUSES, QuerySyntaxError, parse, plain
from web.params import search_request

QUERYISH = st.lists(st.sampled_from(list('abc XYZ$%.0189"-()*?:~^[]{}\\/&|!\'') + [" OR ", " AND ", " NOT "]),
                    max_size=120).map("".join)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.one_of(st.text(max_size=700), QUERYISH))
def test_parse_answers_or_refuses_clearly(text):
    try:
        p = parse(text)
    except QuerySyntaxError as e:
        assert e.message and e.hint
        if len(text) > MAX_CHARS:            # the length is checked first, before any other work on the text
            assert e.message.startswith("the query is too long"), e.message
    else:
        assert p.groups and all(c.text for g in p.groups for c in g)
        assert len(text) <= MAX_CHARS and len(p.excluded) + sum(map(len, p.groups)) <= MAX_CLAUSES


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(max_size=2000))
def test_plain_text_always_parses_when_it_has_a_word(text):
    q = plain(text)
    if any(ch.isalnum() for ch in q):
        parse(q)


KEYS = st.sampled_from(["q", "ticker", "company", "year", "years", "quarter", "speaker", "role", "section", "mode",
                        "limit", "page", "fusion", "lexical_weight", "interpret", "other"])
VALUES = st.one_of(st.text(max_size=30), st.integers(-10**12, 10**12).map(str), st.sampled_from(
    ["", "0", "-1", "1e9", "NaN", "2019-2021", "2021-2019", "Q3", "q5", "hybrid", "executive", "qa", "\udcff"]))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(st.lists(st.tuples(KEYS, VALUES), max_size=8))
def test_parameters_parse_or_refuse_clearly(pairs):
    try:
        q = search_request(MultiDict(pairs))
    except ArchiveError as e:
        assert e.status == 400 and e.message and e.hint_for("api")
    else:
        assert 1 <= q.limit <= 100 and 0 <= q.offset < 100
