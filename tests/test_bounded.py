"""Bounded responses: a hit carries a bounded passage and text (the turn endpoint has the whole turn), lists are
capped, and an error does not repeat a huge input."""
from __future__ import annotations

import json

from archive.config import Settings
from archive.request import SearchRequest
from archive.service import Archive
from archive.snippets import MAX_HIT_TEXT, MAX_PASSAGE
from web import create_app


def test_a_hit_on_a_huge_turn_is_bounded(tmp_path):
    huge = "x" * 5_000_000                                   # one 5 MB word: a single chunk
    call = {"ticker": "HUGE", "year": 2021, "quarter": 1, "turns": [
        {"speaker": "Operator", "text": "Welcome to the call."},
        {"speaker": "Jane Roe", "title": "CFO", "text": "Revenue grew nicely. " + huge},
        {"speaker": "John Poe", "title": "Analyst", "text": "What about margins?"}]}
    f = tmp_path / "huge.json"
    f.write_text(json.dumps(call))
    with Archive.open(Settings(home=tmp_path / "h", encoder="hash")) as a:
        assert a.ingest([f]).ok
        a.reindex()
        hit = next(h for h in a.search(SearchRequest("revenue grew", mode="lexical")).hits if h.speaker == "Jane Roe")
        assert hit.truncated and len(hit.passage) <= MAX_PASSAGE + 2 and len(hit.text) <= MAX_HIT_TEXT + 2
        client = create_app(archive=a).test_client()
        r = client.get("/api/search?q=revenue+grew&mode=lexical")
        assert r.status_code == 200 and len(r.data) < 100_000
        whole = client.get(f"/api/turns/{hit.turn_id}").get_json()["turn"]["text"]
        assert len(whole) > 5_000_000


def test_lists_are_capped_and_errors_do_not_echo_huge_input(sample_client):
    r = sample_client.get("/api/calls?limit=5")
    body = r.get_json()
    assert len(body["calls"]) == 5 and body["total"] == 11 and body["next_offset"] == 5
    assert sample_client.get("/api/calls?limit=5000").status_code == 400
    rest = sample_client.get("/api/calls?limit=5&offset=10").get_json()
    assert len(rest["calls"]) == 1 and rest["next_offset"] is None
    for url in ("/api/calls/" + "A" * 100_000, "/?q=" + "a" * 100_000, "/trend?q=" + "a" * 100_000,
                "/api/turns/" + "B" * 100_000):
        r = sample_client.get(url)
        assert r.status_code in (400, 404) and len(r.data) < 20_000, (url[:30], len(r.data))
