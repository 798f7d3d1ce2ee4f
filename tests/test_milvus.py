"""The Milvus engine (engine = milvus) run against Milvus Lite: the same results as the local engines, its
generations as collections, what an unreachable Milvus does to searches and ingests, and the one-process rule of
Milvus Lite. (The engine-level, search and reindex tests run on Milvus too: test_engines, test_search and
test_reindex are parametrized over every search engine.)"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from archive.config import Settings
from archive.errors import BadRequestError, EngineUnavailableError
from archive.request import SearchRequest
from archive.service import Archive
from index.generations import Generations

from .conftest import HAVE_MILVUS, NO_MILVUS, ROOT, SAMPLE

pytestmark = [pytest.mark.milvus, pytest.mark.skipif(not HAVE_MILVUS, reason=NO_MILVUS)]
ENV = {**{k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_")}, "ARCHIVE_ENCODER": "hash",
       "PYTHONPATH": str(ROOT)}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]           # nothing listens there once the socket is closed


def collections(home) -> list[str]:
    from index.milvus_index import connect, release
    holder = object()
    try:
        return sorted(connect(str(home / "milvus.db"), holder=holder).list_collections())
    finally:
        release(holder)


@pytest.fixture
def on_milvus(tmp_path):
    a = Archive.open(Settings(home=tmp_path / "home", encoder="hash", engine="milvus"))
    assert a.ingest([SAMPLE]).ok
    a.reindex()
    yield a
    a.close()


def test_lexical_results_compare_one_to_one_with_tantivy(on_milvus, tmp_path, monkeypatch):
    with Archive.open(Settings(home=tmp_path / "tv", encoder="hash", lexical_engine="tantivy")) as tv:
        assert tv.ingest([SAMPLE]).ok
        tv.reindex()
        for q in ("gross margin", "cloud revenue growth", "guidance for the fourth quarter", '"free cash flow"',
                  "supply chain -covid", "$1.7 million"):
            mine = [h.turn_id for h in on_milvus.search(SearchRequest(q, mode="lexical", limit=10)).hits]
            theirs = [h.turn_id for h in tv.search(SearchRequest(q, mode="lexical", limit=10)).hits]
            assert mine and len(set(mine) & set(theirs)) >= 0.8 * len(theirs), q     # same terms, same BM25
            assert theirs[0] in mine[:3], q     # (tantivy scores a phrase by its own frequency, Milvus by its words)
        ours, its = on_milvus.searcher.lexical, tv.searcher.lexical
        from index import milvus_index
        for probe in (milvus_index.DF_PROBE, 2):       # read from the postings, and counted (a common term)
            monkeypatch.setattr(milvus_index, "DF_PROBE", probe)
            ours._df.clear()
            for word in ("margin", "cloud", "$1.7", "guidance", "xylophone"):
                term = its.terms_by_position(word)[0][0]
                assert ours.doc_frequency(term) == its.doc_frequency(term), (word, probe)
        assert len(ours) == len(its)


def test_generations_are_collections_and_an_update_upserts_in_place(on_milvus):
    home = on_milvus.settings.home
    gens = Generations(home / "index")
    first = gens.manifest(gens.current())
    assert first["lexical_engine"] == "milvus" and first["collection"] == "archive_gen_000001"
    assert first["milvus"]["aliases"] is False             # Milvus Lite has none: CURRENT names the collection
    on_milvus.delete_call("KC-2020Q1")
    r = on_milvus.reindex()
    assert (r.outcome, r.full, r.deleted) == ("built", False, 1)
    update = gens.manifest(gens.current())
    assert update["collection"] == first["collection"] and update["built_from"] == "gen-000001"
    assert not on_milvus.searcher.lexical.ids_of("call_id", ["KC-2020Q1"])
    assert len(on_milvus.searcher.lexical) == update["passages"] < first["passages"]
    for _ in range(2):
        assert on_milvus.reindex(full=True).full
    live = gens.manifest(gens.current())["collection"]
    assert live == "archive_gen_000004"
    assert collections(home) == ["archive_gen_000003", live]    # the previous full build's is kept, no older


def test_switching_engines_embeds_nothing_again(tmp_path, monkeypatch):
    from index.encoders import HashEncoder
    embedded = []
    encode = HashEncoder.encode
    monkeypatch.setattr(HashEncoder, "encode", lambda self, texts, *a, **k: embedded.append(len(texts)) or
                        encode(self, texts, *a, **k))
    with Archive.open(Settings(home=tmp_path / "home", encoder="hash")) as a:
        assert a.ingest([SAMPLE]).ok
        a.reindex()
        local = [h.turn_id for h in a.search(SearchRequest("gross margin", mode="semantic", limit=5)).hits]
        assert sum(embedded) > 1000
    embedded.clear()
    with Archive.open(Settings(home=tmp_path / "home", encoder="hash", engine="milvus")) as a:
        r = a.reindex()
        assert (r.outcome, r.full, r.manifest["lexical_engine"]) == ("built", True, "milvus")
        assert sum(embedded) == 0                              # every passage's vector came from the cache
        mine = [h.turn_id for h in a.search(SearchRequest("gross margin", mode="semantic", limit=5)).hits]
        assert mine == local                                   # exact search in both: the same neighbours
    embedded.clear()                                           # (the searches embedded their queries)
    with Archive.open(Settings(home=tmp_path / "home", encoder="hash", engine="local")) as a:
        r = a.reindex()
        assert r.full and r.manifest["lexical_engine"] == "whoosh" and sum(embedded) == 0


def test_an_unreachable_server_answers_503_and_ingest_keeps_the_calls(tmp_path):
    settings = Settings(home=tmp_path / "home", encoder="hash", engine="milvus",
                        milvus_uri=f"http://127.0.0.1:{closed_port()}", milvus_timeout=1)
    with Archive.open(settings) as a:
        assert a.ingest([SAMPLE]).ok
        with pytest.raises(EngineUnavailableError, match=r"Milvus server at http://127\.0\.0\.1:\d+ cannot be "
                                                         r"reached") as e:
            a.reindex()
        assert "run reindex again" in str(e.value) or "nothing stored is lost" in str(e.value)
        assert a.stats()["calls"] == 11                        # the store kept every call
        assert not Generations(settings.index_path).names()    # nothing half-built was made live
    env = {**ENV, "ARCHIVE_ENGINE": "milvus", "ARCHIVE_MILVUS_URI": settings.milvus_uri, "ARCHIVE_MILVUS_TIMEOUT": "1"}
    r = subprocess.run([sys.executable, "-m", "archive", "--home", str(tmp_path / "cli"), "ingest", str(SAMPLE)],
                       cwd=ROOT, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr                          # the files were stored ...
    assert "stored, but not searchable yet" in r.stderr and "cannot be reached" in r.stderr   # ... and it says so
    assert "python -m archive reindex" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "archive", "--home", str(tmp_path / "cli"), "reindex"], cwd=ROOT,
                       env=env, capture_output=True, text=True)
    assert r.returncode == 2 and "cannot be reached" in r.stderr and "Traceback" not in r.stderr


def test_milvus_gone_while_serving_is_a_503_and_it_serves_again_when_back(on_milvus):
    from web import create_app
    from index.milvus_index import connect
    on_milvus.settings = on_milvus.settings.with_(milvus_timeout=1)
    on_milvus.searcher.lexical.timeout = 1          # (the searcher was opened with the fixture's settings)
    client = create_app(archive=on_milvus, max_in_flight=8).test_client()
    assert client.get("/api/search?q=gross+margin").status_code == 200
    from milvus_lite.server_manager import server_manager_instance
    server_manager_instance.release_server(on_milvus.settings.milvus_path)     # the Lite server stops
    r = client.get("/api/search?q=gross+margin")
    assert r.status_code == 503
    body = json.dumps(r.get_json())
    assert "engine_unavailable" in body and "Milvus" in body and "Traceback" not in body
    page = client.get("/?q=gross+margin")
    assert page.status_code == 503 and b"Milvus" in page.data
    health = client.get("/api/health").get_json()            # live, not ready, and it says why
    assert health["ready"] is False and "Milvus" in health["index_error"]
    # Milvus back (here: a new Lite server for the file); the archive opens its index again
    from index.milvus_index import release
    release(on_milvus)
    on_milvus._searcher = None
    connect(on_milvus.settings.milvus_path, holder=on_milvus)
    assert client.get("/api/search?q=gross+margin").status_code == 200


def test_milvus_lite_serves_one_process_and_says_so(on_milvus):
    on_milvus.search(SearchRequest("margin"))                  # this process holds the file
    r = subprocess.run([sys.executable, "-m", "archive", "--home", str(on_milvus.settings.home), "search", "margin"],
                       cwd=ROOT, env={**ENV, "ARCHIVE_MILVUS_TIMEOUT": "1"}, capture_output=True, text=True)
    assert r.returncode != 0 and "one process at a time" in r.stderr and "Traceback" not in r.stderr
    on_milvus.close()                                          # let go: the other process can use it now
    r = subprocess.run([sys.executable, "-m", "archive", "--home", str(on_milvus.settings.home), "search", "margin",
                        "--limit", "1"], cwd=ROOT, env=ENV, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_milvus_settings_are_checked():
    for bad in ({"engine": "elastic"}, {"milvus_collection": "1-bad name"}, {"milvus_vector_index": "annoy"},
                {"milvus_timeout": 0}, {"engine": "milvus", "lexical_engine": "tantivy"}):
        with pytest.raises(BadRequestError):
            Settings(**bad).validate()
