"""The Atom feed of a saved search (web/feeds.py), read back with feedparser as a feed reader reads it: valid Atom
1.0, one entry per recorded hit (newest first) with its citation, deep link, speaker and time, ids that stay the
same from one fetch to the next, transcript text that stays text; an empty feed is valid too; an unknown one is a
plain 404.

The archive is this module's own (a part of the bundled sample and a call with markup in it, the test encoder), in
a temporary folder: the saved search and its hits are written to it."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import feedparser
import pytest

from archive.config import Settings
from archive.request import SearchRequest
from archive.service import Archive
from web import create_app

from .conftest import SAMPLE

SCRIPT = '<script>alert("feed")</script>'
FIRST = ("danaher-corp-2020-q1.json", "yeti-holdings-2020-q3.json")


def hostile_call(folder) -> str:
    """A call whose transcript holds markup in a turn that matches the saved search (and a control character)."""
    path = folder / "evil.json"
    path.write_text(json.dumps({
        "ticker": "EVIL", "company": "Evil & Co", "fiscal_year": 2021, "fiscal_quarter": 2,
        "prepared_remarks": [{"speaker": "Operator", "speech": "Welcome to the call."},
                             {"speaker": 'Eve <b>Mallory</b>', "speech": f"Our revenue growth was {SCRIPT} strong, "
                                                                         "revenue growth \x0b everywhere."}],
        "q_and_a": [{"speaker": "Sam Poe", "speech": "What about revenue growth next year?"},
                    {"speaker": 'Eve <b>Mallory</b>', "speech": "Revenue growth will go on."}]}))
    return path


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """FIRST indexed; "Revenue growth" saved; then the hostile call, then Kingsoft Cloud, each indexed: two batches
    of hits. "Nothing yet" is saved too and has none."""
    root = tmp_path_factory.mktemp("feeds")
    a = Archive.open(Settings(home=root / "home", encoder="hash"))
    assert a.ingest([SAMPLE / n for n in FIRST]).ok
    a.reindex()
    a.save_search("Revenue growth", SearchRequest.build(text="revenue growth"))
    a.save_search("Nothing yet", SearchRequest.build(text="zeppelin"))
    assert a.ingest([hostile_call(root)]).ok
    assert a.reindex().alerts["new_hits"] > 0
    assert a.ingest([SAMPLE / "kingsoft-cloud-2020-q1.txt"]).ok
    assert a.reindex().alerts["new_hits"] > 0
    yield a
    a.close()


@pytest.fixture(scope="module")
def client(archive):
    app = create_app(archive=archive)
    app.testing = True
    return app.test_client()


def fetch(client, path="/feeds/revenue-growth.atom"):
    r = client.get(path)
    assert r.status_code == 200, r.data[:300]
    assert r.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    return r


def parsed(body: bytes, **options):
    """The feed as feedparser reads it; sanitize_html=False: its HTML as sent (feedparser drops <mark> else)."""
    feed = feedparser.parse(body, **options)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def when(iso: str) -> datetime:
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def test_the_feed_lists_the_recorded_hits_newest_first(client, archive):
    saved = archive.saved_search("revenue-growth")
    hits = saved["recorded_hits"]
    assert {h["call_id"] for h in hits} == {"EVIL-2021Q2", "KC-2020Q1"}
    feed = parsed(fetch(client).data)
    f = feed.feed
    assert f.title == "Revenue growth: new hits"
    assert "\u201crevenue growth\u201d" in f.subtitle
    assert f.id.startswith("tag:127.0.0.1,") and "revenue-growth" in f.id
    links = {link.rel: link.href for link in f.links}
    assert links == {"self": saved["feed_url"], "alternate": saved["url"]}
    assert f.author == "Earnings-call archive"
    assert datetime(*f.updated_parsed[:6], tzinfo=timezone.utc) == when(hits[0]["found_at"]).replace(microsecond=0)

    entries = feed.entries
    assert [e.title for e in entries] == [h["citation"] for h in hits]
    assert [e.link for e in entries] == [h["url"] for h in hits]
    assert [e.author for e in entries] == [h["speaker"] for h in hits]
    assert [datetime(*e.updated_parsed[:6], tzinfo=timezone.utc) for e in entries] == [
        when(h["found_at"]).replace(microsecond=0) for h in hits]
    assert [e.published for e in entries] == [e.updated for e in entries]
    # newest first: Kingsoft Cloud's (the second build) before the hostile call's
    calls = [h["call_id"] for h in hits]
    assert calls == sorted(calls, key=lambda c: c != "KC-2020Q1")
    assert when(hits[0]["found_at"]) > when(hits[-1]["found_at"])
    assert all(e.tags[0].term == h["ticker"] for e, h in zip(entries, hits))
    # ids: one per (saved search, turn), the same on the next fetch
    ids = [e.id for e in entries]
    assert len(set(ids)) == len(ids) and all(i.startswith(f.id + "/") and i.endswith(h["turn_id"])
                                             for i, h in zip(ids, hits))
    again = parsed(fetch(client).data)
    assert [e.id for e in again.entries] == ids and again.feed.id == f.id


def test_an_answer_carries_its_question(client, archive):
    hits = archive.saved_search("revenue-growth")["recorded_hits"]
    feed = parsed(fetch(client).data, sanitize_html=False)
    answers = [(e, h) for e, h in zip(feed.entries, hits) if h.get("question")]
    assert answers
    for e, h in answers:
        content = e.content[0]
        assert content.type == "text/html"
        assert "Answering the question of " + h["question"]["speaker"] in content.value
    for e, h in zip(feed.entries, hits):          # the summary is the hit's snippet, marks and all
        assert e.summary_detail.type == "text/html" and "<mark>" in e.summary
        assert e.summary == h["snippet"].replace("\x0b", "")
        assert e.content[0].value.startswith(f"<p>{e.summary}</p>")


def test_transcript_markup_stays_text(client):
    body = fetch(client).data
    assert b"<script" not in body and b"\x0b" not in body
    for feed in (parsed(body), parsed(body, sanitize_html=False)):      # whether or not a reader sanitizes
        evil = [e for e in feed.entries if "Evil" in e.title]
        assert evil
        summary = next(e.summary for e in evil if "alert" in e.summary)
        # the snippet's transcript text comes back escaped: text a reader shows, never an element it runs
        assert "&lt;script&gt;alert(" in summary and "<script" not in summary
    assert any(e.author == "Eve <b>Mallory</b>" for e in evil)          # a name is plain text in Atom
    assert all("<b>Mallory" not in e.content[0].value for e in evil)


def test_conditional_get(client):
    r = fetch(client)
    assert r.headers["ETag"] and r.headers["Last-Modified"]
    assert client.get("/feeds/revenue-growth.atom", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304


def test_an_empty_feed_is_valid_atom(client, archive):
    saved = archive.saved_search("nothing-yet")
    assert saved["recorded"] == 0
    feed = parsed(fetch(client, "/feeds/nothing-yet.atom").data)
    assert feed.entries == [] and feed.feed.title == "Nothing yet: new hits"
    assert datetime(*feed.feed.updated_parsed[:6], tzinfo=timezone.utc) == when(saved["created_at"]).replace(
        microsecond=0)


def test_an_unknown_feed_is_a_plain_404(client):
    for path in ("/feeds/no-such-search.atom", "/feeds/%3Cscript%3E.atom"):
        r = client.get(path)
        assert r.status_code == 404 and r.mimetype == "text/plain"
        assert "no such feed" in r.get_data(as_text=True) and "<html" not in r.get_data(as_text=True)
        assert "<script>" not in r.get_data(as_text=True)
    assert client.get("/feeds/revenue-growth.rss").status_code == 404


def test_the_feed_needs_no_api_key(tmp_path):
    a = Archive.open(Settings(home=tmp_path, encoder="hash", api_key="s3cret"))
    try:
        a.save_search("Margins", SearchRequest.build(text="margin"))
        c = create_app(archive=a).test_client()
        assert c.get("/api/saved").status_code == 401
        assert not feedparser.parse(fetch(c, "/feeds/margins.atom").data).bozo
    finally:
        a.close()
