"""Layout-free helpers: metadata found in text, and roles from titles, lists and the operator's introductions."""
from __future__ import annotations

import pytest

from archive.formats.meta import company_from_welcome, exchange_in, exchange_ticker, iso_date, period_in
from archive.models import ANALYST, EXECUTIVE, OPERATOR, PREPARED, QA, UNKNOWN, Participant
from archive.roles import DraftTurn, resolve, role_of_title


@pytest.mark.parametrize("text, period", [
    ("EARNINGS CALL TRANSCRIPT 2020 - Q1", (2020, 1)),
    ("Acme (NYSE:ACM) Q3 2018 Earnings Call", (2018, 3)),
    ("for the third quarter Fiscal 2020", (2020, 3)),
    ("our second quarter, 2020 results", (2020, 2)),
    ("Ghana 2019 Annual Results Call", (2019, 4)),
    ("the nine months of 2021", (2021, 3)),
    ("results for the first half of 2021", (2021, 2)),
    ("no period here at all", (None, None)),
])
def test_period_in(text, period):
    assert period_in(text) == period


def test_dates_exchanges_companies():
    assert iso_date("Call February  4, 2019  4:30 PM ET") == "2019-02-04"
    assert iso_date("sometime soon") is None
    assert exchange_ticker("Alphabet Inc. Cl C (NASDAQ:GOOG) Q4 2018") == ("NASDAQ", "GOOG")
    assert exchange_in("Technology - Software - Application - NASDAQ - CN") == "NASDAQ"
    assert company_from_welcome("and welcome to the Kingsoft Cloud’s First Quarter 2020 Earnings Call") == "Kingsoft Cloud"
    assert company_from_welcome("welcome to the Prysmian Group, nine month 2021 results") == "Prysmian Group"
    assert company_from_welcome("welcome to the Third Quarter 2021 call") is None


def test_role_of_title():
    assert role_of_title("Chief Financial Officer") == EXECUTIVE
    assert role_of_title("Vice President, Investor Relations") == EXECUTIVE
    assert role_of_title("Crédit Suisse AG, Research Division - Director") == ANALYST
    assert role_of_title("Stifel") == ANALYST                 # a known broker
    assert role_of_title("Acme Widgets") == UNKNOWN
    assert role_of_title("Goldman Sachs") == ANALYST
    assert role_of_title(None) == UNKNOWN


def test_resolve_from_introductions_and_fallbacks():
    turns = [
        DraftTurn("Operator", "Welcome to the Acme first quarter 2021 call. I will hand over to Jane Roe."),
        DraftTurn("Jane Roe", "Thanks. With me is our Chief Financial Officer, Max Moe. Results were good."),
        DraftTurn("Max Moe", "Revenue grew."),
        DraftTurn("Operator", "We will now begin the question-and-answer session. Our first question comes from "
                              "Sam Poe with Big Bank. Please go ahead."),
        DraftTurn("Sam Poe", "What about margins?"),
        DraftTurn("Max Moe", "They rose."),
        DraftTurn("Operator", "Next question."),
        DraftTurn("Kim Lee", "Hi, a question on costs."),
        DraftTurn("Jeff Hammond", "One more on pricing."),
    ]
    people = [Participant("Jeffrey Hammond", "KeyBanc", ANALYST)]
    out, participants = resolve(turns, people, sections_marked=False)
    assert [(t.role, t.section) for t in out] == [
        (OPERATOR, PREPARED), (EXECUTIVE, PREPARED), (EXECUTIVE, PREPARED), (OPERATOR, QA), (ANALYST, QA),
        (EXECUTIVE, QA), (OPERATOR, QA), (ANALYST, QA), (ANALYST, QA)]
    assert out[2].title == "Chief Financial Officer"        # from Jane's introduction
    assert out[4].title == "Big Bank"                       # from the operator's introduction
    assert out[8].title == "KeyBanc"                        # 'Jeff' is the listed 'Jeffrey'
    people = {p.name: (p.title, p.role) for p in participants}
    assert {name: people.get(name) for name in ("Jeffrey Hammond", "Jane Roe", "Max Moe", "Sam Poe", "Kim Lee")} == {
        "Jeffrey Hammond": ("KeyBanc", ANALYST), "Jane Roe": (None, EXECUTIVE),
        "Max Moe": ("Chief Financial Officer", EXECUTIVE), "Sam Poe": ("Big Bank", ANALYST), "Kim Lee": (None, ANALYST)}


@pytest.mark.parametrize("text, company", [
    ("Thank you for standing by and welcome PG&E Corporation Third Quarter 2021 Earnings Call.", "PG&E Corporation"),
    ("Thank you for joining us today for Sun Communities Third Quarter 2021 Earnings Conference Call.",
     "Sun Communities"),
    ("Welcome to the fourth quarter and full year 2021 financial results conference call and webcast for Zoetis. "
     "Hosting the call today is Steve Frank", "Zoetis"),
    ("I would like to welcome everyone to the Q3 21 PulteGroup Inc Earnings Conference Call.", "PulteGroup Inc"),
    ("Welcome to the Q1 2021 Callaway Golf earnings conference call.", "Callaway Golf"),
    ("Good day, and welcome to the First Horizon National Corp Third Quarter 2020 Earnings Conference Call.",
     "First Horizon National Corp"),
    ("Good day and welcome to the first-quarter 2021 ONEOK earnings call.", "ONEOK"),
    ("Good day and welcome to today's Colgate-Palmolive Company Third Quarter 2021 Earnings Conference Call.",
     "Colgate-Palmolive Company"),
    ("thank you for standing by, and welcome to Cullen/Frost's Q3 Earnings Results.", "Cullen/Frost"),
    ("thank you for joining us today for Select Medical Holdings Corporation's earnings conference call",
     "Select Medical Holdings Corporation"),
    ("thank you for joining us to discuss Equity LifeStyle Properties Second Quarter 2020 Results.",
     "Equity LifeStyle Properties"),
    ("Welcome to the 3M fourth quarter earnings conference call.", "3M"),
    ("welcome to the Third Quarter Cabot Earnings Conference Call.", "Cabot"),
    ("Welcome to the Third Quarter Results Teleconference for Travelers. [Operator Instructions]", "Travelers"),
    ("Hello and welcome to the third quarter earnings conference call for Amphenol Corporation. [Operator "
     "Instructions]", "Amphenol Corporation"),
    ("Ladies and gentlemen, thank you for standing by for Cigna's fourth quarter 2021 results review.", "Cigna"),
    ("welcome everyone to the Fourth Quarter 2019 Discover Financial Services Earnings Conference Call.",
     "Discover Financial Services"),
    ("Welcome to the Southwestern Energy Call discussing its Third Quarter 2021 results.", "Southwestern Energy"),
    ("Welcome to the First Quarter 2021 Earnings Call. My name is Sylvia and I'll be your operator for today's call.",
     None),
    ("Welcome to the Third Quarter 2021 call", None),
])
def test_company_from_the_operators_welcome(text, company):
    assert company_from_welcome(text) == company
