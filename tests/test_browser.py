"""The UI in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright): search with filters,
open a hit and land on its turn, paginate, draw the trend chart, and no console errors. Screenshots go to
screenshots/ (git-ignored). The server serves the session's shared sample archive (tests/conftest.py) and only
reads it."""
from __future__ import annotations

from .browser import BROWSER, SHOTS, page, server  # noqa: F401  (fixtures)

pytestmark = BROWSER


def test_search_with_filters_then_open_a_hit(server, page):
    page.goto(server + "/")
    page.fill("input[name=q]", "enterprise cloud revenue")
    page.fill("input[name=ticker]", "KC")
    page.select_option("select[name=role]", "executive")
    page.click("button[type=submit]")
    page.wait_for_selector("article.hit")
    assert "role=executive" in page.url and "ticker=KC" in page.url
    hits = page.locator("article.hit")
    shown = int(page.locator(".summary").inner_text().split()[0])      # "N matching turns in M calls ..."
    assert 1 <= hits.count() == min(shown, 10)
    assert all("executive" in hits.nth(i).inner_text() for i in range(hits.count()))
    page.screenshot(path=str(SHOTS / "search.png"), full_page=True)
    first = hits.nth(0).locator("a.title")
    anchor = first.get_attribute("href").split("#")[1]
    first.click()
    page.wait_for_selector("section.turn.target")
    target = page.locator("section.turn.target")
    assert target.get_attribute("id") == anchor and page.url.endswith("#" + anchor)
    box, view = target.bounding_box(), page.viewport_size
    assert 0 <= box["y"] < view["height"]                      # scrolled to the turn
    assert page.locator("section.turn.target mark").count() > 0
    page.screenshot(path=str(SHOTS / "call.png"))


def test_paginate(server, page):
    page.goto(server + "/?q=revenue+growth&limit=5")
    first = [a.get_attribute("href") for a in page.locator("article.hit a.title").all()]
    page.click("nav.pages >> text=2")
    page.wait_for_url("**page=2**")
    second = [a.get_attribute("href") for a in page.locator("article.hit a.title").all()]
    assert len(first) == len(second) == 5 and not set(first) & set(second)


def test_trend_chart(server, page):
    page.goto(server + "/trend?q=cloud")
    page.wait_for_selector("svg rect")
    assert page.locator("svg a rect").count() == 4                 # four fiscal quarters in the sample
    page.screenshot(path=str(SHOTS / "trend.png"))
    page.locator("svg a").first.click()
    page.wait_for_selector("form.search")
    assert "q=cloud" in page.url and "quarter=1" in page.url


def test_no_console_errors(page):
    assert page.console_errors == []
