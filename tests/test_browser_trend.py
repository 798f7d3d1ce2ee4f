"""The trend comparison in a real headless Chromium (tests/browser.py): four terms on one chart with a legend and
four bars per quarter, a bar's link opening that quarter's hits for its term, the table's numbers against the
API's, and the split view's panels. The four-term chart is saved to docs/trend-compare.png (the README shows it),
the split view to screenshots/. The server serves the session's shared sample archive and only reads it."""
from __future__ import annotations

import json
import urllib.request

from .browser import BROWSER, SHOTS, page, server  # noqa: F401  (fixtures)
from .conftest import ROOT

pytestmark = BROWSER
TERMS = ["covid", "demand", "liquidity", "inventory"]        # four terms that tell apart on the bundled sample
COMPARE = "/trend?" + "&".join(f"q={t}" for t in TERMS)
SPLIT = "/trend?q=covid&q=demand&q=pricing&ticker=KC&ticker=YETI&split=company&measure=turns"


def api(server, query: str) -> dict:
    with urllib.request.urlopen(server + "/api/trend?" + query, timeout=30) as r:
        return json.load(r)


def test_four_terms_on_one_chart(server, page):
    page.goto(server + COMPARE)
    page.wait_for_selector("svg.trend-svg a.bar-link")
    legend = page.locator("ul.trend-legend li")
    assert legend.count() == 4 and [legend.nth(i).get_attribute("data-term") for i in range(4)] == TERMS
    t = api(server, COMPARE.split("?", 1)[1])
    periods = [x["period"] for x in t["series"][0]["quarters"]]
    assert len(periods) == 4
    for period in periods:
        bars = page.locator(f'svg.trend-svg a.bar-link[data-period="{period}"]')
        assert bars.count() == 4
        assert [bars.nth(i).get_attribute("data-term") for i in range(4)] == TERMS
    fills = {page.locator(f"svg.trend-svg rect.bar.t{i}").first.get_attribute("fill") for i in range(4)}
    assert len(fills) == 4                                     # a colour and pattern of its own per term
    bar = page.locator('svg.trend-svg a.bar-link[data-term="demand"][data-period="2020Q3"]')
    assert bar.locator("title").text_content() == "Q3 2020, demand: 3 of 4 calls, 18 turns"
    page.mouse.click(1270, 5)                                   # no focus ring on the first term in the picture
    page.screenshot(path=str(ROOT / "docs" / "trend-compare.png"), full_page=True)


def test_the_table_holds_the_apis_numbers(server, page):
    page.goto(server + COMPARE)
    t = api(server, COMPARE.split("?", 1)[1])
    for s in t["series"]:
        for x in s["quarters"]:
            row = page.locator(f'table.trend-table tbody tr[data-period="{x["period"]}"]')
            cell = lambda field: row.locator(f'td[data-term="{s["term"]}"][data-field="{field}"]').inner_text()  # noqa: E731
            assert int(cell("calls")) == x["calls"] and int(cell("turns")) == x["turns"], (s["term"], x["period"])
            assert cell("share") == f"{x['share'] * 100:.0f}%"
            assert int(row.locator("td").first.inner_text()) == x["calls_on_file"]


def test_a_bar_opens_its_quarters_hits_for_its_term(server, page):
    page.goto(server + COMPARE)
    page.locator('svg.trend-svg a.bar-link[data-term="demand"][data-period="2020Q3"]').click()
    page.wait_for_url("**/?q=demand*")
    page.wait_for_selector("article.hit")
    assert "year=2020" in page.url and "quarter=3" in page.url
    hits = page.locator("article.hit")
    assert hits.count() > 0
    assert all("Q3 2020" in hits.nth(i).inner_text() for i in range(hits.count()))
    assert page.locator("article.hit mark").count() > 0            # the term is marked in what it opened


def test_the_split_view_draws_a_panel_per_ticker(server, page):
    page.goto(server + SPLIT)
    page.wait_for_selector("figure.panel svg.trend-svg")
    panels = page.locator("figure.panel")
    assert panels.count() == 2
    assert [panels.nth(i).get_attribute("data-ticker") for i in range(2)] == ["KC", "YETI"]
    assert "Kingsoft Cloud" in panels.nth(0).locator("figcaption").inner_text()
    t = api(server, SPLIT.split("?", 1)[1])
    kc = [s for s in t["series"] if s["ticker"] == "KC"]
    kc_bars = panels.nth(0).locator("a.bar-link")
    assert kc_bars.count() == sum(1 for x in kc[0]["quarters"] if x["calls_on_file"]) * len(kc)
    assert "ticker=KC" in kc_bars.first.get_attribute("href")
    page.screenshot(path=str(SHOTS / "trend-split.png"), full_page=True)


def test_no_console_errors(page):
    assert page.console_errors == []
