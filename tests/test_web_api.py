"""The JSON API: every route, every error status, one error shape."""
from __future__ import annotations

import pytest

from archive.config import Settings
from archive.service import Archive
from archive.request import SearchRequest
from web import create_app


@pytest.fixture
def client(sample_client):
    """The session's shared sample app (tests/conftest.py): these tests only read."""
    return sample_client


def error_of(resp, status):
    assert resp.status_code == status, resp.data[:300]
    assert resp.is_json
    body = resp.get_json()
    assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"]
    return body["error"]


def test_search(client):
    r = client.get("/api/search?q=enterprise+cloud&ticker=KC&limit=3")
    assert r.status_code == 200
    body = r.get_json()
    assert len(body["hits"]) == 3 and all(h["ticker"] == "KC" for h in body["hits"])
    assert body["query"]["limit"] == 3
    page2 = client.get("/api/search?q=enterprise+cloud&ticker=KC&limit=3&page=2").get_json()
    assert page2["hits"][0]["rank"] == 4


def test_search_says_what_it_read_in_the_query(client):
    body = client.get("/api/search?q=Kingsoft+Cloud+third+quarter+margins").get_json()
    assert body["weights"]["interpreted"] == {"tickers": ["KC"], "names": ["Kingsoft Cloud"], "quarter": 3}
    literal = client.get("/api/search?q=Kingsoft+Cloud+third+quarter+margins&interpret=0").get_json()
    assert "interpreted" not in literal["weights"] and literal["query"]["interpret"] is False


def test_calls_call_turn_health_stats(client):
    calls = client.get("/api/calls?ticker=KC").get_json()
    assert [c["call_id"] for c in calls["calls"]] == ["KC-2020Q1"]
    call = client.get("/api/calls/KC-2020Q1").get_json()
    assert len(call["turns"]) == 28
    t = client.get("/api/turns/KC-2020Q1:t006?context=2").get_json()
    assert t["turn"]["speaker"] == "Alexia Quadrani" and len(t["before"]) == 2 and len(t["after"]) == 2
    assert t["call"]["company"] == "Kingsoft Cloud"
    h = client.get("/api/health").get_json()
    assert h["status"] == "ok" and h["index"].startswith("gen-")
    s = client.get("/api/stats").get_json()
    assert s["calls"] == 11 and "db_path" not in s


@pytest.mark.parametrize("url, status, fragment", [
    ("/api/search?q=", 400, "the query is empty"),
    ("/api/search?q=*a*", 400, "wildcards"),
    ("/api/search?q=margin&limit=abc", 400, "must be a whole number"),
    ("/api/search?q=margin&limit=1000", 400, "out of range"),
    ("/api/search?q=margin&page=999", 400, "out of range"),
    ("/api/search?q=margin&year=20x", 400, "must be a whole number"),
    ("/api/search?q=margin&years=2021-2019", 400, "year range"),
    ("/api/search?q=margin&q=other", 400, "given 2 times"),
    ("/api/search?q=margin&role=ceo", 400, "role 'ceo'"),
    ("/api/search?q=margin&quarter=7", 400, "quarter 7 is out of range: use 1 to 4"),
    ("/api/search?q=margin&interpret=yes", 400, "'interpret' must be 0 or 1"),
    ("/api/search?q=" + "x" * 100_000, 400, "too long"),
    ("/api/calls/NOPE-2020Q1", 404, "no call"),
    ("/api/turns/NOPE:t001", 404, "no turn"),
    ("/api/turns/KC-2020Q1:t001?context=99", 400, "out of range"),
    ("/api/calls/../../etc/passwd", 404, ""),
    ("/api/nowhere", 404, ""),
])
def test_errors_have_one_shape(client, url, status, fragment):
    e = error_of(client.get(url), status)
    assert fragment in e["message"]
    assert "Traceback" not in e["message"]


def test_wrong_method(client):
    e = error_of(client.post("/api/search?q=margin"), 405)
    assert e["code"] == "method_not_allowed"
    error_of(client.delete("/api/calls/KC-2020Q1"), 405)


def test_security_headers(client):
    r = client.get("/api/health")
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]


def test_trend_counts_what_was_said(client):
    from flask import current_app
    with client.application.app_context():
        a = current_app.config["ARCHIVE"]
        t = a.trend(SearchRequest("cloud"))
    q1 = next(x for x in t["quarters"] if x["period"] == "2020Q1")
    # 'cloud' is in the Kingsoft Cloud context of all 28 turns, but said in fewer of them
    assert 0 < q1["turns"] < 28 and q1["calls"] == 1 and q1["calls_on_file"] == 2 and q1["share"] == 0.5
    assert sum(x["calls_on_file"] for x in t["quarters"]) == 11


def test_trend_route(client):
    body = client.get("/api/trend?q=cloud&ticker=KC").get_json()
    assert [x["period"] for x in body["quarters"]] == ["2020Q1"] and body["quarters"][0]["calls"] == 1
    error_of(client.get("/api/trend?q=*"), 400)


def test_openapi_matches_the_routes(client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    documented = set(doc["paths"])
    routes = {str(r.rule).replace("<path:", "{").replace(">", "}") for r in client.application.url_map.iter_rules()
              if str(r.rule).startswith("/api/")}
    assert documented == routes
    for path, ops in doc["paths"].items():
        rule = next(r for r in client.application.url_map.iter_rules()
                    if str(r.rule).replace("<path:", "{").replace(">", "}") == path)
        assert {m.lower() for m in rule.methods if m not in ("HEAD", "OPTIONS")} == set(ops), path
    search = {p["name"] for p in doc["paths"]["/api/search"]["get"]["parameters"]}
    assert search >= {"q", "ticker", "year", "years", "quarter", "speaker", "role", "section", "mode", "limit", "page"}


def test_concurrent_requests_share_one_model_safely(client):
    from concurrent.futures import ThreadPoolExecutor
    app = create_app(archive=client.application.config["ARCHIVE"], max_in_flight=8)

    def one(i):
        with app.test_client() as c:
            r = c.get("/api/search?q=enterprise+cloud+growth&mode=semantic&limit=5")
            return r.status_code, [h["turn_id"] for h in r.get_json()["hits"]]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(32)))
    assert {code for code, _ in results} == {200}
    assert len({tuple(ids) for _, ids in results}) == 1


def test_hits_and_turns_carry_deep_links_and_citations(client):
    h = client.get("/api/search?q=gross+margin&ticker=KC&limit=1").get_json()["hits"][0]
    assert h["url"].startswith("http://127.0.0.1:8000/calls/KC-2020Q1?turn=KC-2020Q1:t")
    assert h["url"].endswith("#" + h["turn_id"].split(":")[1])
    assert h["citation"].startswith("Kingsoft Cloud Q1 2020 earnings call, ")
    t = client.get("/api/turns/KC-2020Q1:t003").get_json()
    assert t["citation"] == "Kingsoft Cloud Q1 2020 earnings call, Haijian He (CFO), Prepared remarks"
    assert client.get(t["url"].replace("http://127.0.0.1:8000", "")).status_code == 200


def test_connector_search_and_fetch(client):
    res = client.get("/api/connector/search?query=enterprise+cloud").get_json()["results"]
    assert res and set(res[0]) == {"id", "title", "url"}
    doc = client.get("/api/connector/fetch?id=" + res[0]["id"]).get_json()
    assert set(doc) == {"id", "title", "text", "url", "metadata"} and doc["id"] == res[0]["id"]
    assert doc["url"] == res[0]["url"] and doc["metadata"]["call_id"] in doc["url"] and len(doc["text"]) > 20
    error_of(client.get("/api/connector/fetch"), 400)
    error_of(client.get("/api/connector/fetch?id=NOPE:t1"), 404)


def test_api_key_when_set(tmp_path):
    from web.security import is_loopback, require_key_beyond_loopback
    a = Archive.open(Settings(home=tmp_path, encoder="hash", api_key="s3cret"))
    c = create_app(archive=a).test_client()
    assert error_of(c.get("/api/stats"), 401)["code"] == "unauthorized"
    assert error_of(c.get("/api/stats", headers={"X-API-Key": "wrong"}), 401)
    assert c.get("/api/stats", headers={"X-API-Key": "s3cret"}).status_code == 200
    a.close()
    assert is_loopback("127.0.0.1") and is_loopback("::1") and not is_loopback("0.0.0.0")
    from archive.errors import ArchiveError
    with pytest.raises(ArchiveError) as e:
        require_key_beyond_loopback("0.0.0.0", "")
    assert "ARCHIVE_API_KEY" in e.value.hint


def test_searches_beyond_capacity_get_a_fast_503(sample_archive):
    """With one search slot taken, the next search is refused at once (503, Retry-After) instead of queued."""
    import threading
    a = sample_archive
    gate, entered = threading.Event(), threading.Event()
    real = a.search

    def slow(q):
        entered.set()
        gate.wait(10)
        return real(q)
    a.search = slow                 # on this instance only, for this test: the stored archive is only read
    try:
        app = create_app(archive=a, max_in_flight=1)
        first = {}
        t = threading.Thread(target=lambda: first.setdefault("r", app.test_client().get("/api/search?q=margin")))
        t.start()
        assert entered.wait(10)
        r = app.test_client().get("/api/search?q=margin")
        assert r.status_code == 503 and r.headers["Retry-After"] == "1" and r.get_json()["error"]["code"] == "busy"
        assert app.test_client().get("/api/health").status_code == 200       # health keeps answering
        page = app.test_client().get("/?q=margin")
        assert page.status_code == 503 and page.mimetype == "text/html"      # pages too, as a page
        gate.set()
        t.join(10)
        assert first["r"].status_code == 200
        assert app.test_client().get("/api/search?q=margin").status_code == 200
    finally:
        gate.set()
        del a.search
