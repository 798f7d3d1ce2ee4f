"""Search results exported as CSV and XLSX (archive/export.py, Archive.export, /api/search.csv|xlsx, `search
--format csv|xlsx`): the columns, one row per hit in rank order with its citation and deep link, the cap, the
provenance sheet, and cells that a spreadsheet never reads as formulas."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest
from click.testing import CliRunner

from archive import export
from archive import cli
from archive.cli import main
from archive.config import Settings
from archive.errors import BadRequestError
from archive.request import EXPORT_MAX, WINDOW, SearchRequest
from archive.service import Archive

openpyxl = pytest.importorskip("openpyxl")

HEADER = [c.header for c in export.COLUMNS]
COL = {c.name: i for i, c in enumerate(export.COLUMNS)}
# A call written for these tests (no third-party text): cells that a spreadsheet would run as formulas.
HOSTILE = {"ticker": "EVIL", "company": "=Evil Widgets", "fiscal_year": 2021, "fiscal_quarter": 1, "turns": [
    {"speaker": "Operator", "speech": "Welcome to the Evil Widgets call about widget sales."},
    {"speaker": "@SUM(1)", "speech": '=HYPERLINK("http://example.invalid/x","widget") widget sales grew this '
                                    "quarter, and widget margins too."},
    {"speaker": "Jane Roe", "speech": "@SUM(1) widget orders were up. Widget demand stayed strong."},
    {"speaker": "+Mallory", "speech": "+1 widget units shipped. The widget backlog is large."}]}


def parse_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")            # the byte-order mark Excel needs for UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def workbook(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def provenance(wb) -> dict:
    return {r[0].value: r[1].value for r in wb[export.SEARCH_SHEET].iter_rows()}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A small archive of the hostile call, stored and indexed with the test encoder."""
    tmp = tmp_path_factory.mktemp("hostile-export")
    f = tmp / "evil.json"
    f.write_text(json.dumps(HOSTILE))
    a = Archive.open(Settings(home=tmp / "home", encoder="hash"))
    assert a.ingest([f]).ok
    a.reindex()
    yield a
    a.close()


# ---- cells ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(1)", "\tx", "\rx", '=HYPERLINK("http://x","y")'])
def test_a_cell_that_starts_like_a_formula_is_neutralised(text):
    assert export.safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Revenue grew 5%", "Q&A", "", "a=b", "50% - or more", "'quoted"])
def test_ordinary_text_is_unchanged(value):
    assert export.safe_cell(value) == value


def test_numbers_stay_numbers_and_none_stays_empty():
    assert export.safe_cell(3) == 3 and export.safe_cell(-0.5) == -0.5 and export.safe_cell(None) is None


def test_the_columns_are_declared_once_with_unique_names():
    names = [c.name for c in export.COLUMNS]
    assert len(set(names)) == len(names)
    assert {"rank", "match", "citation", "url", "question", "passage", "turn_id", "call_id"} <= set(names)
    assert all(c.header and c.width > 0 for c in export.COLUMNS)


def test_a_file_name_is_safe_ascii():
    res = export_of(None, text='Gross "margin" – Café/../x')
    name = export.filename(res, "csv")
    assert re.fullmatch(r"earnings-search-gross-margin-cafe-x-\d{4}-\d{2}-\d{2}\.csv", name), name
    assert re.fullmatch(r"earnings-search-\d{4}-\d{2}-\d{2}\.xlsx", export.filename(export_of(None, text=""), "xlsx"))


def export_of(hits, text="x"):
    from archive.models import SearchResults
    return SearchResults(SearchRequest.build(text=text), hits or [], 0, 0.0)


# ---- Archive.export ------------------------------------------------------------------------------------------

def test_csv_has_the_header_and_one_row_per_hit_in_rank_order(sample_archive):
    res = sample_archive.export(SearchRequest.build(text="revenue growth", mode="lexical"))
    assert len(res.hits) > 10
    rows = parse_csv(export.to_csv(res))
    assert rows[0] == HEADER
    assert len(rows) == len(res.hits) + 1
    assert [int(r[COL["rank"]]) for r in rows[1:]] == list(range(1, len(res.hits) + 1))
    for r, h in zip(rows[1:], res.hits):
        assert (r[COL["turn_id"]], r[COL["citation"]], r[COL["url"]]) == (h.turn_id, h.citation, h.url)
        assert r[COL["url"]].startswith("http") and "<mark>" not in r[COL["passage"]]
        assert 0 <= float(r[COL["match"]]) <= 1
        if h.question:
            assert r[COL["question"]] == h.question["text"] and r[COL["question_speaker"]] == h.question["speaker"]


def test_an_export_is_the_search_as_one_flat_list(sample_archive):
    q = SearchRequest.build(text="revenue growth", group="call", page=2, limit=5)
    res = sample_archive.export(q, 10)
    assert res.groups is None and res.query.group == "none" and res.query.page == 1
    assert [h.rank for h in res.hits] == list(range(1, len(res.hits) + 1))
    # up to a window's worth, the export is the first hits a search shows, in the same order
    page = sample_archive.search(SearchRequest.build(text="revenue growth", limit=10))
    assert [h.turn_id for h in res.hits] == [h.turn_id for h in page.hits]


@pytest.mark.parametrize("mode", ["lexical", "hybrid"])
@pytest.mark.parametrize("unit", ["turn", "exchange"])
def test_a_whole_export_opens_with_the_search_page_and_holds_each_turn_once(sample_archive, mode, unit):
    q = SearchRequest.build(text="revenue growth margin", mode=mode, unit=unit, min_score=0.2)
    page = sample_archive.search(SearchRequest.build(text="revenue growth margin", mode=mode, unit=unit,
                                                     min_score=0.2, limit=20))
    res = sample_archive.export(q)
    assert [h.turn_id for h in res.hits[:len(page.hits)]] == [h.turn_id for h in page.hits]
    assert len(res.hits) >= page.total and len(res.hits) == res.total       # the sample is under the cap
    ids = [h.turn_id for h in res.hits]
    assert len(ids) == len(set(ids)) and [h.rank for h in res.hits] == list(range(1, len(ids) + 1))
    if unit == "exchange":
        asked = [h.question["turn_id"] if h.question else h.turn_id for h in res.hits]
        assert len(asked) == len(set(asked))


def test_an_export_by_date_is_newest_first(sample_archive):
    res = sample_archive.export(SearchRequest.build(text="revenue growth", sort="date", min_score=0.2))
    when = [(h.date or "", h.year or 0, h.quarter or 0) for h in res.hits]
    assert len(res.hits) > 10 and when == sorted(when, reverse=True)


def test_an_export_keeps_the_filters_floor_and_unit(sample_archive):
    res = sample_archive.export(SearchRequest.build(text="revenue", tickers=("KC",), unit="answer"))
    assert res.hits and all(h.ticker == "KC" and h.role == "executive" and h.section == "qa" for h in res.hits)
    assert all(h.match >= res.floor for h in res.hits)


def test_the_cap_cuts_and_says_so(sample_archive):
    q = SearchRequest.build(text="revenue growth margin", mode="lexical")
    res = sample_archive.export(q, 2)
    assert len(res.hits) == 2 and res.total > 2
    assert len(parse_csv(export.to_csv(res))) == 3
    wb = workbook(export.to_xlsx(res, generation="gen-000001"))
    assert wb[export.RESULTS_SHEET].max_row == 3
    info = provenance(wb)
    assert info["Hits exported"] == 2 and info["Matches ranked"] == res.total
    assert info["Cut short by the cap"].startswith("yes")
    assert info["Query"] == "revenue growth margin" and info["mode"] == "lexical"
    assert info["Index generation"] == "gen-000001" and info["Exported at (UTC)"]
    whole = sample_archive.export(q)
    assert len(whole.hits) == whole.total <= EXPORT_MAX
    assert provenance(workbook(export.to_xlsx(whole)))["Cut short by the cap"] == "no"


@pytest.mark.parametrize("bad", [0, EXPORT_MAX + 1, -1, True, 2.5, "10"])
def test_max_hits_is_bounded(sample_archive, bad):
    with pytest.raises(BadRequestError) as e:
        sample_archive.export(SearchRequest.build(text="revenue"), bad)
    assert e.value.param == "max"


def test_a_larger_window_ranks_more_turns(sample_archive):
    searcher = sample_archive.searcher
    q = SearchRequest.build(text="revenue", mode="semantic")
    default = searcher.rank(q)
    assert default.window == searcher.rank(q, window=WINDOW).window
    wide = searcher.rank(q, window=3 * WINDOW)
    assert len(default.window) <= WINDOW and len(default.window) < len(wide.window) <= 3 * WINDOW


def test_the_xlsx_sheet(sample_archive):
    res = sample_archive.export(SearchRequest.build(text="cloud revenue", tickers=("KC", "YETI"), years=(2020, 2020)))
    wb = workbook(export.to_xlsx(res))
    assert wb.sheetnames == [export.RESULTS_SHEET, export.SEARCH_SHEET]
    ws = wb[export.RESULTS_SHEET]
    assert [c.value for c in ws[1]] == HEADER and all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:U{len(res.hits) + 1}"
    assert ws.column_dimensions["P"].width == export.BY_NAME["passage"].width
    for row, h in zip(ws.iter_rows(min_row=2), res.hits):
        rank, match, url = row[COL["rank"]], row[COL["match"]], row[COL["url"]]
        assert (rank.value, rank.data_type) == (h.rank, "n") and match.data_type == "n"
        assert url.value == h.url and url.hyperlink.target == h.url
        assert row[COL["fiscal_year"]].value == h.year and row[COL["period"]].value == f"Q{h.quarter} {h.year}"
        if h.date:
            assert row[COL["date"]].value.date().isoformat() == h.date
    info = provenance(wb)
    assert info["ticker"] == "KC, YETI" and info["years"] == "2020" and "role" not in info


# ---- formulas never run --------------------------------------------------------------------------------------

def test_hostile_cells_are_text_in_csv(hostile):
    res = hostile.export(SearchRequest.build(text="widget", mode="lexical"))
    rows = parse_csv(export.to_csv(res))[1:]
    assert len(rows) >= 3
    cells = [c for r in rows for c in r]
    assert not [c for c in cells if c.startswith(export.FORMULA_START)]
    passages = {r[COL["speaker"]]: r[COL["passage"]] for r in rows}
    assert passages["'@SUM(1)"].startswith("'=HYPERLINK(")
    assert passages["Jane Roe"].startswith("'@SUM(1)") and passages["'+Mallory"].startswith("'+1 widget")
    assert all(r[COL["company"]] == "'=Evil Widgets" and r[COL["citation"]].startswith("'=Evil") for r in rows)


def test_hostile_cells_are_strings_in_xlsx(hostile):
    res = hostile.export(SearchRequest.build(text="-nothing widget", mode="lexical"))
    wb = workbook(export.to_xlsx(res))
    ws = wb[export.RESULTS_SHEET]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type not in ("s", "n", "d")]       # no formula, no error
    texts = [c.value for c in cells if c.data_type == "s"]
    assert not [t for t in texts if t.startswith(export.FORMULA_START)]
    passages = [row[COL["passage"]] for row in ws.iter_rows(min_row=2)]
    hyper = next(c for c in passages if "HYPERLINK" in c.value)
    assert hyper.value.startswith("'=HYPERLINK(") and hyper.data_type == "s"
    info = wb[export.SEARCH_SHEET]
    query = next(r[1] for r in info.iter_rows() if r[0].value == "Query")
    assert query.value == "'-nothing widget" and query.data_type == "s"


def test_text_that_looks_like_an_error_code_stays_text():
    from archive.models import Hit
    hit = Hit(turn_id="X-2020Q1:t001", call_id="X-2020Q1", company="#N/A", ticker="X", year=2020, quarter=1,
              date="not a date", speaker="#REF!", title=None, role="executive", section="qa", position=1,
              source_file=None, chunk_id="X-2020Q1:t001:c00", passage="bell \x07 and form feed \x0c kept out",
              snippet="", text="", score=1.0, rank=1, url="javascript:alert(1)")
    ws = workbook(export.to_xlsx(export_of([hit])))[export.RESULTS_SHEET]
    row = {c.name: ws.cell(2, i + 1) for i, c in enumerate(export.COLUMNS)}
    assert (row["company"].value, row["company"].data_type) == ("#N/A", "s")
    assert (row["speaker"].value, row["speaker"].data_type) == ("#REF!", "s")
    assert row["date"].value == "not a date" and row["passage"].value == "bell  and form feed  kept out"
    assert row["url"].hyperlink is None                      # only http(s) links are made clickable


# ---- the API -------------------------------------------------------------------------------------------------

def test_api_csv(sample_client):
    r = sample_client.get("/api/search.csv?q=cloud+revenue&ticker=KC&limit=3&page=2")
    assert r.status_code == 200, r.data[:300]
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="earnings-search-cloud-revenue-\d{4}-\d{2}-\d{2}\.csv"',
                        r.headers["Content-Disposition"])
    rows = parse_csv(r.data)
    total = int(r.headers["X-Total-Matches"])
    assert rows[0] == HEADER and len(rows) - 1 == total > 3          # limit and page are ignored
    assert all(row[COL["ticker"]] == "KC" for row in rows[1:])


def test_api_xlsx(sample_client):
    r = sample_client.get("/api/search.xlsx?q=revenue&max=4")
    assert r.status_code == 200, r.data[:300]
    assert r.headers["Content-Type"] == export.XLSX_TYPE
    assert r.headers["Content-Disposition"].startswith('attachment; filename="earnings-search-revenue-')
    assert r.headers["Content-Disposition"].endswith('.xlsx"')
    wb = workbook(r.data)
    assert wb[export.RESULTS_SHEET].max_row == 5 and int(r.headers["X-Total-Matches"]) > 4
    assert provenance(wb)["Cut short by the cap"].startswith("yes")


@pytest.mark.parametrize("query,param", [("q=revenue&max=0", "max"), ("q=revenue&max=5000", "max"),
                                         ("q=revenue&max=ten", "max"), ("q=revenue&role=boss", "role"),
                                         ("q=revenue&years=20x", "years"), ("q=*", "q")])
@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_api_bad_parameters_are_json_400(sample_client, ext, query, param):
    r = sample_client.get(f"/api/search.{ext}?{query}")
    assert r.status_code == 400 and r.is_json, r.data[:300]
    body = r.get_json()
    assert set(body) == {"error"} and body["error"]["message"] and body["error"]["param"] == param


def test_api_unknown_ticker_is_404(sample_client):
    r = sample_client.get("/api/search.csv?q=revenue&ticker=NOPE")
    assert r.status_code == 404 and r.is_json and r.get_json()["error"]["param"] == "ticker"


def test_api_nothing_matches_gives_just_the_header(sample_client):
    r = sample_client.get("/api/search.csv?q=revenue&years=2010-2011")
    assert r.status_code == 200 and r.headers["X-Total-Matches"] == "0"
    assert parse_csv(r.data) == [HEADER]
    x = sample_client.get("/api/search.xlsx?q=revenue&years=2010-2011")
    assert x.status_code == 200 and workbook(x.data)[export.RESULTS_SHEET].max_row == 1


def test_the_search_page_links_the_exports(sample_client):
    html = sample_client.get("/?q=cloud+revenue&ticker=KC&limit=5&page=2").get_data(as_text=True)
    links = dict(re.findall(r'<a class="(export-csv|export-xlsx)" href="([^"]+)"', html))
    assert set(links) == {"export-csv", "export-xlsx"}
    from html import unescape
    csv_url = unescape(links["export-csv"])
    assert csv_url.startswith("/api/search.csv?") and "ticker=KC" in csv_url and "q=cloud" in csv_url
    assert "page=" not in csv_url and "limit=" not in csv_url
    assert unescape(links["export-xlsx"]) == csv_url.replace("/api/search.csv", "/api/search.xlsx")
    r = sample_client.get(csv_url)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")


def test_with_an_api_key_the_exports_need_it_and_the_page_links_none(sample_archive):
    from web import create_app
    a = Archive.open(Settings(home=sample_archive.settings.home, encoder="hash", api_key="s3cret"))
    try:
        c = create_app(archive=a).test_client()
        assert c.get("/api/search.csv?q=revenue").status_code == 401
        r = c.get("/api/search.csv?q=revenue", headers={"X-API-Key": "s3cret"})
        assert r.status_code == 200 and parse_csv(r.data)[0] == HEADER
        html = c.get("/?q=revenue").get_data(as_text=True)
        assert 'class="hit' in html and "export-csv" not in html       # a link would answer 401
    finally:
        a.close()


# ---- the command line ----------------------------------------------------------------------------------------

def run(sample_archive, *args):
    return CliRunner().invoke(main, ["--home", str(sample_archive.settings.home), "search", *args])


def test_cli_csv_to_stdout(sample_archive):
    r = run(sample_archive, "cloud revenue", "--format", "csv", "--mode", "lexical", "--limit", "2")
    assert r.exit_code == 0, r.output
    rows = parse_csv(r.stdout_bytes)
    expected = sample_archive.export(SearchRequest.build(text="cloud revenue", mode="lexical"))
    assert rows[0] == HEADER and [x[COL["turn_id"]] for x in rows[1:]] == [h.turn_id for h in expected.hits]


def test_cli_xlsx_to_a_file(sample_archive, tmp_path):
    out = tmp_path / "f.xlsx"
    r = run(sample_archive, "revenue", "--format", "xlsx", "--output", str(out), "--max", "3")
    assert r.exit_code == 0, r.output
    assert f"wrote 3 hits to {out}" in r.stderr and "note: the cap cut the export short" in r.stderr
    wb = workbook(out.read_bytes())
    assert wb[export.RESULTS_SHEET].max_row == 4 and provenance(wb)["Hits exported"] == 3


def test_cli_xlsx_to_stdout_only_when_it_is_not_a_terminal(sample_archive, monkeypatch):
    r = run(sample_archive, "revenue", "--format", "xlsx", "--max", "2")
    assert r.exit_code == 0, r.output
    assert workbook(r.stdout_bytes)[export.RESULTS_SHEET].max_row == 3
    monkeypatch.setattr(cli, "_stdout_is_a_terminal", lambda: True)
    r = run(sample_archive, "revenue", "--format", "xlsx")
    assert r.exit_code == 2 and "--output" in r.stderr


@pytest.mark.parametrize("args", [["--format", "csv", "--max", "0"], ["--format", "xlsx", "--max", "5000"],
                                  ["--max", "5"], ["--output", "x.csv"], ["--json", "--format", "csv"]])
def test_cli_export_usage_errors(sample_archive, args):
    r = run(sample_archive, "revenue", *args)
    assert r.exit_code == 2 and r.stdout == "", r.output


def test_cli_format_json_is_json(sample_archive):
    a = json.loads(run(sample_archive, "revenue", "--format", "json", "--limit", "3").stdout)
    b = json.loads(run(sample_archive, "revenue", "--json", "--limit", "3").stdout)
    assert [h["turn_id"] for h in a["hits"]] == [h["turn_id"] for h in b["hits"]] and len(a["hits"]) == 3
