"""Transcript layouts. Each reader module owns one *family* of layouts and exposes

    NAME: str                                   the name `--format NAME` selects
    sniff(text: str, path: Path) -> bool        does this text look like my family?
    read(text: str, path: Path) -> Draft        turns and whatever metadata the file carries

`read_transcript` detects the family (or takes the one asked for), then settles roles, sections, positions and
metadata (file < sidecar NAME.meta.json < caller) into a Transcript. Only this package knows file layouts.
"""
from __future__ import annotations

import hashlib
import os
import json
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .. import roles
from ..errors import BadRequestError, InputFileError
from ..models import OPERATOR, TICKER_PATTERN, Participant, SourceFile, Transcript, Turn
from ..roles import DraftTurn

META_KEYS = ("company", "ticker", "exchange", "year", "quarter", "date")
# Bump when a reader changes what it makes of a file: ingest then re-reads files it had stored unchanged.
READERS_VERSION = 5


@dataclass
class Draft:
    """What a reader found in a file."""
    turns: list[DraftTurn]
    participants: list[Participant] = field(default_factory=list)
    sections_marked: bool = False      # True when the file itself says where the Q&A starts
    company: str | None = None
    ticker: str | None = None
    exchange: str | None = None
    year: int | None = None
    quarter: int | None = None
    date: str | None = None
    title: str | None = None
    sources: dict = field(default_factory=dict)    # metadata key -> where it was found (for `inspect`)
    explain: dict = field(default_factory=dict)    # the reader's evidence for the layout it read (for `inspect`)


def readers():
    from . import inferred, json_turns, records, speaker_blocks, speaker_lines, token_table
    # Order matters: the exact readers of known layouts first (most specific signature first), then the inference
    # reader, which takes every file they do not claim.
    return [records, json_turns, token_table, speaker_blocks, speaker_lines, inferred]


def detect(text: str, path: Path):
    for reader in readers():
        if reader.sniff(text, path):
            return reader


def sidecar_meta(path: Path) -> dict:
    """NAME.meta.json beside NAME.ext (or NAME.ext.meta.json) supplies metadata the file lacks."""
    for candidate in (path.with_name(path.stem + ".meta.json"), path.with_name(path.name + ".meta.json")):
        if candidate.is_file():
            try:
                data = json.loads(candidate.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as e:
                raise InputFileError(f"{candidate}: malformed sidecar JSON ({str(e)[:200]})",
                                     "fix the sidecar or remove it") from None
            except RecursionError:
                raise InputFileError(f"{candidate}: sidecar JSON nested too deeply",
                                     'a sidecar is one flat object, e.g. {"ticker": "KC", "year": 2020}') from None
            if not isinstance(data, dict):
                raise InputFileError(f"{candidate}: sidecar must be a JSON object", 'e.g. {"ticker": "KC"}')
            return check_meta(data, str(candidate))
    return {}


def check_meta(meta: dict, where: str = "metadata") -> dict:
    """Validate user-given metadata: known keys, sane values."""
    out = {}
    for key, value in meta.items():
        if value is None or value == "":
            continue
        if key not in META_KEYS:
            raise InputFileError(f"{where}: unknown key {key!r}", f"use only {', '.join(META_KEYS)}")
        if key == "ticker":
            value = str(value).strip().upper()
            if not re.fullmatch(TICKER_PATTERN, value):
                raise InputFileError(f"{where}: ticker {value!r} is not a ticker", "use letters, digits, '.' or '-'")
        elif key == "year":
            try:
                value = int(value)
            except (TypeError, ValueError, OverflowError):
                value = -1
            if not 1900 <= value <= 2200:
                raise InputFileError(f"{where}: year {meta[key]!r} is out of range", "give a fiscal year like 2020")
        elif key == "quarter":
            value = str(value).strip().upper().lstrip("Q")
            if value not in ("1", "2", "3", "4"):
                raise InputFileError(f"{where}: quarter {meta[key]!r} is not 1-4", "give Q1, Q2, Q3 or Q4")
            value = int(value)
        elif key == "date":
            value = str(value)
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise InputFileError(f"{where}: date {value!r} is not YYYY-MM-DD", "give the call date as 2020-05-27")
        else:
            value = str(value).strip()[:200]
        out[key] = value
    return out


@dataclass
class Reading:
    """One file read: the transcript, the text it was read from, which reader read it and its evidence."""
    transcript: Transcript
    page: object                       # the PageText the reader saw (formats/extract.py)
    reader: str
    draft: Draft
    fell_back: str | None = None        # an exact reader that claimed the file but read too little of it

    @property
    def identified(self) -> bool:
        """Whether the file itself (its text, a sidecar or the command line) says which call it is: a company or
        ticker and a fiscal year and quarter. A file name alone does not: two files of one name can be two calls."""
        t = self.transcript
        if not ((t.ticker or t.company) and t.year and t.quarter):
            return False
        by_name = lambda key: str(self.draft.sources.get(key, "")).startswith("file name")     # noqa: E731
        names = [k for k in ("ticker", "company") if getattr(t, k)]
        return not (by_name("year") or by_name("quarter") or all(by_name(k) for k in names))

    @property
    def warnings(self) -> list[str]:
        """What reading changed or dropped that a person should know (repaired bytes, removed characters)."""
        return list(getattr(self.page, "warnings", None) or [])


# Readers of text layouts whose claim is checked: when one reads fewer than this many turns, the inference
# reader gets the file.
_CHECKED = ("speaker-blocks", "speaker-lines")
_MIN_TURNS = 3


def read_transcript(path: Path, *, data: bytes | None = None, format: str | None = None,
                    meta: dict | None = None, max_bytes: int | None = None, layout=None) -> Transcript:
    """Read one file into a Transcript. Raises InputFileError naming the file and the reason."""
    return read_file(path, data=data, format=format, meta=meta, max_bytes=max_bytes, layout=layout).transcript


def _no_block(path, flags):
    return os.open(path, flags | os.O_NONBLOCK)


def read_capped(path: Path, max_bytes: int | None = None) -> bytes:
    """The file's bytes; refused before reading when it is larger than max_bytes."""
    path = Path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            kind = "a named pipe" if stat.S_ISFIFO(info.st_mode) else "a socket" if stat.S_ISSOCK(info.st_mode) \
                else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else "a folder" \
                if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise InputFileError(f"{path}: not a regular file ({kind}); skipped, nothing was read",
                                 "ingest regular files only")
        size = info.st_size
        if max_bytes is not None and size > max_bytes:
            raise InputFileError(f"{path}: file too large ({size / 1e6:.1f} MB, the cap is {max_bytes / 1e6:g} MB)",
                                 "split it, or raise ARCHIVE_MAX_FILE_MB")
        with open(path, "rb", opener=_no_block) as f:       # never wait on a file swapped for a pipe meanwhile
            data = f.read(max_bytes + 1 if max_bytes is not None else -1)
        if max_bytes is not None and len(data) > max_bytes:
            raise InputFileError(f"{path}: file too large (over the cap of {max_bytes / 1e6:g} MB)",
                                 "split it, or raise ARCHIVE_MAX_FILE_MB")
        return data
    except OSError as e:
        raise InputFileError(f"{path}: cannot read: {e.strerror or e}", "check that it exists and is readable") from None


def reader_named(format: str):
    """The reader of a layout name given by the user (--format)."""
    by_name = {r.NAME: r for r in readers()}
    if format not in by_name:
        raise BadRequestError(f"unknown format {format!r}", f"use one of {', '.join(by_name)}", param="format")
    return by_name[format]


def read_file(path: Path, *, data: bytes | None = None, format: str | None = None, meta: dict | None = None,
              max_bytes: int | None = None, layout=None, sidecar: dict | None = None) -> Reading:
    """Read one file, keeping the evidence (see `explain`). `layout`: a declared Layout (layout.py) to read it with.
    sidecar: its NAME.meta.json metadata when the caller has read it already."""
    from .extract import to_text
    path = Path(path)
    data = read_capped(path, max_bytes) if data is None else data
    page = to_text(data, path)
    text = page.text
    fell_back = None
    if layout is not None:
        from . import layout as declared
        name, draft = declared.NAME, declared.read(text, path, layout)
    else:
        if format:
            reader = reader_named(format)
        else:
            reader = detect(text, path)
        name = reader.NAME
        try:
            draft = reader.read(text, path)
            short = len([t for t in draft.turns if t.text.strip()]) < _MIN_TURNS
        except InputFileError:
            if format or name not in _CHECKED:
                raise
            draft, short = None, True
        if short and not format and name in _CHECKED:
            from . import inferred
            other = inferred.read(text, path)
            if len(other.turns) > (len(draft.turns) if draft else 0):
                fell_back, name, draft = name, inferred.NAME, other
            elif draft is None:
                draft = other
    if not draft.turns and name in ("inferred", "declared-layout", "records"):
        raise InputFileError(f"{path}: not a transcript: no speaker structure found (no known layout matches, and "
                             "no pattern of speaker labels is confirmed by the file)",
                             "run `python -m archive inspect FILE` to see the lines that looked most like labels, "
                             "then describe the layout in a file and ingest with --layout FILE")
    if page.title and not draft.title:
        draft.title, draft.sources["title"] = page.title, f"{page.kind} title"
    source = SourceFile(str(path), hashlib.sha256(data).hexdigest(), name, len(data))
    given = {**(sidecar_meta(path) if sidecar is None else sidecar), **check_meta(meta or {}, "command line")}
    for k in given:
        draft.sources[k] = "sidecar or command line"
    return Reading(finish(draft, source, given), page, name, draft, fell_back)


_SPACES = re.compile(r"[ \t\f\v\u00a0]+")


def _clean_text(text: str) -> str:
    """One paragraph per line of input; paragraphs joined by a blank line; runs of spaces collapsed."""
    paras = (_SPACES.sub(" ", p).strip() for p in text.split("\n"))
    return "\n\n".join(p for p in paras if p)


def finish(draft: Draft, source: SourceFile, given: dict) -> Transcript:
    from .headers import file_name_meta
    from .meta import company_from_welcome, period_in
    turns = [t for t in draft.turns if t.speaker.strip() and _clean_text(t.text)]
    for t in turns:
        t.speaker = re.sub(r"\s+", " ", t.speaker).strip()[:200]
        t.text = _clean_text(t.text)
        if t.title:
            t.title = re.sub(r"\s+", " ", t.title).strip()[:200] or None
    if not turns:
        raise InputFileError(f"{source.path}: no speaker turns found", "is this a transcript? name its layout with "
                             "--format if the guess was wrong")
    turns, participants = roles.resolve(turns, draft.participants, sections_marked=draft.sections_marked)
    file_name_meta(Path(source.path), draft)
    values = {k: getattr(draft, k) for k in META_KEYS}
    opening = "\n".join(t.text for t in turns[:4])
    if not values["year"]:
        values["year"], q = period_in(opening)
        values["quarter"] = values["quarter"] or q
        if values["year"]:
            draft.sources.setdefault("year", "the opening turns")
            draft.sources.setdefault("quarter", "the opening turns")
    if not values["company"] and not given.get("company"):
        op = next((t.text for t in turns[:3] if t.role == OPERATOR), opening)
        values["company"] = company_from_welcome(op, context=opening) or company_from_welcome(opening)
        if values["company"]:
            draft.sources["company"] = "the operator's welcome"
    company_source = "given" if given.get("company") else "welcome" if draft.sources.get("company") == \
        "the operator's welcome" else "file" if values["company"] else None
    values.update(given)
    return Transcript(
        company=values["company"], ticker=values["ticker"], exchange=values["exchange"],
        year=values["year"], quarter=values["quarter"], date=values["date"],
        turns=tuple(Turn(i, t.speaker, t.title, t.role, t.section, t.text) for i, t in enumerate(turns)),
        participants=tuple(participants), source=source, title=draft.title, company_source=company_source)
