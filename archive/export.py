"""Search results as a spreadsheet: CSV (the stdlib csv module) and XLSX (openpyxl), one row per hit with its
citation and deep link. The columns are declared once (COLUMNS); every text cell goes through safe_cell, so a
transcript, a speaker name or a query that starts like a formula (`=HYPERLINK(...)`, `@SUM(1)`) is text when a
spreadsheet opens the file (OWASP, CSV injection), and the XLSX writer stores every text cell as a string,
never as a formula or an error code.

Archive.export(request, max_hits) -> SearchResults -> to_csv | to_xlsx -> bytes; filename() names the file."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Callable

from .models import SECTION_LABELS, Hit, SearchResults, period_text

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")      # a text cell starting so is neutralised (OWASP)
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TYPES = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE}
RESULTS_SHEET, SEARCH_SHEET = "Results", "Search"
_XLSX_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")     # control characters XML 1.0 cannot hold


@dataclass(frozen=True)
class Column:
    name: str                          # a stable key (the column's name in code and docs)
    header: str                        # the header row's text
    width: int                         # XLSX column width, in characters
    value: Callable[[Hit], Any]        # the cell: a number, text or None (empty)


def _question(key: str):
    return lambda h: (h.question or {}).get(key) or None


COLUMNS: tuple[Column, ...] = (
    Column("rank", "Rank", 6, lambda h: h.rank),
    Column("match", "Match", 7, lambda h: h.match),
    Column("strength", "Strength", 9, lambda h: h.strength),
    Column("company", "Company", 24, lambda h: h.company),
    Column("ticker", "Ticker", 8, lambda h: h.ticker),
    Column("fiscal_year", "Fiscal year", 10, lambda h: h.year),
    Column("fiscal_quarter", "Fiscal quarter", 8, lambda h: h.quarter),
    Column("period", "Period", 9, lambda h: period_text(h.year, h.quarter) or None),
    Column("date", "Date", 11, lambda h: h.date),
    Column("speaker", "Speaker", 20, lambda h: h.speaker),
    Column("title", "Title", 24, lambda h: h.title),
    Column("role", "Role", 10, lambda h: h.role),
    Column("section", "Section", 16, lambda h: SECTION_LABELS.get(h.section, h.section)),
    Column("question_speaker", "Question by", 20, _question("speaker")),
    Column("question", "Question", 60, _question("text")),
    Column("passage", "Passage", 80, lambda h: h.passage),
    Column("citation", "Citation", 50, lambda h: h.citation),
    Column("url", "Link", 40, lambda h: h.url or None),
    Column("turn_id", "Turn id", 22, lambda h: h.turn_id),
    Column("call_id", "Call id", 16, lambda h: h.call_id),
    Column("source_file", "Source file", 30, lambda h: h.source_file),
)
BY_NAME = {c.name: c for c in COLUMNS}


def safe_cell(value):
    """A cell value a spreadsheet shows as it is: text that begins with =, +, -, @, a tab or a carriage return
    gets a leading ' (it would be read as a formula); numbers stay numbers; None stays None (an empty cell)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def rows(results: SearchResults) -> list[list]:
    """Each hit's cells in COLUMNS order, safe (safe_cell)."""
    return [[safe_cell(c.value(h)) for c in COLUMNS] for h in results.hits]


def to_csv(results: SearchResults) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads the accents), a header row, one row per hit in rank order."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL)
    writer.writerow([c.header for c in COLUMNS])
    writer.writerows(rows(results))
    return out.getvalue().encode("utf-8-sig")


def _text(cell, value: str) -> None:
    """A string cell, whatever the text looks like (never a formula, never an error code such as #N/A)."""
    cell.value = _XLSX_ILLEGAL.sub("", value)
    cell.data_type = "s"


def _put(cell, value) -> None:
    if value is None:
        return
    if isinstance(value, str):
        _text(cell, value)
    else:
        cell.value = value


def provenance(results: SearchResults, *, generation: str | None = None,
               exported_at: datetime | None = None) -> list[tuple[str, Any]]:
    """What the export is of, as (field, value) rows: the query, every filter that is not the default, mode,
    unit, sort, floor, hits exported, matches, whether the cap cut it short, warnings, when, the index."""
    from .request import FIELDS
    q = results.query
    skip = {"q", "mode", "unit", "sort", "min_score", "limit", "page", "group"}
    out: list[tuple[str, Any]] = [("Query", q.text)]
    for fd in FIELDS:
        if fd.name in skip:
            continue
        value = getattr(q, fd.attr)
        if value in (None, (), fd.default):
            continue
        if fd.name == "years":
            value = f"{value[0]}-{value[1]}" if value[0] != value[1] else str(value[0])
        elif isinstance(value, tuple):
            value = ", ".join(map(str, value))
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        out.append((fd.name, value))
    cut = results.total > len(results.hits)
    out += [("mode", q.mode), ("unit", q.unit), ("sort", q.sort), ("min_score", results.floor),
            ("Hits exported", len(results.hits)), ("Matches ranked", results.total),
            ("Cut short by the cap", f"yes: the first {len(results.hits)} of more matches" if cut else "no")]
    out += [("Warning", w) for w in results.warnings]
    if results.notice is not None:
        out.append(("Notice", results.notice.message))
    when = (exported_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    out.append(("Exported at (UTC)", when.strftime("%Y-%m-%d %H:%M:%S")))
    if generation:
        out.append(("Index generation", generation))
    return out


def to_xlsx(results: SearchResults, *, generation: str | None = None, exported_at: datetime | None = None) -> bytes:
    """A workbook: sheet Results (bold, frozen header row with an autofilter, column widths, the link as a
    hyperlink, numbers and dates typed) and sheet Search (provenance())."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = RESULTS_SHEET
    bold = Font(bold=True)
    for i, c in enumerate(COLUMNS, 1):
        _text(ws.cell(1, i), c.header)
        ws.cell(1, i).font = bold
        ws.column_dimensions[get_column_letter(i)].width = c.width
    url_col = [c.name for c in COLUMNS].index("url") + 1
    date_col = [c.name for c in COLUMNS].index("date") + 1
    for r, values in enumerate(rows(results), 2):
        for i, value in enumerate(values, 1):
            cell = ws.cell(r, i)
            if i == date_col and isinstance(value, str):
                try:
                    cell.value = date.fromisoformat(value)
                    cell.number_format = "yyyy-mm-dd"
                    continue
                except ValueError:
                    pass
            _put(cell, value)
            if i == url_col and isinstance(value, str) and value.startswith(("http://", "https://")):
                cell.hyperlink = value
                cell.style = "Hyperlink"
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(results.hits) + 1}"

    info = wb.create_sheet(SEARCH_SHEET)
    info.column_dimensions["A"].width, info.column_dimensions["B"].width = 24, 80
    for r, (name, value) in enumerate(provenance(results, generation=generation, exported_at=exported_at), 1):
        _text(info.cell(r, 1), name)
        info.cell(r, 1).font = bold
        _put(info.cell(r, 2), safe_cell(value))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def filename(results: SearchResults, ext: str, today: date | None = None) -> str:
    """A safe ASCII file name: earnings-search-gross-margin-2026-12-02.csv (the query's words, at most 40
    characters; the UTC date)."""
    ascii_text = unicodedata.normalize("NFKD", results.query.text or "").encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40].rstrip("-")
    day = (today or datetime.now(timezone.utc).date()).isoformat()
    return "-".join(p for p in ("earnings-search", words, day) if p) + "." + re.sub(r"[^a-z0-9]", "", ext.lower())
