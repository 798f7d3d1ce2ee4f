"""The saved searches' tables in the store: an archive from before them gains them on open with its calls
intact; a turn is recorded once per saved search; the webhook outbox leases a delivery to one sender at a time;
removing a saved search takes its history and its queued deliveries with it."""
from __future__ import annotations

import sqlite3
from types import SimpleNamespace

from archive.request import SearchRequest
from archive.saved import SavedSearches, slug_of
from archive.store import SCHEMA_VERSION, Store

from .conftest import SEED


def _hit(turn_id: str, call_id: str = "KC-2020Q1"):
    return SimpleNamespace(turn_id=turn_id, call_id=call_id, company="Kingsoft Cloud", ticker="KC", year=2020,
                           quarter=1, date=None, speaker="Haijian He", title="CFO", role="executive", section="qa",
                           passage="p", snippet="s", citation="c", url="u", match=0.9, strength="strong", rank=1,
                           question=None)


def test_an_archive_from_before_saved_searches_gains_them(archive):
    assert archive.ingest([SEED], meta={"ticker": "KC"}).ok
    path = archive.store.path
    archive.close()
    db = sqlite3.connect(path)
    for t in ("deliveries", "saved_hits", "saved_searches"):
        db.execute(f"DROP TABLE {t}")
    db.execute("PRAGMA user_version=3")
    db.commit()
    db.close()
    store = Store(path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.stats()["calls"] == 1
    saved = SavedSearches(store)
    assert saved.add("Cloud", SearchRequest.build(text="cloud")).slug == "cloud"
    store.close()


def test_a_turn_is_recorded_once_and_deliveries_are_leased(tmp_path):
    store = Store(tmp_path / "a.sqlite3")
    saved = SavedSearches(store)
    s = saved.add("Cloud margins", SearchRequest.build(text="cloud"), webhook="http://127.0.0.1:9/x")
    assert [h["turn_id"] for h in saved.record(s, [_hit("KC-2020Q1:t001"), _hit("KC-2020Q1:t002")], "gen-1")] == \
        ["KC-2020Q1:t001", "KC-2020Q1:t002"]
    assert [h["turn_id"] for h in saved.record(s, [_hit("KC-2020Q1:t002"), _hit("KC-2020Q1:t003")], "gen-2")] == \
        ["KC-2020Q1:t003"]
    assert saved.record(s, [_hit("KC-2020Q1:t003")], "gen-3") == []          # nothing new: nothing queued
    assert saved.counts(s)["recorded"] == 3 and len(saved.deliveries()) == 2
    first = saved.claim_due(now=1e12, lease=60)
    assert first is not None
    second = saved.claim_due(now=1e12, lease=60)
    assert second is not None and second["id"] != first["id"]                # the first is leased to its sender
    assert saved.claim_due(now=1e12, lease=60) is None
    assert saved.claim_due(now=1e12 + 61, lease=60) is not None              # a lease that ran out is claimable
    saved.retry_later(first["id"], "boom", None)                               # given up
    assert {d["id"]: d["status"] for d in saved.deliveries()}[first["id"]] == "failed"
    saved.remove("cloud margins")
    assert saved.deliveries() == [] and store.db.execute("SELECT count(*) FROM saved_hits").fetchone()[0] == 0
    store.close()


def test_slugs():
    assert slug_of("Pricing pressure (KC)") == "pricing-pressure-kc"
    assert slug_of("  AWS / backlog  ") == "aws-backlog"
    assert slug_of("価格").startswith("search-") and slug_of("価格") != slug_of("利益")


def test_saved_search_writes_leave_the_calls_version_alone(archive):
    """The caches of what the calls hold (companies, index status) key on Store.version: the web server's sender
    polling the outbox, or a visit to a saved search, must not invalidate them; a change to the calls must."""
    store = archive.store
    saved = SavedSearches(store)
    before = store.version()
    s = saved.add("Cloud", SearchRequest.build(text="cloud"), webhook="http://127.0.0.1:9/x")
    saved.record(s, [_hit("KC-2020Q1:t001")], "gen-1")
    saved.claim_due(now=1e12, lease=60)
    saved.visited(s)
    assert store.version() == before
    assert archive.ingest([SEED], meta={"ticker": "KC"}).ok
    after = store.version()
    assert after != before
    store.delete_call("KC-2020Q1")
    assert store.version() != after
