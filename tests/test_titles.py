"""Speaker titles from the call's introductions (archive/titles.py): given only when one reading of the sentence
fits; participant lists win. Invented sentences, plus the bundled sample."""
from __future__ import annotations

import pytest

from archive.formats import read_transcript
from archive.models import ANALYST, EXECUTIVE, Participant
from archive.roles import DraftTurn, resolve
from archive.titles import as_title, intro_titles

from .conftest import SAMPLE

ROE, DOE, POE = "Jane Roe", "John Doe", "Max Poe"


@pytest.mark.parametrize("sentence, names, titles", [
    # name-first lists, lower-case and mixed-case titles
    ("Speaking today will be Jane Roe, chairman and CEO, John Doe, chief financial officer, and our two segment "
     "presidents, Max Poe of widgets and Kim Lee of gadgets.", [ROE, DOE, POE, "Kim Lee"],
     {ROE: "chairman and CEO", DOE: "chief financial officer"}),
    ("Joining us today are Jane Roe, President and Chief Executive Officer, John Doe, Executive Vice President and "
     "Chief Financial Officer, and Max Poe, Vice President of Finance.", [ROE, DOE, POE],
     {ROE: "President and Chief Executive Officer", DOE: "Executive Vice President and Chief Financial Officer",
      POE: "Vice President of Finance"}),
    ("I'm joined by Jane Roe, CFO, and John Doe, CEO.", [ROE, DOE], {ROE: "CFO", DOE: "CEO"}),
    ("With me are Jane Roe, our Chief Financial Officer; and John Doe, our Chief Operating Officer.", [ROE, DOE],
     {ROE: "Chief Financial Officer", DOE: "Chief Operating Officer"}),
    ("I would like to turn the call over to Ms. Jane Roe, senior vice president of investor relations.", [ROE],
     {ROE: "senior vice president of investor relations"}),
    # title-first lists
    ("With me are our CFO, Jane Roe, and our COO, John Doe.", [ROE, DOE], {ROE: "CFO", DOE: "COO"}),
    ("On the call today are CEO Jane Roe and CFO John Doe.", [ROE, DOE], {ROE: "CEO", DOE: "CFO"}),
    ("I'm joined today by Acme's chairman and chief executive officer, Jane Roe; and Chief Financial Officer "
     "John Doe.", [ROE, DOE], {ROE: "chairman and chief executive officer", DOE: "Chief Financial Officer"}),
    ("I will now turn the call over to our CEO Jane Roe.", [ROE], {ROE: "CEO"}),
    ("I would now like to turn the conference over to Acme President and Chief Executive Officer, Jane Roe.", [ROE],
     {ROE: "President and Chief Executive Officer"}),
    # a person who never speaks still parts the list
    ("Joining me are Max Poe, CEO, and Jane Roe, CFO.", [ROE], {ROE: "CFO"}),
    ("With me today are CEO Max Poe and CFO Jane Roe.", [ROE], {ROE: "CFO"}),
    # the speaker's label and the spoken name differ: a middle initial, a short first name
    ("Joining me are Mike Doe, our CFO, and Jane Roe, our General Counsel.", ["Michael P. Doe", ROE],
     {"Michael P. Doe": "CFO", ROE: "General Counsel"}),
    # ambiguous: either reading fits, so no title
    ("Jane Roe, CFO, John Doe.", [ROE, DOE], {}),
    ("With me today are our CEO, Jane Roe, chairman.", [ROE], {}),
    # mixed directions in one list: no reading fits
    ("We have Jane Roe, our president and CEO; our CFO, John Doe; and our treasurer, Max Poe.", [ROE, DOE, POE], {}),
    # not titles
    ("Thank you, Jane Roe, and good morning to our segment presidents.", [ROE], {}),
    ("Jane Roe, who will walk us through the results, is here.", [ROE], {}),
])
def test_intro_sentences(sentence, names, titles):
    assert intro_titles([sentence], names) == titles


def test_titles_that_disagree_across_sentences_give_none():
    texts = ["Joining me is Jane Roe, our CFO.", "Now over to our treasurer, Jane Roe."]
    assert intro_titles(texts, [ROE]) == {}
    agree = ["Joining me is Jane Roe, our CFO.", "Now over to our Executive Vice President and CFO, Jane Roe."]
    assert intro_titles(agree, [ROE]) == {ROE: "Executive Vice President and CFO"}


def test_as_title():
    assert as_title("our Chief Financial Officer") == "Chief Financial Officer"
    assert as_title("Acme's chief financial officer") == "chief financial officer"
    assert as_title("Vice President of Corporate Communications for Acme's") == \
        "Vice President of Corporate Communications"
    assert as_title("General Manager of our Springfield plant") == "General Manager"
    assert as_title("three segment presidents") is None
    assert as_title("who will walk us through") is None
    assert as_title("the Investor Relations section of our website") is None


def test_listed_title_wins_and_intro_fills_the_rest():
    turns = [
        DraftTurn("Operator", "Welcome to the Acme first quarter 2021 call. I will now turn the call over to Jane Roe, "
                              "Vice President of Investor Relations."),
        DraftTurn(ROE, "Thanks. With me are John Doe, Chief Executive Officer, and Max Poe, Chief Financial Officer."),
        DraftTurn(DOE, "Sales grew."),
        DraftTurn(POE, "Costs fell."),
    ]
    out, people = resolve(turns, [Participant(DOE, "Chairman and Chief Executive Officer", EXECUTIVE)],
                          sections_marked=False)
    titles = {t.speaker: t.title for t in out}
    assert titles == {"Operator": None, ROE: "Vice President of Investor Relations",
                      DOE: "Chairman and Chief Executive Officer", POE: "Chief Financial Officer"}
    assert {t.speaker: t.role for t in out}[POE] == EXECUTIVE


def test_host_handed_over_to_before_anyone_spoke_is_no_analyst():
    turns = [
        DraftTurn("Operator", "Welcome to the Acme call. I would now like to turn the conference over to Jane Roe with "
                              "Example Advisors. Please go ahead."),
        DraftTurn(ROE, "Thank you. With me is our CEO, John Doe."),
        DraftTurn(DOE, "Sales grew."),
        DraftTurn("Operator", "Our first question comes from Max Poe with Big Bank. Please go ahead."),
        DraftTurn(POE, "What about margins?"),
    ]
    out, _ = resolve(turns, [], sections_marked=False)
    roles = {t.speaker: (t.role, t.title) for t in out}
    assert roles[ROE] == (EXECUTIVE, None)
    assert roles[DOE] == (EXECUTIVE, "CEO")
    assert roles[POE] == (ANALYST, "Big Bank")


def test_no_titles_from_the_questions_and_answers():
    turns = [
        DraftTurn("Operator", "Welcome. Our first question comes from Max Poe with Big Bank."),
        DraftTurn(POE, "Hi. For John Doe, our favourite Chief Executive Officer: how is demand?"),
        DraftTurn(DOE, "Steady."),
    ]
    out, _ = resolve(turns, [], sections_marked=False)
    assert {t.speaker: t.title for t in out}[DOE] is None


def test_sample_travelers_titles():
    t = read_transcript(SAMPLE / "travelers-companies-inc-2020-q2.json")
    titles = {x.speaker: x.title for x in t.turns}
    assert titles["Dan Frey"] == "chief financial officer"
    assert titles["Alan Schnitzer"] == "chairman and CEO"
    assert titles["Abbe Goldstein"] == "senior vice president of investor relations"
    assert titles["Greg Toczydlowski"] is None           # 'of business insurance' names no role


def test_sample_earthstone_titles():
    t = read_transcript(SAMPLE / "earthstone-energy-inc-2020-q2.json")
    titles = {x.speaker: x.title for x in t.turns}
    assert titles["Mark Lumpkin"] == "Executive Vice President and Chief Financial Officer"
    assert titles["Robert Anderson"] == "President and Chief Executive Officer"
    assert titles["Scott Thelander"] == "Vice President of Finance"
