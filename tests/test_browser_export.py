"""The search page's export links in a real headless Chromium (tests/browser.py): "Download CSV" and "Download
XLSX" download the current search's matches, which read back as the rows of its hits. The server serves the
session's shared sample archive and only reads it."""
from __future__ import annotations

import csv
import io

import pytest

from archive import export

from .browser import BROWSER, page, server  # noqa: F401  (fixtures)

pytestmark = BROWSER

SEARCH = "/?q=revenue+growth&ticker=KC&ticker=YETI&limit=5&page=2"


def _download(page, server, link, tmp_path):
    page.goto(server + SEARCH)
    page.wait_for_selector("article.hit")
    with page.expect_download() as info:
        page.click(link)
    download = info.value
    assert download.failure() is None
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    return path


def test_download_csv(server, page, tmp_path):
    path = _download(page, server, "a.export-csv", tmp_path)
    assert path.name.startswith("earnings-search-revenue-growth-") and path.suffix == ".csv"
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    assert rows[0] == [c.header for c in export.COLUMNS]
    ticker, rank = [c.name for c in export.COLUMNS].index("ticker"), [c.name for c in export.COLUMNS].index("rank")
    assert len(rows) > 6                                     # every match, not the page of 5 the search shows
    assert {r[ticker] for r in rows[1:]} <= {"KC", "YETI"}
    assert [int(r[rank]) for r in rows[1:]] == list(range(1, len(rows)))


def test_download_xlsx(server, page, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    path = _download(page, server, "a.export-xlsx", tmp_path)
    assert path.suffix == ".xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb[export.RESULTS_SHEET]
    assert [c.value for c in ws[1]] == [c.header for c in export.COLUMNS] and ws.max_row > 6
    info = {r[0].value: r[1].value for r in wb[export.SEARCH_SHEET].iter_rows()}
    assert info["Query"] == "revenue growth" and info["ticker"] == "KC, YETI"


def test_no_console_errors(page):
    assert page.console_errors == []
