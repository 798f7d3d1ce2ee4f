"""Saved searches on the web (web/saved.py) over the service (archive/service.py, archive/saved.py): the JSON API and
its errors, the API key, the pages (the save form under the results, the list, a saved search's results with the
hits recorded since the last visit marked New), the guard of the page POSTs; and what gets recorded: only the hits of
calls that became searchable after the search was saved, kept across full reindexes and re-ingests.

Every test builds its own small archive (a part of the bundled sample, the test encoder) in a temporary folder:
these tests write, so they never use the session's shared sample archive."""
from __future__ import annotations

import dataclasses
import json
import re
import shutil

import pytest
from werkzeug.datastructures import MultiDict

from archive.config import Settings
from archive.saved import request_of
from archive.request import SearchRequest
from archive.service import Archive
from web import create_app
from web.params import search_request
from web.saved import args_of

from .conftest import SAMPLE

FIRST = ("danaher-corp-2020-q1.json", "yeti-holdings-2020-q3.json", "lands-end-inc-2020-q3.json")
NEW_CALL = SAMPLE / "kingsoft-cloud-2020-q1.txt"          # with its .meta.json beside it: KC-2020Q1
QUERY = "revenue growth"                                   # matches each of FIRST and the new call
OWN = {"Origin": "http://localhost"}                       # a page of the test client's own site


def build(tmp_path, **settings) -> Archive:
    """An archive of FIRST (copied, so a test may change them), stored and indexed."""
    calls = tmp_path / "calls"
    calls.mkdir()
    for name in FIRST:
        shutil.copy(SAMPLE / name, calls)
    a = Archive.open(Settings(home=tmp_path / "home", encoder="hash", **settings))
    assert a.ingest([calls]).ok
    a.reindex()
    return a


@pytest.fixture
def archive(tmp_path):
    a = build(tmp_path)
    yield a
    a.close()


@pytest.fixture
def client(archive):
    app = create_app(archive=archive)
    app.testing = True
    return app.test_client()


def error_of(resp, status):
    assert resp.status_code == status, resp.data[:300]
    body = resp.get_json()
    assert set(body) == {"error"} and body["error"]["message"]
    return body["error"]


def add_new_call(a: Archive) -> dict:
    assert a.ingest([NEW_CALL]).ok
    return a.reindex().alerts


def new_badges(html: str) -> list[str]:
    """The turn ids of the hits marked New on a results page."""
    return [m for m, meta in re.findall(r'<article class="hit" data-turn="([^"]+)">\s*<div class="meta">(.*?)</div>',
                                        html, re.S) if 'class="badge new"' in meta]


def hits_on(html: str) -> list[str]:
    return re.findall(r'<article class="hit" data-turn="([^"]+)">', html)


# ---- the JSON API --------------------------------------------------------------------------------------------

def test_save_list_show_and_delete_by_the_api(client):
    body = {"name": "Revenue growth", "q": QUERY, "ticker": ["DHR", "YETI"], "years": "2019-2021", "quarter": "Q1",
            "role": "executive", "mode": "lexical", "min_score": 0.6, "interpret": False}
    r = client.post("/api/saved", json=body)
    assert r.status_code == 201, r.data
    s = r.get_json()
    assert r.headers["Location"] == "/api/saved/revenue-growth"
    assert (s["name"], s["slug"], s["query"], s["webhook"], s["recorded"], s["new"]) == (
        "Revenue growth", "revenue-growth", QUERY, None, 0, 0)
    assert s["feed_url"].endswith("/feeds/revenue-growth.atom") and s["url"].endswith("/saved/revenue-growth")
    assert s["warnings"] == []
    # the same search as /api/search reads from the same parameters
    args = MultiDict([("q", QUERY), ("ticker", "DHR,YETI"), ("years", "2019-2021"), ("quarter", "Q1"),
                      ("role", "executive"), ("mode", "lexical"), ("min_score", "0.6"), ("interpret", "0")])
    assert request_of(s["request"]) == search_request(args)

    listed = client.get("/api/saved").get_json()["saved_searches"]
    assert [x["slug"] for x in listed] == ["revenue-growth"]
    one = client.get("/api/saved/revenue-growth").get_json()
    assert one["recorded_hits"] == [] and one["deliveries"] == [] and one["name"] == "Revenue growth"
    assert client.get("/api/saved/Revenue%20growth").get_json()["slug"] == "revenue-growth"     # by its name

    assert error_of(client.post("/api/saved", json={"name": "revenue  GROWTH", "q": "x"}), 409)["code"] == "conflict"
    replaced = client.post("/api/saved", json={"name": "Revenue growth", "q": "margin", "replace": True})
    assert replaced.status_code == 201 and replaced.get_json()["query"] == "margin"

    gone = client.delete("/api/saved/revenue-growth")
    assert gone.status_code == 200 and gone.get_json()["slug"] == "revenue-growth"
    assert error_of(client.get("/api/saved/revenue-growth"), 404)["code"] == "not_found"
    assert error_of(client.delete("/api/saved/revenue-growth"), 404)
    assert client.get("/api/saved").get_json()["saved_searches"] == []


@pytest.mark.parametrize("body, param, fragment", [
    ({"name": "W", "q": "x", "webhook": "ftp://example.com/x"}, "webhook", "not an http(s) URL"),
    ({"name": "W", "q": "x", "webhook": "http://169.254.169.254/latest"}, "webhook", "link-local"),
    ({"name": "W", "q": "x", "webhook": "https://user:pw@example.com/"}, "webhook", "user name or password"),
    ({"name": "W", "q": "x", "webhook": "https://example.com/a b"}, "webhook", "spaces or control characters"),
    ({"name": "W", "q": "x", "webhook": 7}, "webhook", "must be a string"),
    ({"name": "W", "q": "x", "tickr": "KC"}, "tickr", "unknown key 'tickr'"),
    ({"name": "W", "q": "x", "page": 2}, "page", "keeps no page"),
    ({"name": "W", "q": "x", "role": "boss"}, "role", "not one of"),
    ({"name": "W", "q": "x", "years": ["2019", "2020"]}, "years", "takes one value"),
    ({"name": "W", "q": "x", "limit": {"a": 1}}, "limit", "string or a number"),
    ({"name": "W", "q": True}, "q", "not a boolean"),
    ({"name": "W", "q": "x", "replace": "yes"}, "replace", "true or false"),
    ({"name": "W", "q": "x", "min_score": 7}, "min_score", "out of range"),
    ({"name": "W", "q": ""}, "q", "empty"),
    ({"name": "W", "q": "a*"}, "q", None),
    ({"name": " ", "q": "x"}, "name", "needs a name"),
    ({"name": 3, "q": "x"}, "name", "must be a string"),
    ({"name": "x" * 81, "q": "x"}, "name", "too long"),
    ({"q": "x"}, "name", "must be a string"),
])
def test_bad_saves_are_400_naming_the_key(client, body, param, fragment):
    err = error_of(client.post("/api/saved", json=body), 400)
    assert err.get("param") == param, err
    if fragment:
        assert fragment in err["message"], err
    assert client.get("/api/saved").get_json()["saved_searches"] == []


def test_a_body_that_is_not_a_json_object(client):
    err = error_of(client.post("/api/saved", data="name=x&q=y", content_type="application/x-www-form-urlencoded"), 415)
    assert "application/json" in err["message"] and err["hint"]
    assert error_of(client.post("/api/saved", data='{"name": "x", "q": "y"}'), 415)      # no Content-Type
    err = error_of(client.post("/api/saved", data="{nope", content_type="application/json"), 400)
    assert "not valid JSON" in err["message"] and err["hint"]
    assert "JSON object" in error_of(client.post("/api/saved", json=["x"]), 400)["message"]
    assert error_of(client.post("/api/saved", data="[" * 30000, content_type="application/json"), 400)
    assert error_of(client.post("/api/saved", data=b'{"name": "\xff"}', content_type="application/json"), 400)
    assert error_of(client.post("/api/saved", data='{"name": "\\udcff", "q": "x"}',
                                content_type="application/json"), 400)
    r = client.post("/api/saved", data=json.dumps({"name": "x", "q": "y" * 70000}), content_type="application/json")
    assert r.status_code == 413 and r.is_json
    assert client.put("/api/saved", json={}).status_code == 405
    assert client.get("/api/saved").get_json()["saved_searches"] == []


def test_a_ticker_not_on_file_is_saved_with_a_warning(client):
    s = client.post("/api/saved", json={"name": "Zoom", "q": "video", "ticker": "ZM"}).get_json()
    assert s["request"]["tickers"] == ["ZM"] and "ZM" in s["warnings"][0]


def test_the_api_key(tmp_path):
    a = build(tmp_path, api_key="s3cret")
    try:
        c = create_app(archive=a).test_client()
        body = {"name": "Revenue growth", "q": QUERY}
        assert error_of(c.post("/api/saved", json=body), 401)["code"] == "unauthorized"
        assert error_of(c.get("/api/saved"), 401) and error_of(c.delete("/api/saved/x"), 401)
        assert error_of(c.post("/api/saved", json=body, headers={"X-API-Key": "wrong"}), 401)
        assert c.post("/api/saved", json=body, headers={"X-API-Key": "s3cret"}).status_code == 201
        assert c.get("/api/saved/revenue-growth", headers={"X-API-Key": "s3cret"}).status_code == 200
        # a feed reader sends no header: the feed is read without the key, like the pages
        assert c.get("/feeds/revenue-growth.atom").status_code == 200
        page = c.get("/saved").get_data(as_text=True)
        assert 'name="key" type="password"' in page             # the Remove form asks for the key
        # a page POST needs the key in its form, beside coming from this site
        form = {"q": "margin", "name": "Margins"}
        assert c.post("/saved", data=form, headers=OWN).status_code == 403
        r = c.post("/saved", data={**form, "key": "wrong"}, headers=OWN)
        assert r.status_code == 403 and "API key" in r.get_data(as_text=True)
        assert c.post("/saved", data={**form, "key": "s3cret"}, headers={"Origin": "http://evil.example"}
                      ).status_code == 403
        r = c.post("/saved", data={**form, "key": "s3cret"}, headers=OWN)
        assert r.status_code == 303 and r.headers["Location"].startswith("/saved/margins")
        assert c.post("/saved/margins/remove", headers=OWN).status_code == 403
        assert c.post("/saved/margins/remove", data={"key": "s3cret"}, headers=OWN).status_code == 303
        results = c.get("/?q=revenue+growth").get_data(as_text=True)
        assert re.search(r'<form class="save-search".*?name="key" type="password"', results, re.S)
    finally:
        a.close()


# ---- what is recorded ----------------------------------------------------------------------------------------

def test_only_the_hits_of_calls_added_after_saving_are_recorded(tmp_path):
    a = build(tmp_path)
    try:
        q = SearchRequest.build(text=QUERY)
        assert a.search(q).hits                                # the calls on file match: none of them alerts
        a.save_search("Revenue growth", q)
        assert a.reindex().outcome == "up-to-date"
        assert a.saved_search("revenue-growth")["recorded"] == 0
        alerts = add_new_call(a)
        recorded = a.saved_search("revenue-growth")["recorded_hits"]
        kc = {h.turn_id for h in a.search(dataclasses.replace(q, tickers=("KC",), limit=100).validated()).hits}
        assert kc and {h["turn_id"] for h in recorded} == kc and alerts["new_hits"] == len(kc)
        assert all(h["call_id"] == "KC-2020Q1" and h["citation"].startswith("Kingsoft Cloud Q1 2020") and
                   h["url"].endswith("#" + h["turn_id"].split(":")[1]) and "<mark>" in h["snippet"]
                   for h in recorded)
        # nothing new: nothing more; the same file again: unchanged, nothing more
        assert a.reindex().outcome == "up-to-date"
        assert a.ingest([NEW_CALL]).files[0].status == "unchanged"
        a.reindex(full=True)
        assert a.saved_search("revenue-growth")["recorded"] == len(kc)
        # a corrected copy of an old call (more matches in it) is re-read, re-indexed: no alert
        old = tmp_path / "calls" / FIRST[0]
        call = json.loads(old.read_text())
        call["turns"].insert(3, {"speaker": "Tom Joyce", "speech": "Revenue growth, revenue growth and more "
                                 "revenue growth: that is our outlook for revenue growth."})
        old.write_text(json.dumps(call))
        assert a.ingest([old]).files[0].status == "replaced"
        result = a.reindex()
        assert result.outcome == "built" and result.alerts["new_hits"] == 0
        assert a.saved_search("revenue-growth")["recorded"] == len(kc)
    finally:
        a.close()


def test_a_saved_search_survives_a_full_reindex_and_a_reingest(tmp_path):
    a = build(tmp_path)
    try:
        a.save_search("Revenue growth", SearchRequest.build(text=QUERY, role="executive"),
                      "https://hooks.example.com/x")
        add_new_call(a)
        before = a.saved_search("revenue-growth")
        assert before["recorded"] and before["delivery_counts"] == {"pending": 1}
        assert a.reindex(full=True).outcome == "built"
        # the call that alerted, deleted and ingested again: searchable anew, but its turns were recorded already
        a.delete_call("KC-2020Q1")
        a.reindex()
        assert a.ingest([NEW_CALL]).files[0].status == "added"
        assert a.reindex().alerts["new_hits"] == 0
        assert a.ingest([tmp_path / "calls", NEW_CALL], replace=True).ok
        a.reindex(full=True)
        after = a.saved_search("revenue-growth")
        for k in ("name", "request", "webhook", "created_at", "recorded", "delivery_counts"):
            assert after[k] == before[k], k
        assert after["recorded_hits"] == before["recorded_hits"]
    finally:
        a.close()
    with Archive.open(Settings(home=tmp_path / "home", encoder="hash")) as again:         # another process, later
        assert [s["name"] for s in again.saved_searches()] == ["Revenue growth"]


# ---- the pages -----------------------------------------------------------------------------------------------

def test_the_results_page_offers_to_save_the_search(client, archive):
    html = client.get("/?q=revenue+growth&ticker=DHR&role=executive&page=1").get_data(as_text=True)
    form = re.search(r'<form class="save-search" method="post" action="/saved".*?</form>', html, re.S).group(0)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
    assert hidden == {"q": "revenue growth", "ticker": "DHR", "role": "executive"}       # no page
    assert 'name="name"' in form and 'name="webhook"' in form and 'name="key"' not in form
    # a query nothing matches yet can be saved too: that is what an alert is for
    assert 'class="save-search"' in client.get("/?q=qwertyzzyx").get_data(as_text=True)
    assert 'class="save-search"' not in client.get("/").get_data(as_text=True)

    r = client.post("/saved", data={**hidden, "name": "DHR revenue", "webhook": ""}, headers=OWN)
    assert r.status_code == 303 and r.headers["Location"] == "/saved/dhr-revenue?created=1"
    s = archive.saved_search("dhr-revenue")
    assert s["request"]["tickers"] == ("DHR",) and s["request"]["role"] == "executive" and s["webhook"] is None
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Saved." in page and 'class="save-search"' not in page
    assert '<link rel="alternate" type="application/atom+xml"' in page and "/feeds/dhr-revenue.atom" in page
    # the same name again: the list with the error and a way back to the search
    r = client.post("/saved", data={**hidden, "name": "DHR  revenue"}, headers=OWN)
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and "exists already" in html and "Back to the search" in html
    assert client.post("/saved", data={"q": "a*", "name": "Bad"}, headers=OWN).status_code == 400
    assert client.post("/saved", data={"q": "x", "name": "Bad", "webhook": "javascript:alert(1)"},
                       headers=OWN).status_code == 400


def test_the_list_and_a_saved_searchs_page_mark_what_is_new(client, archive):
    assert "No saved searches yet" in client.get("/saved").get_data(as_text=True)
    assert client.post("/api/saved", json={"name": "Revenue growth", "q": QUERY}).status_code == 201
    first = client.get("/saved/revenue-growth").get_data(as_text=True)
    assert hits_on(first) and new_badges(first) == [] and "0</b> new since it was saved" in first
    add_new_call(archive)
    recorded = {h["turn_id"] for h in archive.saved_search("revenue-growth")["recorded_hits"]}

    listing = client.get("/saved").get_data(as_text=True)
    assert f'{len(recorded)} new</span>' in listing
    assert '<link rel="alternate" type="application/atom+xml" title="Revenue growth: new hits" ' \
           'href="/feeds/revenue-growth.atom">' in listing
    assert "\u201crevenue growth\u201d" in listing

    html = client.get("/saved/revenue-growth").get_data(as_text=True)
    shown, marked = hits_on(html), new_badges(html)
    assert marked and set(marked) == {t for t in shown if t in recorded}
    assert all(t.startswith("KC-2020Q1:") for t in marked) and any(not t.startswith("KC-") for t in shown)
    assert f"{len(recorded)}</b> new since your last visit (" in html
    # the other pages of this visit mark the same hits (their links carry the last visit before it)
    links = re.findall(r'href="(/saved/revenue-growth\?page=2[^"]*)"', html)
    assert links and "since=" in links[0]
    page2 = client.get(links[0].replace("&amp;", "&")).get_data(as_text=True)
    assert set(new_badges(page2)) == {t for t in hits_on(page2) if t in recorded}
    assert set(hits_on(page2)).isdisjoint(shown)
    # seen: nothing is new any more
    again = client.get("/saved/revenue-growth").get_data(as_text=True)
    assert new_badges(again) == [] and hits_on(again) == shown and "0</b> new since your last visit" in again
    assert 'new</span>' not in client.get("/saved").get_data(as_text=True).split("<tbody>")[1]
    assert client.get("/saved/no-such-search").status_code == 404
    assert client.get("/saved/revenue-growth?page=0").status_code == 400


def test_a_saved_search_whose_tickers_are_not_on_file_yet(client):
    client.post("/api/saved", json={"name": "Zoom", "q": "video", "ticker": "ZM"})
    r = client.get("/saved/zoom")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "no calls of ticker ZM on file" in html and "Zoom" in html


def test_page_posts_from_another_site_are_refused(client, archive):
    form = {"q": QUERY, "name": "Revenue growth"}
    refused = [
        {"Origin": "http://evil.example"},
        {"Origin": "http://localhost.evil.example"},
        {"Origin": "https://localhost"},                      # another scheme is another origin
        {},                                                   # says nothing of where it comes from
        {"Origin": "null"},
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Referer": "http://evil.example/page"},
        {"Origin": "http://evil.example", "Referer": "http://localhost/"},
        {"Origin": "http://evil.example", "Host": "evil.example"},     # a DNS name rebound to this server
    ]
    for headers in refused:
        r = client.post("/saved", data=form, headers=headers)
        assert r.status_code == 403, headers
        html = r.get_data(as_text=True)
        assert "can only be sent from this archive" in html and "<html" in html, headers
    assert archive.saved_searches() == []
    accepted = [OWN, {"Origin": "null", "Sec-Fetch-Site": "same-origin"},      # Chromium, under no-referrer
                {"Referer": "http://localhost/?q=revenue+growth"}, {"Origin": "http://127.0.0.1:8000"}]
    for i, headers in enumerate(accepted):
        r = client.post("/saved", data={**form, "name": f"Revenue growth {i}"}, headers=headers)
        assert r.status_code == 303, headers
    assert len(archive.saved_searches()) == len(accepted)
    assert client.post("/saved/revenue-growth-0/remove", headers={"Origin": "http://evil.example"}).status_code == 403
    assert len(archive.saved_searches()) == len(accepted)
    r = client.post("/saved/revenue-growth-0/remove", headers=OWN)
    assert r.status_code == 303 and r.headers["Location"] == "/saved"
    assert len(archive.saved_searches()) == len(accepted) - 1
    assert client.post("/saved/revenue-growth-0/remove", headers=OWN).status_code == 404
    # the API's writes: a foreign Host (DNS rebinding) is refused without a key
    r = client.post("/api/saved", json=form, headers={"Host": "evil.example"})
    assert error_of(r, 403)["code"] == "forbidden"
    assert error_of(client.delete("/api/saved/revenue-growth-1", headers={"Host": "evil.example"}), 403)


def test_names_and_queries_are_escaped(client):
    evil = '<script>alert("x")</script>'
    assert client.post("/api/saved", json={"name": f"Evil {evil}", "q": "revenue", "speaker": evil}).status_code == 201
    for path in ("/saved", "/saved/evil-script-alert-x-script"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and "&lt;script&gt;" in html, path


def test_a_saved_request_becomes_the_search_pages_arguments_again():
    q = SearchRequest.build(text="pricing pressure", tickers=("KC", "YETI"), years=(2019, 2021), quarters=(1, 3),
                            speaker="Jane Roe", role="executive", section="qa", mode="lexical", interpret=False,
                            unit="answer", min_score=0.7, sort="date", group="call", limit=20, lexical_weight=0.3)
    args = args_of(dataclasses.asdict(q))
    assert search_request(args) == q
    assert args["ticker"] == "KC,YETI" and args["years"] == "2019-2021" and args["interpret"] == "0"
    assert list(args_of(dataclasses.asdict(SearchRequest.build(text="margin")))) == ["q"]      # defaults left out


def test_hostile_values_in_the_saved_search_routes(client):
    from urllib.parse import quote

    from .test_hostile_requests import SCRIPT, VALUES
    assert client.post("/api/saved", json={"name": "x", "q": QUERY}).status_code == 201
    routes = ["/saved/{v}", "/saved/x?page={v}", "/saved/x?since={v}", "/saved/x?created={v}", "/feeds/{v}.atom",
              "/api/saved/{v}"]
    for route in routes:
        for v in VALUES:
            raw = v if v.startswith("%") else quote(v, safe="", errors="surrogatepass") if v else v
            for method in ("get", "delete") if route.startswith("/api") else ("get",):
                r = getattr(client, method)(route.format(v=raw))
                assert r.status_code < 500, (route, method, v[:40], r.status_code)
                assert SCRIPT not in r.get_data(as_text=True), (route, v[:40])
                if route.startswith("/api") and r.status_code >= 400:
                    assert r.is_json and set(r.get_json()) == {"error"}
    for v in VALUES:
        if v != "\udcff":                         # a form cannot carry a lone surrogate (JSON can: below)
            r = client.post("/saved", data={"q": v, "name": v, "webhook": v, "ticker": v}, headers=OWN)
            assert r.status_code < 500 and SCRIPT not in r.get_data(as_text=True), v[:40]
        r = client.post("/api/saved", json={"q": v, "name": v, "webhook": v, "years": v})
        assert r.status_code < 500 and r.is_json, v[:40]
    assert [s["name"] for s in client.get("/api/saved").get_json()["saved_searches"]] == ["x"]
