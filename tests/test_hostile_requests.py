"""Hostile requests to every route: each gets a 4xx with the standard shape (a page for people), never a 500, never
an echo of live markup; an over-long query is refused before any search runs, and a search answers at most its
limit of hits."""
from __future__ import annotations

import pytest

SCRIPT = "<script>alert(1)</script>"
LONG = "x" * 100_000
VALUES = ["", LONG, "*a*", "(" * 500 + "a" + ")" * 500, "text:foo", "NOT NOT x", "-1", "1e99", "abc",
          "%ZZ", "%", "%E0%A4%A", "\udcff", SCRIPT, "../../etc/passwd", "a OR", '"unclosed', "1" * 5000]
ROUTES = ["/api/search?q={v}", "/api/search?q=margin&limit={v}", "/api/search?q=margin&page={v}",
          "/api/search?q=margin&year={v}", "/api/search?q=margin&years={v}", "/api/search?q=margin&quarter={v}",
          "/api/search?q=margin&role={v}", "/api/search?q=margin&mode={v}", "/api/search?q=margin&ticker={v}",
          "/api/search?q=margin&lexical_weight={v}", "/api/calls?year={v}", "/api/calls?ticker={v}",
          "/api/calls/{v}", "/api/turns/{v}", "/api/turns/KC-2020Q1:t001?context={v}", "/api/trend?q={v}",
          "/api/connector/search?query={v}", "/api/connector/fetch?id={v}",
          "/?q={v}", "/?q=margin&limit={v}", "/?q=margin&years={v}", "/calls/{v}", "/trend?q={v}",
          "/api/trend?q=cloud&q={v}", "/api/trend?q=cloud&ticker=KC&split={v}", "/trend?q=cloud&measure={v}",
          "/trend?q=cloud&q={v}&split=company&ticker={v}"]
QUERY_ROUTES = {"/api/search?q={v}", "/api/trend?q={v}", "/api/connector/search?query={v}", "/?q={v}", "/trend?q={v}",
                "/api/trend?q=cloud&q={v}"}


@pytest.fixture
def client(sample_client):
    """The session's shared sample app (tests/conftest.py): every request here only reads."""
    return sample_client


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_answers_hostile_values(client, route):
    from urllib.parse import quote
    for v in VALUES:
        raw = v if v.startswith("%") else quote(v, safe="", errors="surrogatepass") if v else v
        r = client.get(route.format(v=raw))
        assert r.status_code < 500, (route, v[:40], r.status_code, r.data[:200])
        body = r.get_data(as_text=True)
        assert SCRIPT not in body, (route, v[:40])
        if route.startswith("/api") and r.status_code >= 400:
            assert r.is_json and set(r.get_json()) == {"error"}, (route, v[:40])
        if route in QUERY_ROUTES and v == LONG:          # refused by its length, before any search runs
            assert r.status_code == 400 and "too long (100000 characters" in body, (route, r.status_code, body[:200])
        if route.startswith("/api/search") and r.status_code == 200:     # the work is bounded by the limit
            j = r.get_json()
            assert len(j["hits"]) <= j["query"]["limit"] <= 100, (route, v[:40])


def test_repeated_parameters_and_methods(client):
    assert client.get("/api/search?q=a&q=b").status_code == 400
    assert client.get("/api/search?q=margin&limit=5&limit=6").status_code == 400
    for method in ("post", "put", "delete", "patch"):
        r = getattr(client, method)("/api/search?q=margin")
        assert r.status_code == 405 and r.is_json


def test_oversized_and_malformed_bodies(client):
    r = client.post("/api/search", data=b"{" * 200_000, content_type="application/json")
    assert r.status_code in (405, 413) and r.is_json
    r = client.get("/api/search?q=margin", data=b"\xff" * 100_000)
    assert r.status_code in (200, 400, 413)
