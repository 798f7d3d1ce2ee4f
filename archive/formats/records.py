"""Records: tables and JSON whose structure says who speaks.

- CSV / TSV (any delimiter csv.Sniffer finds) with one row per utterance; columns found by their header: speaker,
  text and, where present, section, role, title, company, timestamp, plus call-level columns (ticker, company,
  year, quarter, date). Consecutive rows of one speaker are one turn; a row whose speaker is not a name (a date,
  a page button) is furniture, and a date there becomes the call date.
- JSON / JSONL: a call record whose `content` (or `transcript`, `text`) is one string of `Name: text` lines (the
  Financial Modeling Prep shape), read by the inference reader; or a list of utterance records
  ({speaker, text}); one call per file. A file that holds the same call twice (a JSON record followed by a text
  copy of the page) is read once, from the record."""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from ..errors import InputFileError
from ..models import ANALYST, EXECUTIVE, OPERATOR, PREPARED, QA
from ..roles import DraftTurn, name_key
from . import Draft
from .labels import GENERIC, name_like
from .meta import iso_date

NAME = "records"

_SPEAKER = ("speaker", "speaker_name", "speakername", "name", "participant", "person", "who", "speaker name",
            "speaker_label", "label")
_TEXT = ("text", "speech", "content", "utterance", "transcript", "body", "paragraph", "words", "sentence",
         "statement", "remarks", "dialogue", "message")
_SECTION = ("section", "part", "segment", "session", "section_name", "phase")
_ROLE = ("role", "speaker_role", "speaker_type", "type", "speakertype", "participant_type")
_TITLE = ("title", "speaker_title", "position", "job_title", "affiliation", "designation")
_COMPANY_COL = ("speaker_company", "firm", "organization", "organisation", "speaker_firm", "employer")
_TIME = ("timestamp", "time", "start", "start_time", "ts", "offset", "begin", "start_ts")
_CALL = {"ticker": ("ticker", "symbol"), "company": ("company", "company_name", "issuer"),
         "year": ("year", "fiscal_year", "fy"), "quarter": ("quarter", "fiscal_quarter", "qtr"),
         "date": ("date", "call_date", "event_date")}
_CONTENT_KEYS = ("content", "transcript", "text", "body", "full_text")
_ROLE_WORDS = {"operator": OPERATOR, "moderator": OPERATOR, "executive": EXECUTIVE, "management": EXECUTIVE,
               "company": EXECUTIVE, "corporate": EXECUTIVE, "presenter": EXECUTIVE, "analyst": ANALYST,
               "questioner": ANALYST, "caller": ANALYST, "question": ANALYST, "answer": EXECUTIVE}


def _norm(h: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", (h or "").strip().lower()).strip("_")


def _column(header: list[str], names) -> int | None:
    keys = [_norm(h) for h in header]
    for n in names:
        if _norm(n) in keys:
            return keys.index(_norm(n))
    return None


# ---- sniff ---------------------------------------------------------------------------------------------------

def _json_head(text: str):
    """The first JSON value of the text and where it ends, or (None, 0)."""
    s = text.lstrip()
    if s[:1] not in "{[":
        return None, 0
    try:
        value, end = json.JSONDecoder().raw_decode(s)
    except (ValueError, RecursionError):
        return None, 0
    return value, len(text) - len(s) + end


def _call_record(value) -> dict | None:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, dict) and any(isinstance(value.get(k), str) and len(value[k]) > 200 for k in _CONTENT_KEYS):
        return value
    return None


def _utterances(value) -> list | None:
    if isinstance(value, dict):
        # ('turns', 'transcript', 'prepared_remarks' ... are the json-turns reader's layout)
        value = next((value[k] for k in ("utterances", "segments", "speakers", "items", "results", "data",
                                         "monologues", "paragraphs", "entries", "records")
                      if isinstance(value.get(k), list)), None)
    if isinstance(value, list) and len(value) >= 2 and all(isinstance(r, dict) for r in value[:50]):
        keys = {_norm(k) for r in value[:50] for k in r}
        if keys & {_norm(k) for k in _SPEAKER} and keys & {_norm(k) for k in _TEXT}:
            return value
    return None


def _jsonl(text: str) -> list | None:
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except (ValueError, RecursionError):
            return None
        if len(rows) > 200_000:
            return None
    return rows if len(rows) >= 1 and all(isinstance(r, dict) for r in rows) else None


def _table(text: str, path: Path):
    head = text[:20000]
    first = head.split("\n", 1)[0]
    if len(first) > 2000:
        return None
    try:
        dialect = csv.Sniffer().sniff(head, delimiters=",\t;|")
    except csv.Error:
        if path.suffix.lower() not in (".csv", ".tsv"):
            return None
        dialect = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
    header = next(csv.reader([first], dialect))
    if _column(header, _SPEAKER) is None or _column(header, _TEXT) is None:
        return None
    return dialect


def _is_jsonl(text: str, end: int) -> bool:
    return text[end:].lstrip(" \t\r").startswith("\n") and text[end:].lstrip()[:1] == "{"


def utterance_table(path: Path) -> bool:
    """Does this .csv/.tsv file's header name a speaker and a text column? (for folder walks)"""
    if not path.is_file():
        return True            # not a regular file: ingest says so
    try:
        with open(path, "rb") as fh:
            head = fh.read(20000).decode("utf-8-sig", errors="replace")
    except OSError:
        return True            # let ingest report why it cannot be read
    return _table(head, path) is not None


def sniff(text: str, path: Path) -> bool:
    value, end = _json_head(text)
    if value is not None and _is_jsonl(text, end):
        rows = _jsonl(text)
        return bool(rows) and (_call_record(rows[0]) is not None or _utterances(rows) is not None)
    if value is not None:
        many = isinstance(value, list) and len(value) > 1 and all(_call_record(v) for v in value[:5])
        return _call_record(value) is not None or _utterances(value) is not None or many
    if text.lstrip()[:1] == "{":
        rows = _jsonl(text)
        return bool(rows) and (_call_record(rows[0]) is not None or _utterances(rows) is not None)
    return _table(text, path) is not None


# ---- read ----------------------------------------------------------------------------------------------------

def read(text: str, path: Path) -> Draft:
    value, end = _json_head(text)
    if (value is None and text.lstrip()[:1] == "{") or (value is not None and _is_jsonl(text, end)):
        rows = _jsonl(text)
        if rows and len(rows) == 1:
            value, end = rows[0], len(text)
        elif rows:
            value, end = rows, len(text)
    if value is not None:
        return _read_json(value, text[end:], path)
    dialect = _table(text, path)
    if dialect is None:
        raise InputFileError(f"{path}: not a table of utterances: no speaker and text columns in the header",
                             "name the columns speaker and text, or describe the layout with --layout")
    return _read_table(text, dialect, path)


def _read_json(value, tail: str, path: Path) -> Draft:
    record = _call_record(value)
    if isinstance(value, list) and record is None and all(_call_record(v) for v in value[:5]) and len(value) > 1:
        raise InputFileError(f"{path}: holds {len(value)} calls; one call per file is read",
                             "split it into one file per call (e.g. jq -c '.[]' FILE | split -l 1)")
    if record is not None:
        from . import inferred
        content = next(record[k] for k in _CONTENT_KEYS if isinstance(record.get(k), str) and len(record[k]) > 200)
        draft = inferred.read(content, path)
        draft.explain["layout"] = f"JSON call record ('{next(k for k in _CONTENT_KEYS if record.get(k) is content)}' " \
                                  "read as speaker-labelled text)"
        _record_meta(record, draft, "JSON record")
        rest = tail.strip()
        if rest:
            draft.explain.setdefault("notes", []).append(_copy_note(content, rest))
        return draft
    rows = _utterances(value)
    if rows is None:
        raise InputFileError(f"{path}: JSON of an unknown shape: no call record with a 'content' string and no "
                             "list of {speaker, text} records", "describe the layout with --layout, or convert it")
    header = sorted({k for r in rows[:200] for k in r})
    draft = _from_rows(header, ([r.get(k) for k in header] for r in rows), path)
    if isinstance(value, dict):
        _record_meta(value, draft, "JSON record")
    draft.explain["layout"] = "JSON utterance records"
    return draft


def _copy_note(content: str, rest: str) -> str:
    a = set(re.findall(r"[a-z]{4,}", content.lower()))
    b = set(re.findall(r"[a-z]{4,}", rest.lower()))
    share = len(a & b) / max(1, len(a | b))
    if share >= 0.6:
        return f"the same call follows as text ({len(rest.splitlines())} lines, {share:.0%} of words shared): " \
               "stored once, from the record"
    return f"{len(rest.splitlines())} lines after the JSON record share only {share:.0%} of its words: ignored"


def _record_meta(record: dict, draft: Draft, where: str) -> None:
    def put(attr, value):
        if value not in (None, "") and getattr(draft, attr) in (None, ""):
            setattr(draft, attr, value)
            draft.sources[attr] = f"{where} key"
    for attr, keys in _CALL.items():
        v = next((record[k] for k in keys if k in record and record[k] not in (None, "")), None)
        if v is None:
            continue
        if attr == "ticker" and isinstance(v, str) and re.fullmatch(r"[A-Za-z][A-Za-z0-9.\-]{0,9}", v.strip()):
            put("ticker", v.strip().upper())
        elif attr == "company" and isinstance(v, str):
            put("company", v.strip()[:100])
        elif attr == "year" and str(v).strip()[-4:].isdigit():
            put("year", int(str(v).strip()[-4:]))
        elif attr == "quarter" and str(v).strip().upper().lstrip("Q") in ("1", "2", "3", "4"):
            put("quarter", int(str(v).strip().upper().lstrip("Q")))
        elif attr == "date" and isinstance(v, str):
            put("date", v[:10] if re.match(r"\d{4}-\d\d-\d\d", v) else iso_date(v))


def _read_table(text: str, dialect, path: Path) -> Draft:
    try:
        reader = csv.reader(io.StringIO(text, newline=""), dialect)
        header = next(reader)
        rows = list(reader)
    except csv.Error as e:
        raise InputFileError(f"{path}: malformed table ({e})", "re-export it as RFC-4180 CSV") from None
    draft = _from_rows(header, rows, path)
    draft.explain["layout"] = f"table of utterances ({'tab' if dialect.delimiter == chr(9) else repr(dialect.delimiter)}" \
                              f"-separated, columns: {', '.join(header)})"
    return draft


def _from_rows(header: list[str], rows, path: Path) -> Draft:
    col = {k: _column(header, names) for k, names in (("speaker", _SPEAKER), ("text", _TEXT), ("section", _SECTION),
                                                        ("role", _ROLE), ("title", _TITLE), ("company", _COMPANY_COL),
                                                        ("time", _TIME))}
    calls = {k: _column(header, names) for k, names in _CALL.items()}
    calls = {k: v for k, v in calls.items() if v is not None and v not in col.values()}
    draft = Draft(turns=[])
    draft.explain = {"columns": {k: header[v] for k, v in col.items() if v is not None}, "dropped": [], "notes": []}
    turns: list[DraftTurn] = []
    marked = False
    call_values: dict[str, set] = {k: set() for k in calls}

    def cell(row, k):
        i = col.get(k)
        return str(row[i]).strip() if i is not None and i < len(row) and row[i] is not None else ""

    for n, row in enumerate(rows, start=2):
        speaker, speech = cell(row, "speaker"), cell(row, "text")
        for k, i in calls.items():
            if i < len(row) and row[i] not in (None, ""):
                call_values[k].add(str(row[i]).strip())
        if not speaker and not speech:
            continue
        if not speaker or not (GENERIC.match(speaker) or name_like(speaker, 6) or _upper_name(speaker)):
            date = iso_date(speaker) or iso_date(speech[:80]) if len(speech) < 200 else iso_date(speaker)
            if date and not draft.date:
                draft.date, draft.sources["date"] = date, f"row {n} ({speaker[:40]!r})"
            draft.explain["dropped"].append((n, "not a speaker", f"{speaker[:60]} | {speech[:80]}"))
            continue
        section = cell(row, "section").lower()
        sec = QA if re.search(r"q\s*&\s*a|question|answer", section) else PREPARED if section else None
        marked = marked or sec == QA
        role = next((r for w, r in _ROLE_WORDS.items() if w in cell(row, "role").lower()), None)
        title = cell(row, "title") or None
        company = cell(row, "company") or None
        if company and title:
            title = f"{company} - {title}"
        if turns and name_key(turns[-1].speaker) == name_key(speaker) and (sec is None or turns[-1].section == sec):
            turns[-1].text += speech + "\n"
            continue
        turns.append(DraftTurn(speaker=speaker, text=speech + "\n", title=title or company, section=sec, role=role))
    draft.turns = turns
    draft.sections_marked = marked
    if marked:
        last = PREPARED
        for t in turns:
            t.section = t.section or last
            last = t.section
    else:
        for t in turns:
            t.section = None
    for k, values in call_values.items():
        if len(values) == 1:
            _record_meta({k: next(iter(values))}, draft, "column")
    return draft


def _upper_name(s: str) -> bool:
    return bool(re.fullmatch(r"[A-Z][A-Z.'\- ]{2,40}", s)) and len(s.split()) <= 5
