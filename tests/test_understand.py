"""Reading what a query names besides its words: companies (from the archive's own calls) and a fiscal quarter."""
from __future__ import annotations

import pytest

from archive.understand import Directory, Interpretation, clean_name, quarter_named

CALLS = [
    ("APH-2020Q3", "APH", "Amphenol Corporation", 3),
    ("APH-2020Q4", "APH", "Amphenol", 4),
    ("SNV-2020Q2", "SNV", "Synovus Financial Corp.", 2),
    ("TGT-2020Q4", "TGT", "Target Corporation", 4),
    ("AWK-2021Q1", "AWK", "American Water Works", 1),
    ("AXP-2021Q1", "AXP", "American Express Company", 1),
    ("WAL-2021Q1", "WAL", "Earnings Call for Western Alliance Bancorp", 1),
    ("NOW-2021Q1", "NOW", None, 1),
    ("GE-2021Q1", "GE", "General Electric", 1),
    ("X-2021Q2", None, "No Ticker Inc", 2),
]
COMMON = {"target": 0.01, "american": 0.02}


@pytest.fixture(scope="module")
def directory():
    return Directory.build(CALLS, lambda w, ticker: COMMON.get(w.lower(), 0.0001))


@pytest.mark.parametrize("raw, name", [
    ("Amphenol Corporation", "Amphenol"), ("Synovus Financial Corp.", "Synovus Financial"),
    ("Earnings Call for Western Alliance Bancorp", "Western Alliance Bancorp"), ("Cigna's", "Cigna"),
    ("Southwestern Energy Call discussing its", "Southwestern Energy"), ("Quarterly", None), ("", None), (None, None),
    ("Brown & Brown, Inc", "Brown & Brown"),
])
def test_clean_name(raw, name):
    assert clean_name(raw) == name


@pytest.mark.parametrize("text, tickers", [
    ("which Amphenol end market captures electrified trucks", ("APH",)),
    ("amphenol's margins", ("APH",)),                          # any case, possessive
    ("Synovus chief's closing reflections", ("SNV",)),         # the first word of a longer name
    ("Synovus Financial credit quality", ("SNV",)),
    ("Western Alliance Bancorp deposits", ("WAL",)),
    ("Target holiday sales", ()),                              # a one-word name that is a common word
    ("American consumer spending", ()),                        # a word two names share
    ("American Express card spending", ("AXP",)),              # ... but the whole name is one company's
    ("GE jet engine orders and APH connectors", ("GE", "APH")),  # tickers in capitals
    ("IT spending and AI demand NOW", ()),                     # acronyms that are also tickers
    ("amphenol synovus target american express GE", ()),      # more than three: no preference
    ("the company mentioned nothing", ()),
])
def test_companies_named(directory, text, tickers):
    assert set(directory.interpret(text).tickers) == set(tickers)


@pytest.mark.parametrize("text, quarter", [
    ("q3 adjusted earnings per share $0.45", 3), ("Q1 2020 revenue", 1), ("$1.20 per share in 3q21", 3),
    ("fourth-quarter net earnings", 4), ("second quarter guidance", 2), ("2nd quarter", 2),
    ("q4 sales versus q3", None), ("quarterly dividend", None), ("sees fy 2021 revenue", None), ("Q5 plan", None),
])
def test_quarter_named(text, quarter):
    assert quarter_named(text) == quarter


def test_interpretation_shape(directory):
    meant = directory.interpret("Amphenol third quarter bookings")
    assert meant == Interpretation(("APH",), ("Amphenol",), 3) and bool(meant)
    assert meant.to_dict() == {"tickers": ["APH"], "names": ["Amphenol"], "quarter": 3}
    assert not directory.interpret("bookings")
    assert directory.call_ticker["APH-2020Q4"] == "APH" and directory.call_quarter["SNV-2020Q2"] == 2
