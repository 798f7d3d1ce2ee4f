"""The pages with Flask's test client: search with filters, empty states, the viewer, the trend chart, escaping."""
from __future__ import annotations

import json

import pytest

from archive.config import Settings
from archive.service import Archive
from web import create_app

from .conftest import SAMPLE

HOSTILE = '<script>alert("x")</script> & \'quotes\''


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    home = tmp_path_factory.mktemp("pages")
    evil = home / "evil.json"
    evil.write_text(json.dumps({
        "ticker": "EVIL", "company": 'Evil <b>Corp</b> & "Co"', "fiscal_year": 2021, "fiscal_quarter": 1,
        "prepared_remarks": [{"speaker": "Operator", "speech": "Welcome to the call."},
                             {"speaker": '<img src=x onerror="alert(1)">', "speech": "Margins " + HOSTILE}],
        "q_and_a": [{"speaker": "Sam Poe", "speech": "What about margins?"}]}))
    a = Archive.open(Settings(home=home / "h", encoder="hash"))
    assert a.ingest([SAMPLE, evil]).ok
    a.reindex()
    app = create_app(archive=a)
    app.testing = True
    yield app.test_client()
    a.close()


def test_search_page_with_filters(client):
    r = client.get("/?q=enterprise+cloud&ticker=KC&role=executive&section=qa")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Kingsoft Cloud" in html and "<mark>" in html
    assert 'href="/calls/KC-2020Q1?turn=KC-2020Q1:t' in html
    assert 'value="enterprise cloud"' in html and '<option value="executive" selected>' in html


def test_landing_empty_and_error_states(client):
    assert "Search what was said on 12 earnings calls" in client.get("/").get_data(as_text=True)
    html = client.get("/?q=margins&ticker=KC&years=2019").get_data(as_text=True)
    assert "Nothing matches <b>margins</b> in KC 2019" in html and "results without the year filter" in html
    r = client.get("/?q=*wild*")
    assert r.status_code == 400 and "wildcards" in r.get_data(as_text=True)


def test_call_viewer_marks_the_turn_and_terms(client):
    html = client.get("/calls/KC-2020Q1?turn=KC-2020Q1:t006&q=enterprise").get_data(as_text=True)
    assert 'class="turn target" id="t006"' in html and "<mark>enterprise</mark>" in html.lower()
    assert "Participants (8)" in html and "Q&amp;A" in html
    assert client.get("/calls/NOPE").status_code == 404


def test_trend_page_draws_an_svg_with_links(client):
    html = client.get("/trend?q=cloud").get_data(as_text=True)
    assert "<svg" in html and "<rect" in html and 'href="/?q=cloud' in html


def test_everything_is_escaped(client):
    for url in ("/?q=margins&ticker=EVIL", "/calls/EVIL-2021Q1?q=margins", "/?q=%3Cscript%3E",
                "/trend?q=margins&ticker=EVIL"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html and "<img src=x" not in html and "<b>Corp</b>" not in html, url
    html = client.get("/calls/EVIL-2021Q1").get_data(as_text=True)
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=" in html


def test_unknown_page_is_html_and_api_is_json(client):
    r = client.get("/nowhere")
    assert r.status_code == 404 and r.mimetype == "text/html"
    assert client.get("/api/nowhere").is_json
    assert "JSON API" in client.get("/api").get_data(as_text=True)


def test_company_filter_with_suggestions(client):
    html = client.get("/?q=revenue&company=Danaher+Corp").get_data(as_text=True)
    assert '<option value="Danaher Corp">' in html and "Danaher Corp" in html and "<article" in html
    assert html.count('<b>Danaher Corp</b>') >= 1


def test_search_page_says_what_it_read_in_the_query(client):
    html = client.get("/?q=Kingsoft+Cloud+margins").get_data(as_text=True)
    assert "Preferring calls of KC" in html and "interpret=0" in html
    literal = client.get("/?q=Kingsoft+Cloud+margins&interpret=0").get_data(as_text=True)
    assert "Preferring" not in literal
