"""JSON family: an object whose sections are lists of {speaker, speech} records (Motley Fool; our own sample
files, which add metadata keys). Turn order and pseudo-turn removal follow the evaluation's turn_index rule:
prepared remarks then Q&A, without 'Duration: NN minutes', 'Questions and Answers:', 'Call participants:' and
empty speeches."""
from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import InputFileError
from ..models import ANALYST, EXECUTIVE, PREPARED, QA, UNKNOWN, Participant
from ..roles import DraftTurn, role_of_title
from . import Draft
from .meta import iso_date

NAME = "json-turns"

_SECTIONS = {"prepared_remarks": PREPARED, "presentation": PREPARED, "q_and_a": QA, "qa": QA,
             "questions_and_answers": QA, "turns": None, "transcript": None}
_PSEUDO = re.compile(r"^(duration:.*|questions? (and|&) answers?:?|call participants:?|"
                     r"(prepared remarks|contents|participants):?)$", re.I)
_QA_LABEL = re.compile(r"^questions? (and|&) answers?:?$", re.I)
_PARTICIPANTS_LABEL = re.compile(r"^call participants:?$", re.I)
_FURNITURE = re.compile(r"^more \S+ analysis\s+all earnings call transcripts$", re.I)
_FILENAME = re.compile(r"^(?P<ticker>[A-Z][A-Z0-9.\-]{0,9})_q(?P<q>[1-4])_(?P<y>\d{4})$", re.I)


def sniff(text: str, path: Path) -> bool:
    """An object with turn lists; other JSON goes to the records reader (or is refused here as malformed)."""
    head = text.lstrip()
    if head[:1] not in ("{", "["):
        return False
    return True


def _load(text: str, path: Path) -> dict:
    try:
        data = json.loads(text)
    except RecursionError:
        raise InputFileError(f"{path}: malformed JSON: nested too deeply", "not a transcript export") from None
    except json.JSONDecodeError as e:
        what = "truncated JSON" if _cut_short(text) else "malformed JSON"
        raise InputFileError(f"{path}: {what} ({e.msg} at line {e.lineno}, column {e.colno})",
                             "re-download or re-export the file") from None
    if not isinstance(data, dict):
        raise InputFileError(f"{path}: JSON of the wrong shape: expected an object with turn lists, "
                             f"got {type(data).__name__}", "see the README for the JSON layout")
    return data


def _cut_short(text: str) -> bool:
    """True when the text is a valid start of a JSON document that simply stops: brackets still open (and
    never mismatched) or a string still open at the end."""
    closing = {"}": "{", "]": "["}
    stack, in_string, escaped = [], False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append(ch)
        elif ch in closing:
            if not stack or stack.pop() != closing[ch]:
                return False
    return in_string or bool(stack)


def _records(value, path, key):
    if not isinstance(value, list):
        raise InputFileError(f"{path}: JSON of the wrong shape: {key!r} must be a list of "
                             '{"speaker", "speech"} objects', "see the README for the JSON layout")
    out = []
    for i, rec in enumerate(value):
        if not isinstance(rec, dict):
            raise InputFileError(f"{path}: JSON of the wrong shape: {key}[{i}] is not an object",
                                 "see the README for the JSON layout")
        speaker = rec.get("speaker", rec.get("name"))
        speech = rec.get("speech", rec.get("text"))
        if not isinstance(speaker, str) or not isinstance(speech, (str, type(None))):
            raise InputFileError(f"{path}: JSON of the wrong shape: {key}[{i}] needs string 'speaker' and 'speech'",
                                 "see the README for the JSON layout")
        out.append(rec)
    return out


def _participant(entry) -> Participant | None:
    """'Name--Title' (management) or 'Name--Firm -- Analyst' (analysts); or an object {name, title, role}."""
    if isinstance(entry, dict):
        name = str(entry.get("name") or "").strip()
        title = entry.get("title") or entry.get("firm")
        role = entry.get("role") if entry.get("role") in (EXECUTIVE, ANALYST) else role_of_title(title)
        return Participant(name, title, role) if name else None
    if not isinstance(entry, str) or not entry.strip():
        return None
    parts = [p.strip() for p in entry.split("--")]
    name = parts[0]
    if len(parts) == 1:
        return Participant(name, None, UNKNOWN)
    rest = [p for p in parts[1:] if p]
    if rest and rest[-1].lower() == "analyst":
        return Participant(name, " -- ".join(rest[:-1]) or None, ANALYST)
    title = " -- ".join(rest)
    if re.search(r"\banalyst\b", title, re.I):
        return Participant(name, re.sub(r"\s*\banalyst\b\s*", " ", title, flags=re.I).strip(" -") or None, ANALYST)
    return Participant(name, title or None, EXECUTIVE)


def read(text: str, path: Path) -> Draft:
    data = _load(text, path)
    keys = [k for k in data if k in _SECTIONS]
    if not keys:
        raise InputFileError(f"{path}: JSON of the wrong shape: no turn lists "
                             f"(expected 'prepared_remarks' and 'q_and_a', or 'turns')",
                             "see the README for the JSON layout")
    marked = any(_SECTIONS[k] for k in keys)
    turns: list[DraftTurn] = []
    for key in ("prepared_remarks", "presentation", "q_and_a", "qa", "questions_and_answers", "turns", "transcript"):
        if key not in data:
            continue
        section = _SECTIONS[key]
        after_participants = False
        for rec in _records(data[key], path, key):
            speaker = (rec.get("speaker") or rec.get("name") or "").strip()
            speech = (rec.get("speech") if "speech" in rec else rec.get("text")) or ""
            if _QA_LABEL.match(speaker) and section == PREPARED:
                section = QA       # Q&A folded into the prepared remarks after a label
                continue
            if _PARTICIPANTS_LABEL.match(speaker):
                after_participants = True
                continue
            if _PSEUDO.match(speaker) or not speech.strip():
                continue
            if after_participants and _FURNITURE.match(re.sub(r"\s+", " ", speech.strip())):
                continue           # page furniture after the participant names
            turns.append(DraftTurn(speaker=speaker, text=speech.replace("\n", "\n\n"),
                                   title=rec.get("title") or None,
                                   section=rec.get("section") if rec.get("section") in (PREPARED, QA) else section,
                                   role=rec.get("role") if rec.get("role") in (EXECUTIVE, ANALYST, "operator") else None))
    participants = [p for p in (_participant(e) for e in data.get("participants") or []) if p]
    draft = Draft(turns=turns, participants=participants, sections_marked=marked)
    m = _FILENAME.match(path.stem)
    if m:
        draft.ticker, draft.quarter, draft.year = m["ticker"].upper(), int(m["q"]), int(m["y"])
    for key, attr in (("ticker", "ticker"), ("company", "company"), ("exchange", "exchange"), ("title", "title")):
        if isinstance(data.get(key), str) and data[key].strip():
            setattr(draft, attr, data[key].strip())
    for key in ("year", "fiscal_year"):
        if isinstance(data.get(key), int):
            draft.year = data[key]
    for key in ("quarter", "fiscal_quarter"):
        q = str(data.get(key) or "").upper().lstrip("Q")
        if q in ("1", "2", "3", "4"):
            draft.quarter = int(q)
    for key in ("date", "call_date"):
        if isinstance(data.get(key), str):
            draft.date = data[key] if re.fullmatch(r"\d{4}-\d{2}-\d{2}", data[key]) else iso_date(data[key])
    return draft
