"""Webhooks of saved searches against a local receiver the tests start (loopback only): the new hits arrive as
JSON with a delivery id (and a signature when a secret is set); a receiver that fails is retried with backoff
until it recovers, and given up after the attempts allowed, every failure logged; a receiver that hangs never
slows an ingest or a reindex (they only queue), and a CLI ingest sends nothing itself."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from archive.config import Settings
from archive.request import SearchRequest
from archive.service import Archive

from .conftest import ROOT, SAMPLE

LATER = "lands-end-inc-2020-q3.json"         # the call added after the search is saved
QUERY = "catalog"                            # said in it (and in no other sample call)
SEED = ("kingsoft-cloud-2020-q1.txt", "kingsoft-cloud-2020-q1.meta.json")     # added later in one test


class Receiver:
    """A webhook receiver on 127.0.0.1: answers `plan` status codes in turn (then 200); hangs while `hold` is set."""

    def __init__(self, plan=(), hold: bool = False):
        self.plan, self.bodies, self.headers = list(plan), [], []
        self.released = threading.Event()
        self.arrived = threading.Event()
        if not hold:
            self.released.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.arrived.set()
                receiver.released.wait(30)
                status = receiver.plan.pop(0) if receiver.plan else 200
                if status == 200:
                    receiver.bodies.append(json.loads(body))
                    receiver.headers.append(dict(self.headers))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(**kw):
        made.append(Receiver(**kw))
        return made[-1]
    yield make
    for r in made:
        r.close()


def _archive(tmp_path, **settings) -> Archive:
    """The sample less two calls, indexed."""
    src = tmp_path / "first"
    src.mkdir()
    for f in SAMPLE.iterdir():
        if f.name != LATER and f.name not in SEED and f.suffix in (".json", ".txt"):
            shutil.copy(f, src / f.name)
    a = Archive.open(Settings(home=tmp_path / "home", encoder="hash", **settings))
    assert a.ingest([src]).ok
    a.reindex()
    return a


def _add_later(a: Archive, tmp_path):
    later = tmp_path / "later"
    later.mkdir(exist_ok=True)
    shutil.copy(SAMPLE / LATER, later / LATER)
    assert a.ingest([later]).ok
    return a.reindex()


def test_new_hits_arrive_as_json_with_a_delivery_id_and_signature(tmp_path, receiver):
    r = receiver()
    a = _archive(tmp_path, webhook_secret="s3cret")
    a.save_search("Catalog", SearchRequest.build(text=QUERY, mode="lexical"), webhook=r.url)
    result = _add_later(a, tmp_path)
    assert result.alerts["deliveries"] == 1 and result.alerts["new_hits"] >= 1
    assert r.bodies == []                                       # queued by the reindex, not sent by it
    attempts = a.webhook_sender().send_due()
    assert [x.ok for x in attempts] == [True]
    body, headers = r.bodies[0], r.headers[0]
    recorded = a.saved_search("Catalog")["recorded_hits"]
    assert body["event"] == "new_hits" and body["saved_search"]["name"] == "Catalog"
    assert body["count"] == len(body["hits"]) == len(recorded) == result.alerts["new_hits"]
    assert {h["turn_id"] for h in body["hits"]} == {h["turn_id"] for h in recorded}
    assert {h["call_id"] for h in body["hits"]} == {"LE-2020Q3"}
    assert all(h["url"].startswith("http") and h["citation"] for h in body["hits"])
    assert headers["X-Archive-Delivery"] == str(body["delivery_id"])
    raw = json.dumps({k: v for k, v in body.items()}).encode()        # the body as sent, key order kept
    assert headers["X-Archive-Signature"] == "sha256=" + hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()
    assert a.webhook_sender().send_due() == []                  # delivered once: nothing more is due
    assert a.saved_search("Catalog")["last_delivery"]["status"] == "delivered"
    a.close()


def test_a_failing_receiver_is_retried_with_backoff_until_it_recovers(tmp_path, receiver, caplog):
    r = receiver(plan=[500, 503])
    a = _archive(tmp_path, webhook_backoff=0.05, webhook_attempts=5)
    a.save_search("Catalog", SearchRequest.build(text=QUERY, mode="lexical"), webhook=r.url)
    _add_later(a, tmp_path)
    with caplog.at_level(logging.WARNING, logger="archive.webhooks"):
        first = a.webhook_sender().send_due()
        assert [x.ok for x in first] == [False] and "500" in first[0].error
        pending = a.saved_search("Catalog")["deliveries"][0]
        assert pending["status"] == "pending" and pending["attempts"] == 1 and "500" in pending["last_error"]
        assert pending["next_at"] > 0
        rest = a.webhook_sender().until_done(give_up_after=30)
    assert [x.ok for x in rest] == [False, True]                 # 503, then it recovered
    done = a.saved_search("Catalog")["deliveries"][0]
    assert done["status"] == "delivered" and done["attempts"] == 3 and done["last_error"] is None
    assert len(r.bodies) == 1
    logged = [rec.getMessage() for rec in caplog.records if rec.name == "archive.webhooks"]
    assert any("answered 500" in m for m in logged) and any("answered 503" in m for m in logged)
    a.close()


def test_a_receiver_that_never_recovers_is_given_up_and_logged(tmp_path, caplog):
    a = _archive(tmp_path, webhook_backoff=0.01, webhook_attempts=3)
    dead = "http://127.0.0.1:9/hook"                # the discard port: nothing listens
    a.save_search("Catalog", SearchRequest.build(text=QUERY, mode="lexical"), webhook=dead)
    _add_later(a, tmp_path)
    with caplog.at_level(logging.WARNING, logger="archive.webhooks"):
        attempts = a.webhook_sender().until_done(give_up_after=30)
    assert [x.ok for x in attempts] == [False, False, False] and attempts[-1].gave_up
    d = a.saved_search("Catalog")["deliveries"][0]
    assert d["status"] == "failed" and d["attempts"] == 3 and "could not reach" in d["last_error"]
    assert any(rec.levelno == logging.ERROR and "gave up after 3 attempts" in rec.getMessage()
               for rec in caplog.records)
    assert a.webhook_sender().until_done(give_up_after=1) == []       # given up: never tried again
    a.close()


def test_a_hanging_receiver_does_not_hold_up_an_ingest(tmp_path, receiver):
    """The sender is stuck in a receiver that does not answer; meanwhile a second call is ingested and indexed,
    and its alert queued, while the first delivery is still unanswered."""
    r = receiver(hold=True)
    a = _archive(tmp_path, webhook_timeout=60)
    a.save_search("Catalog", SearchRequest.build(text=QUERY, mode="lexical"), webhook=r.url)
    a.save_search("Seed", SearchRequest.build(text="enterprise cloud", mode="lexical"), webhook=r.url)
    sender = a.webhook_sender().start(poll=0.05)
    _add_later(a, tmp_path)                                     # queues a delivery for Catalog
    assert r.arrived.wait(30)                                   # the sender is now waiting on the receiver
    seed = tmp_path / "seed"
    seed.mkdir()
    for name in SEED:
        shutil.copy(SAMPLE / name, seed / name)
    report = a.ingest([seed])
    result = a.reindex()
    assert report.ok and result.outcome == "built" and result.alerts["deliveries"] >= 1
    # the ingest and the reindex are done, and the receiver has still not answered the first delivery
    assert not r.released.is_set() and r.bodies == []
    states = {d["slug"]: d for d in a.saved.deliveries()}
    assert states["catalog"]["status"] == "pending" and states["catalog"]["attempts"] == 0      # still in flight
    assert states["seed"]["status"] == "pending"
    r.released.set()                                            # the background sender now sends both
    for _ in range(300):
        if {d["status"] for d in a.saved.deliveries()} == {"delivered"}:
            break
        time.sleep(0.1)
    sender.stop(timeout=30)
    assert {d["status"] for d in a.saved.deliveries()} == {"delivered"}
    assert {b["saved_search"]["slug"] for b in r.bodies} == {"catalog", "seed"}
    a.close()


def test_a_timeout_is_a_failed_attempt(tmp_path, receiver):
    r = receiver(hold=True)
    a = _archive(tmp_path, webhook_timeout=0.3, webhook_backoff=60)
    a.save_search("Catalog", SearchRequest.build(text=QUERY, mode="lexical"), webhook=r.url)
    _add_later(a, tmp_path)
    [attempt] = a.webhook_sender().send_due()
    assert not attempt.ok and "timed out" in attempt.error
    d = a.saved.deliveries()[0]
    assert d["status"] == "pending" and d["attempts"] == 1        # tried again after the backoff
    assert a.webhook_sender().send_due() == []                     # not due yet
    a.close()


@pytest.mark.slow                # two CLI processes
def test_a_cli_ingest_queues_and_never_sends(tmp_path, receiver):
    """`archive ingest` returns with the receiver hanging and never contacted: the server (or `saved deliver`)
    sends; `saved deliver` then sends it."""
    r = receiver(hold=True)
    a = _archive(tmp_path)
    a.save_search("Catalog", SearchRequest.build(text=QUERY, mode="lexical"), webhook=r.url)
    a.close()
    later = tmp_path / "later"
    later.mkdir()
    shutil.copy(SAMPLE / LATER, later / LATER)
    env = {**os.environ, "ARCHIVE_ENCODER": "hash", "PYTHONPATH": str(ROOT)}
    cli = [sys.executable, "-m", "archive", "--home", str(tmp_path / "home")]
    out = subprocess.run(cli + ["ingest", str(later)], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "1 webhook delivery queued" in out.stderr
    assert not r.arrived.is_set()
    r.released.set()
    sent = subprocess.run(cli + ["saved", "deliver", "--json"], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert sent.returncode == 0, sent.stderr
    assert [x["ok"] for x in json.loads(sent.stdout)] == [True] and len(r.bodies) == 1


def test_an_address_that_leads_to_a_link_local_host_is_never_sent_to(tmp_path):
    """169.254.169.254 written as a number passes the check at saving (it is not an address as written), but
    the sender resolves it and refuses: the delivery is given up at once, unsent."""
    a = _archive(tmp_path)
    a.save_search("Catalog", SearchRequest.build(text=QUERY, mode="lexical"), webhook="http://2852039166/hook")
    _add_later(a, tmp_path)
    [attempt] = a.webhook_sender().send_due()
    assert not attempt.ok and attempt.gave_up and attempt.status is None and "link-local" in attempt.error
    assert a.saved.deliveries()[0]["status"] == "failed"
    a.close()
