"""Motley Fool JSON (json-turns family): turn positions follow the evaluation's turn_index rule exactly."""
from __future__ import annotations

import importlib.util
import re

import pytest

from archive.formats import read_transcript
from archive.models import ANALYST, EXECUTIVE, OPERATOR, PREPARED, QA

from .conftest import ROOT, corpus_dir

SCORE_PY = ROOT.parent / "shared" / "eval" / "score.py"
FURNITURE = re.compile(r"^More \S+ analysis All earnings call transcripts$")
pytestmark = pytest.mark.corpus


def norm(s):
    return re.sub(r"\s+", " ", s or "").strip()


@pytest.fixture(scope="module")
def score():
    if not SCORE_PY.is_file():
        pytest.skip("../shared/eval/score.py not available")
    spec = importlib.util.spec_from_file_location("score", SCORE_PY)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def corpus():
    folder = corpus_dir("motley-fool")
    return folder, [(f, read_transcript(f)) for f in sorted(folder.glob("*.txt"))]


def test_every_call_follows_the_turn_index_rule(score, corpus):
    folder, calls = corpus
    assert len(calls) == 1380
    furniture_dropped = 0
    for f, t in calls:
        rule = score.turns_of(f)
        # The rule counts one trailing page-furniture turn ("More X analysis / All earnings call transcripts")
        # in the 15 files whose Q&A was folded into the prepared remarks; it is page furniture, not a turn.
        if rule and FURNITURE.match(norm(rule[-1]["speech"])):
            rule = rule[:-1]
            furniture_dropped += 1
        assert len(t.turns) == len(rule), f.name
        for turn, ref in zip(t.turns, rule):
            assert norm(turn.text) == norm(ref["speech"]), (f.name, turn.position)
            assert turn.speaker == ref["speaker"].strip()
        assert t.ticker and t.year and t.quarter, f.name
        assert t.call_id == f"{t.ticker}-{t.year}Q{t.quarter}"
    assert furniture_dropped == 15


def test_sections_and_roles_across_the_corpus(corpus):
    no_qa = 0
    for f, t in corpus[1]:
        sections = {x.section for x in t.turns}
        if QA not in sections:
            no_qa += 1
        assert PREPARED in sections, f.name
        roles = {x.role for x in t.turns}
        assert OPERATOR in roles or EXECUTIVE in roles, f.name
        for x in t.turns:
            if x.speaker == "Operator":
                assert x.role == OPERATOR
    assert no_qa <= 7   # the README: 7 files have no recoverable Q&A


def test_golden_aan_q1_2021():
    t = read_transcript(corpus_dir("motley-fool") / "AAN_q1_2021.txt")
    assert (t.ticker, t.year, t.quarter, t.call_id) == ("AAN", 2021, 1, "AAN-2021Q1")
    assert len(t.turns) == 74
    first = t.turns[0]
    assert (first.speaker, first.role, first.section) == ("Operator", OPERATOR, PREPARED)
    assert t.turns[1].speaker == "Michael P. Dickerson" and t.turns[1].role == EXECUTIVE
    assert t.turns[1].title.startswith("Vice President")
    assert t.turns[4].section == QA and t.turns[4].role == OPERATOR
    analyst = t.turns[5]
    assert (analyst.speaker, analyst.role, analyst.title) == ("Anthony Chukumba", ANALYST, "Loop Capital Markets LLC")
    assert analyst.text.startswith("Good morning, thanks")
    assert t.turns[6].speaker == "C. Kelly Wall" and t.turns[6].title == "Chief Financial Officer"
    # paragraphs are kept
    assert "\n\n" in t.turns[1].text


def test_folded_qa_is_split_and_participant_names_are_not_turns():
    t = read_transcript(corpus_dir("motley-fool") / "AXL_q2_2021.txt")
    labels = [x.speaker for x in t.turns]
    assert "Questions and Answers:" not in labels and "Call participants:" not in labels
    assert t.turns[4].speaker == "David Lim" and t.turns[4].section == PREPARED
    assert t.turns[5].section == QA and t.turns[5].role == OPERATOR
    assert t.turns[-1].text != "More AXL analysis"
    assert not any("All earnings call transcripts" in x.text for x in t.turns)
