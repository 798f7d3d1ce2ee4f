"""One canonical company name per ticker (archive/companies.py, Store.companies) and the cleaning of names read
from operators' welcomes (formats/meta.py). Invented calls in the bundled sample's JSON layout."""
from __future__ import annotations

import json

import pytest

from archive.companies import FILE, GIVEN, WELCOME, canonical, tickers_named
from archive.config import Settings
from archive.formats.meta import clean_company, company_from_welcome
from archive.request import SearchRequest
from archive.service import Archive


@pytest.mark.parametrize("text, company", [
    ("Welcome to the Acme.com Quarter 2 2015 Financial Results Teleconference.", "Acme.com"),
    ("Welcome to the FY15 Acme Widgets Corporation fourth quarter earnings call.", "Acme Widgets Corporation"),
    ("Welcome to the Acme Widgets Corporation Quarter Four earnings call.", "Acme Widgets Corporation"),
    ("Welcome to the Acme Widgets 2021 results call.", "Acme Widgets"),
    ("Welcome to the Quarter 1 2015 earnings call.", None),
    ("Welcome to the Fiscal Year 2015 earnings call.", None),
    ("Thank you for joining the Acme Widgets financial results call.", None),
    ("Welcome to the Acme Widgets hosted earnings call.", "Acme Widgets"),
])
def test_welcome_names_lose_period_words(text, company):
    assert company_from_welcome(text) == company


def test_a_possessive_inside_a_name_goes_only_when_the_call_says_the_bare_name():
    speech = "Good day and welcome to the Zentro's Corporation first quarter earnings call."
    assert company_from_welcome(speech, context="Zentro grew revenue in every region.") == "Zentro Corporation"
    # a brand that is a possessive ('Mabel's Corporation'), whose bare name the call never says, keeps it
    brand = "Good day and welcome to the Mabel's Corporation first quarter earnings call."
    assert company_from_welcome(brand, context="Mabel's grew revenue.") == "Mabel's Corporation"


def test_clean_company():
    assert clean_company("Acme.com Quarter 2") == "Acme.com"
    assert clean_company("FY15 Acme Corporation") == "Acme Corporation"
    assert clean_company("Quarter 1") is None
    assert clean_company("Q3 2021") is None
    assert clean_company("Holdings") is None
    assert clean_company("Big 5 Sporting Goods") == "Big 5 Sporting Goods"
    assert clean_company("Lands' End Inc") == "Lands' End Inc"
    assert clean_company("Acme Plc") == "Acme Plc"


def test_canonical_rule():
    rows = [("ACME", "Acme Widgets", WELCOME, 3), ("ACME", "Acme Widgets Corporation", WELCOME, 1),
            ("ACME", "ACME Widgets", WELCOME, 1), ("ACME", "Quarter 2", WELCOME, 2), ("ACME", "acme", None, 1),
            ("ACME", None, None, 1)]
    [c] = canonical(rows)
    assert (c.ticker, c.name, c.calls) == ("ACME", "Acme Widgets", 9)          # the most common form
    assert c.aliases == ("ACME Widgets", "Acme Widgets Corporation")           # 'Quarter 2', 'acme': no names
    # a name the file or the user gives beats any number of welcome-derived ones
    [c] = canonical([("ACME", "Acme Widgets", WELCOME, 5), ("ACME", "Acme Widgets Holdings", FILE, 1)])
    assert c.name == "Acme Widgets Holdings"
    [c] = canonical([("ACME", "Acme Widgets Holdings", FILE, 4), ("ACME", "ACME Widgets", GIVEN, 1)])
    assert c.name == "ACME Widgets"
    # ties: a legal form, then the longest, then the alphabet
    assert canonical([("AV", "Avista", WELCOME, 1), ("AV", "Avista Corp", WELCOME, 1),
                      ("AV", "Avista Corporation", WELCOME, 1)])[0].name == "Avista Corporation"
    # spellings of one form: the most common spelling writes it, the form counts all its calls
    [c] = canonical([("AAT", "Amber Assets Trust, Inc", WELCOME, 2), ("AAT", "Amber Assets Trust Inc", WELCOME, 1),
                     ("AAT", "Amber Assets", WELCOME, 2)])
    assert c.name == "Amber Assets Trust, Inc" and "Amber Assets Trust Inc" in c.aliases
    # calls without a ticker are each their own company; a ticker without a clean name has none
    out = canonical([(None, "Solo Co", None, 1), ("ZZ", "Quarter 1", WELCOME, 1)])
    assert [(c.ticker, c.name) for c in out] == [(None, "Solo Co"), ("ZZ", None)]


def test_tickers_named():
    companies = canonical([("ACME", "Acme Widgets", WELCOME, 2), ("ACME", "Acme Widgets Corp.", WELCOME, 1),
                           ("BOLT", "Bolt Motors", FILE, 1), (None, "Solo Co", None, 1)])
    assert tickers_named(companies, "ACME WIDGETS CORP") == ("ACME",)        # an alias, any case and punctuation
    assert tickers_named(companies, "acme widgets") == ("ACME",)
    assert tickers_named(companies, "Bolt") == ()
    assert tickers_named(companies, "Solo Co") == ()


def _call(tmp_path, name, quarter, welcome, company=None):
    body = {"ticker": "ACME", "fiscal_year": 2021, "fiscal_quarter": quarter, "turns": [
        {"speaker": "Operator", "speech": welcome + " I will now turn the call over to Jane Roe, CFO.",
         "role": "operator"},
        {"speaker": "Jane Roe", "speech": f"Thank you. Widget sales grew in quarter {quarter}."},
        {"speaker": "Operator", "speech": "Our first question comes from Max Poe with Big Bank."},
        {"speaker": "Max Poe", "speech": "How did gadgets do?"},
        {"speaker": "Jane Roe", "speech": "Gadgets were flat."}]}
    if company:
        body["company"] = company
    path = tmp_path / name
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


@pytest.fixture
def acme(tmp_path):
    files = tmp_path / "calls"
    files.mkdir()
    _call(files, "q1.json", 1, "Welcome to the Acme Widgets Quarter 1 2021 earnings call.")
    _call(files, "q2.json", 2, "Welcome to the FY21 Acme Widgets second quarter earnings call.")
    _call(files, "q3.json", 3, "Welcome to the Acme Widgets Corporation third quarter earnings call.")
    _call(files, "q4.json", 4, "Welcome to the Acme Widgets's fourth quarter earnings call.")
    _call(files, "other.json", 1, "Welcome to the Bolt Motors first quarter 2021 call.").write_text(
        json.dumps({**json.loads((files / "other.json").read_text()), "ticker": "BOLT"}), encoding="utf-8")
    a = Archive.open(Settings(home=tmp_path / "home", encoder="hash"))
    report = a.ingest([files])
    assert report.ok, report.to_dict()
    yield a
    a.close()


def test_one_canonical_name_per_ticker_in_an_archive(acme):
    stored = sorted(r["company_as_read"] for r in acme.calls(ticker="ACME"))
    assert stored == ["Acme Widgets", "Acme Widgets", "Acme Widgets", "Acme Widgets Corporation"]   # kept as read
    assert {r["company"] for r in acme.calls(ticker="ACME")} == {"Acme Widgets"}                  # shown canonical
    companies = {c["ticker"]: c for c in acme.companies()}
    assert companies["ACME"] == {"ticker": "ACME", "company": "Acme Widgets",
                                 "aliases": ["Acme Widgets Corporation"], "calls": 4}
    assert acme.stats()["companies"] == 2


def test_an_alias_filter_finds_the_calls(acme):
    assert len(acme.calls(company="acme widgets corporation")) == 4
    assert len(acme.calls(company="Acme Widgets", ticker="BOLT")) == 0
    acme.reindex()
    hits = acme.search(SearchRequest(text="widget sales", company="Acme Widgets Corporation", mode="lexical")).hits
    assert {h.ticker for h in hits} == {"ACME"} and len({h.call_id for h in hits}) == 4
    assert acme.search(SearchRequest(text="widget sales", company="Acme Widgets", tickers=("BOLT",),
                                   mode="lexical")).hits == []


def test_aliases_feed_the_query_directory(acme):
    acme.reindex()
    directory = acme.searcher.directory
    assert directory.interpret("what did Acme Widgets Corporation say about gadgets").tickers == ("ACME",)
    assert directory.interpret("Acme Widgets gadgets").tickers == ("ACME",)


def test_a_sidecar_name_wins(tmp_path):
    files = tmp_path / "calls"
    files.mkdir()
    _call(files, "q1.json", 1, "Welcome to the Acme Widgets first quarter 2021 earnings call.")
    _call(files, "q2.json", 2, "Welcome to the Acme Widgets second quarter 2021 earnings call.")
    _call(files, "q3.json", 3, "Welcome to the Acme Widgets third quarter 2021 earnings call.")
    (files / "q3.meta.json").write_text(json.dumps({"company": "Acme Widgets Holdings, Inc."}), encoding="utf-8")
    with Archive.open(Settings(home=tmp_path / "home", encoder="hash")) as a:
        assert a.ingest([files]).ok
        [c] = a.companies()
        assert c["company"] == "Acme Widgets Holdings, Inc." and c["aliases"] == ["Acme Widgets"]


def test_suggestions_show_canonical_names_only(acme):
    from web import create_app
    app = create_app(archive=acme)
    with app.test_request_context("/"):
        from web.pages import _suggestions
        assert sorted(s["company"] for s in _suggestions()) == ["Acme Widgets", "Bolt Motors"]
    rows = app.test_client().get("/api/calls?company=ACME%20WIDGETS%20CORPORATION").get_json()
    assert rows["total"] == 4 and {r["company"] for r in rows["calls"]} == {"Acme Widgets"}
