"""Searchable means searchable: `ingest` makes what it stored searchable unless told --no-index, and every
front door says when some stored calls are not searchable yet and how to fix it. Errors are answered with the
same status by the page and the API, each hint worded for its door."""
from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from archive.cli import main
from archive.config import Settings
from archive.request import SearchRequest
from archive.service import Archive
from web import create_app

from .conftest import SAMPLE


def cli(home, *args):
    return CliRunner().invoke(main, ["--home", str(home), *args])


def test_ingest_makes_what_it_stored_searchable(tmp_path):
    r = cli(tmp_path, "ingest", str(SAMPLE / "kingsoft-cloud-2020-q1.txt"))
    assert r.exit_code == 0, r.output
    assert "searchable: index generation gen-000001" in r.output
    found = json.loads(cli(tmp_path, "search", "enterprise cloud", "--json").output)
    assert found["hits"] and "notice" not in found


def test_no_index_stores_and_every_door_says_what_is_not_searchable(tmp_path):
    assert cli(tmp_path, "ingest", str(SAMPLE / "kingsoft-cloud-2020-q1.txt")).exit_code == 0
    r = cli(tmp_path, "ingest", "--no-index", str(SAMPLE / "yeti-holdings-2020-q3.json"))
    assert r.exit_code == 0 and "1 stored call is not searchable yet (e.g. YETI-2020Q3)" in r.output
    assert "`python -m archive reindex`" in r.output
    # the CLI: search and stats
    r = cli(tmp_path, "search", "outdoor products")
    assert "note: 1 stored call is not searchable yet" in r.output
    stats = json.loads(cli(tmp_path, "stats", "--json").output)
    assert stats["calls"] == 2 and {k: stats["index"][k] for k in ("generation", "calls_searchable", "pending",
                                                                    "removed")} == {
        "generation": "gen-000001", "calls_searchable": 1, "pending": 1, "removed": 0}
    assert "1 of 2 calls searchable" in cli(tmp_path, "stats").output
    # the API and the page
    with Archive.open(Settings(home=tmp_path, encoder="hash")) as a:
        client = create_app(archive=a).test_client()
        body = client.get("/api/search?q=outdoor+products").get_json()
        assert body["notice"]["message"].startswith("1 stored call is not searchable yet")
        assert body["notice"]["hint"].endswith("an operator runs: python -m archive reindex")
        assert client.get("/api/health").get_json()["notice"]["message"] == body["notice"]["message"]
        page = client.get("/?q=outdoor+products").get_data(as_text=True)
        assert 'class="notice"' in page and "not searchable yet" in page
        assert "python -m archive" not in page and "`" not in page
    # one reindex and the notices are gone
    assert cli(tmp_path, "reindex", "-q").exit_code == 0
    found = json.loads(cli(tmp_path, "search", "outdoor products", "--ticker", "YETI", "--json").output)
    assert found["hits"] and "notice" not in found


def test_a_deleted_call_still_in_the_index_is_said(tmp_path):
    with Archive.open(Settings(home=tmp_path, encoder="hash")) as a:
        assert a.ingest([SAMPLE]).ok
        a.reindex()
        a.delete_call("KC-2020Q1")
        assert a.pending_notice().message == "1 deleted call is still in the index"
        assert all(h.call_id != "KC-2020Q1" for h in a.search(SearchRequest("cloud", limit=100)).hits)


@pytest.fixture
def unindexed(tmp_path):
    a = Archive.open(Settings(home=tmp_path, encoder="hash"))
    assert a.ingest([SAMPLE / "kingsoft-cloud-2020-q1.txt"]).ok      # stored, never indexed
    yield a
    a.close()


def test_no_index_yet_is_the_same_503_on_the_page_and_the_api(unindexed):
    client = create_app(archive=unindexed).test_client()
    api = client.get("/api/search?q=cloud")
    page = client.get("/?q=cloud")
    assert api.status_code == page.status_code == 503
    err = api.get_json()["error"]
    assert err["code"] == "not_ready" and err["hint"].endswith("an operator runs: python -m archive reindex")
    html = page.get_data(as_text=True)
    assert "no search index has been built yet" in html and "`" not in html and "python -m" not in html
    assert client.get("/api/health").get_json()["ready"] is False


def test_the_cli_words_the_same_error_for_a_shell(tmp_path):
    shutil.copy(SAMPLE / "kingsoft-cloud-2020-q1.txt", tmp_path / "kc.txt")
    assert cli(tmp_path / "h", "ingest", "--no-index", str(tmp_path / "kc.txt")).exit_code == 0
    r = cli(tmp_path / "h", "search", "cloud")
    assert r.exit_code == 2
    assert "error: no search index has been built yet" in r.output and "`python -m archive reindex`" in r.output
    r = cli(tmp_path / "h", "search", "cloud", "--role", "boss")
    assert r.exit_code == 2 and "'boss' is not one of" in r.output


def test_a_bad_request_is_refused_before_anything_heavy_runs(unindexed):
    """An empty or malformed query is answered 400 at once, even with no index to search."""
    client = create_app(archive=unindexed).test_client()
    for url in ("/api/search?q=", "/api/search?q=a&limit=0", "/api/search?q=a&role=boss"):
        r = client.get(url)
        assert r.status_code == 400, url
    assert unindexed.readiness()["model"] is False          # the model was never loaded
