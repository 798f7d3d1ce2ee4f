"""Saved searches in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright): a search saved from
its results page; a call that matches ingested and indexed afterwards (in this process, on the server's archive);
the list of saved searches with its new-hit count and the webhook's delivery; the Atom feed as the browser shows it
and as a feed reader parses it; the saved search's page marking the new call's hits New, until it is seen.

The server serves an archive of its own (a part of the bundled sample, built here in a temporary folder): these
tests write to it, so they never touch the session's shared sample archive. Screenshots: docs/saved-searches.png
and docs/feed.png (for the README), the others in screenshots/ (git-ignored)."""
from __future__ import annotations

import http.server
import json
import shutil
import threading
import time
import urllib.error
import urllib.request
from html import escape

import feedparser
import pytest

from archive.config import Settings
from archive.service import Archive

from .browser import BROWSER, SHOTS, page, serving  # noqa: F401  (fixtures)
from .conftest import ROOT, SAMPLE

pytestmark = BROWSER
DOCS = ROOT / "docs"
NEW_CALL = SAMPLE / "kingsoft-cloud-2020-q1.txt"         # with its .meta.json beside it: ticker KC
QUERY = "revenue growth"                                   # matches some of the first calls, and KC's


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """The sample less Kingsoft Cloud, stored and indexed with the test encoder."""
    root = tmp_path_factory.mktemp("saved-browser")
    calls = root / "calls"
    calls.mkdir()
    for f in SAMPLE.glob("*.json"):
        if not f.name.endswith(".meta.json"):
            shutil.copy(f, calls)
    with Archive.open(Settings(home=root / "home", encoder="hash")) as a:
        assert a.ingest([calls]).ok
        a.reindex()
    return root / "home"


@pytest.fixture(scope="module")
def server(home):
    """This module's own server (it overrides tests/browser.py's, so the `page` fixture opens this one)."""
    with serving(home) as base:
        yield base


@pytest.fixture(scope="module")
def receiver():
    """A webhook receiver on loopback: what it was POSTed, in order."""
    got = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/hook", got
    httpd.shutdown()


def api(server, path, body=None, method=None):
    req = urllib.request.Request(server + path, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json"}, method=method)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, json.loads(resp.read())


def turns_on(page, selector="article.hit") -> list[str]:
    hits = page.locator(selector)
    return [hits.nth(i).get_attribute("data-turn") for i in range(hits.count())]


def test_save_a_search_then_see_the_new_calls_hits(server, home, page, receiver):
    hook, delivered = receiver
    # a search with hits in the calls on file, saved from its results page
    page.goto(server + "/?q=" + QUERY.replace(" ", "+"))
    page.wait_for_selector("article.hit")
    before = turns_on(page)
    assert before and not any(t.startswith("KC-") for t in before)
    form = page.locator("form.save-search")
    assert form.count() == 1 and form.locator("input[type=hidden][name=q]").input_value() == QUERY
    assert form.locator("input[name=key]").count() == 0               # no API key on this server
    form.locator("input[name=name]").fill("Revenue growth")
    SHOTS.mkdir(exist_ok=True)
    form.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "save-search-form.png"))
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/saved/revenue-growth?created=1")
    assert page.locator(".saved-head h1").inner_text().startswith("Revenue growth")
    assert "Saved." in page.locator(".saved-head .notice").inner_text()
    assert turns_on(page) == before and page.locator("article.hit .badge.new").count() == 0
    assert page.locator("form.save-search").count() == 0
    # two more, by the API: one with a webhook (for a ticker not on file yet), one that the new call will not match
    status, made = api(server, "/api/saved", {"name": "KC enterprise cloud", "q": "enterprise cloud", "ticker": "KC",
                                               "role": "executive", "webhook": hook})
    assert status == 201 and made["warnings"] and made["webhook"] == hook
    assert api(server, "/api/saved", {"name": "Store remodels", "q": "store remodel", "mode": "lexical"})[0] == 201

    # a call that matches is ingested and indexed, by another process than the server, on its archive
    with Archive.open(Settings(home=home, encoder="hash", base_url=server)) as a:
        assert a.ingest([NEW_CALL]).ok
        alerts = a.reindex().alerts
        recorded = {s["slug"]: s["recorded_hits"] for s in map(a.saved_search, ("revenue-growth",
                                                                                 "kc-enterprise-cloud",
                                                                                 "store-remodels"))}
    assert alerts["new_hits"] > 0 and alerts["deliveries"] == 1
    assert recorded["revenue-growth"] and all(h["call_id"] == "KC-2020Q1" for h in recorded["revenue-growth"])
    assert recorded["kc-enterprise-cloud"] and recorded["store-remodels"] == []
    # the server's sender delivers the webhook (it polls the outbox every few seconds)
    for _ in range(300):
        if delivered:
            break
        time.sleep(0.1)
    assert len(delivered) == 1 and delivered[0]["saved_search"]["slug"] == "kc-enterprise-cloud"
    assert {h["turn_id"] for h in delivered[0]["hits"]} == {h["turn_id"] for h in recorded["kc-enterprise-cloud"]}

    # the list: the new hits counted for each, the webhook's state, a feed link each (and in the head)
    for _ in range(100):
        page.goto(server + "/saved")
        if "delivered" in page.locator("tr[data-slug=kc-enterprise-cloud] .webhook").inner_text():
            break
        time.sleep(0.1)
    rows = page.locator("table.saved-list tbody tr")
    assert [rows.nth(i).get_attribute("data-slug") for i in range(rows.count())] == [
        "kc-enterprise-cloud", "revenue-growth", "store-remodels"]
    row = page.locator("tr[data-slug=revenue-growth]")
    n = len(recorded["revenue-growth"])
    assert row.locator(".badge.new").inner_text() == f"{n} new"
    assert row.locator("td.recorded").inner_text() == str(n)
    assert "\u201crevenue growth\u201d" in row.locator("td.described").inner_text()
    assert page.locator("tr[data-slug=store-remodels] .badge.new").count() == 0
    hook_cell = page.locator("tr[data-slug=kc-enterprise-cloud] .webhook").inner_text()
    assert "127.0.0.1" in hook_cell and "delivered" in hook_cell and "/hook" not in hook_cell    # the host only
    feeds = page.locator('head link[rel=alternate][type="application/atom+xml"]')
    assert feeds.count() == 3
    feed_path = row.locator("a.feed").get_attribute("href")
    assert feed_path == "/feeds/revenue-growth.atom" and feed_path in [feeds.nth(i).get_attribute("href")
                                                                        for i in range(3)]
    page.set_viewport_size({"width": 1280, "height": 440})
    page.screenshot(path=str(DOCS / "saved-searches.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # the feed, as a feed reader reads it: one entry per recorded hit, newest first
    with urllib.request.urlopen(server + feed_path, timeout=10) as resp:
        assert resp.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
        body = resp.read()
    feed = feedparser.parse(body)
    assert not feed.bozo and feed.version == "atom10"
    assert [e.link for e in feed.entries] == [h["url"] for h in recorded["revenue-growth"]]
    assert all(e.link.startswith(server + "/calls/KC-2020Q1?turn=") for e in feed.entries)
    # ... and as the browser shows it
    shown_as = _open_feed(page, server + feed_path, body)
    page.screenshot(path=str(DOCS / "feed.png"))
    assert shown_as in ("xml", "text")

    # the saved search's page: the new call's hits marked New, the others not
    page.goto(server + "/saved/revenue-growth")
    marked = turns_on(page, "article.hit:has(.badge.new)")
    assert marked and all(t.startswith("KC-2020Q1:") for t in marked)
    assert set(marked) == {t for t in turns_on(page) if t.startswith("KC-")}
    assert set(marked) <= {h["turn_id"] for h in recorded["revenue-growth"]}
    assert any(not t.startswith("KC-") for t in turns_on(page))           # the older calls' hits are still there
    status_line = page.locator(".saved-status .new-count").inner_text()
    assert status_line.startswith(f"{n} new since your last visit (")
    page.locator("article.hit:has(.badge.new)").first.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "saved-search-new.png"))
    # seen: a reload marks nothing, and the list shows no new hits for it
    page.reload()
    assert page.locator("article.hit .badge.new").count() == 0 and turns_on(page)
    assert page.locator(".saved-status .new-count").inner_text().startswith("0 new since your last visit (")
    page.goto(server + "/saved")
    assert page.locator("tr[data-slug=revenue-growth] .badge.new").count() == 0


def _open_feed(page, url, body: bytes) -> str:
    """Open the feed in the browser: 'xml' when Chromium shows it itself; 'text' when it would download it instead
    (then its XML is shown as text in a <pre>, which is what a browser without a feed viewer offers)."""
    from playwright.sync_api import Error
    # A feed is no page: it names no icon, so Chromium asks for /favicon.ico (the app's pages name a data: icon
    # and the app serves none), when it likes, after the feed is shown: answered here, not counted as an error.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    try:
        page.goto(url)
    except Error as e:
        if "Download" not in str(e):
            raise
        page.set_content(f"<pre style='white-space: pre-wrap; font: 12px monospace'>{escape(body.decode())}</pre>")
        return "text"
    return "xml"


def test_a_removed_saved_search_leaves_the_list(server, page):
    page.goto(server + "/saved")
    before = page.locator("table.saved-list tbody tr").count()
    with page.expect_navigation():
        page.locator("tr[data-slug=store-remodels] form.remove button").click()
    assert page.url == server + "/saved"
    assert page.locator("table.saved-list tbody tr").count() == before - 1
    assert page.locator("tr[data-slug=store-remodels]").count() == 0
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(server + "/feeds/store-remodels.atom", timeout=10)
    assert e.value.code == 404


def test_no_console_errors(page):
    assert page.console_errors == []
