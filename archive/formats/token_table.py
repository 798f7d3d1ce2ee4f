"""Token-table family: Rev's `.nlp` reference tables (Earnings-21/22), one token per line,
`token|speaker|ts|endTs|punctuation|case|tags|wer_tags` (Earnings-22: `...|punctuation|prepunctuation|case|tags`).
Columns are found by the header's names, not by position.

A turn is a run of tokens with one speaker id. Text is the tokens joined by spaces, each followed by its
`punctuation` (and preceded by its `prepunctuation`); tokens are already cased, so the `case` column (unreliable:
'CA' on digits, 'N/A' in Earnings-22) is ignored. Transcriber markup becomes bracketed text ('<inaudible>' ->
'[inaudible]') or is dropped where it only annotates ('<affirmative>', '<phonetic>', '<silence>', '<cough>'). A run
with no spoken word (only markup: the untranscribed foreign-language runs of an interpreted call, a lone
'<crosstalk>') is not a turn; the runs either side of it, when they share a speaker, become one turn.

Names come from a `speaker-metadata.csv` (file_id, speaker_id, speaker_name) found beside or above the file; a
missing or placeholder name ('Speaker 1') becomes 'Speaker N' with N the id. Company and quarter come from
`earnings21-file-metadata.csv`, the ticker from Earnings-22's `metadata.csv`. The fiscal year is left to finish(),
which reads it from the operator's welcome. The tables mark no sections: roles.py infers the Q&A start."""
from __future__ import annotations

import csv
import io
import re
from functools import lru_cache
from pathlib import Path

from ..errors import InputFileError
from ..models import OPERATOR
from ..roles import DraftTurn, is_operator
from . import Draft

NAME = "token-table"

SPEAKER_METADATA = "speaker-metadata.csv"
FILE_METADATA = "earnings21-file-metadata.csv"      # file_id -> company_name, financial_quarter
TICKER_METADATA = "metadata.csv"                    # Earnings-22: File ID -> Ticker Symbol
_LEVELS_UP = 3                                      # the file's folder and at most this many above it

_HEADER = re.compile(r"^\s*token\s*\|\s*speaker\s*(\||$)", re.I)
# Markup: what it becomes in the text ("" = dropped, its punctuation passed to the word before).
_MARKUP = {"inaudible": "[inaudible]", "crosstalk": "[crosstalk]", "laugh": "[laughter]", "laughter": "[laughter]",
           "foreign": "[foreign language]", "unk": "[unintelligible]", "affirmative": "", "negative": "",
           "phonetic": "", "silence": "", "cough": "", "clear_throat": "", "noise": "", "breath": ""}
_TAG = re.compile(r"^<([a-z_]+)>$", re.I)
_PAUSE_S = 2.0                                      # a gap this long inside a turn starts a paragraph
_PLACEHOLDER = re.compile(r"^(speaker|spk|unknown( speaker)?)\s*#?\s*\d*$", re.I)
_OPERATOR_LIKE = re.compile(r"^(operator|moderator|coordinator|(conference |meeting |call )?host|"
                            r"conference (call )?operator)$", re.I)

# What an operator says: the welcome and housekeeping of the first run, then the question queue.
_OPERATOR_OPENING = re.compile(
    r"\bwelcome (everyone |you |all )?to\b|\boperator instructions\b|\bpress (the )?(star|\*)|"
    r"\bstar (then |and )?(one|1|zero|0)\b|\* ?[0-9]\b|touch[- ]tone|listen[- ]only|"
    r"\b(call|conference|webcast) (is being|will be|has been|is) recorded\b|\bbeing recorded\b|"
    r"your line('s| is)( now)? open|\bquestion[- ]and[- ]answer session\b|\bi (would|'d) (now )?like to (turn|hand)\b|"
    r"\bturn the (call|conference)\b|\bhand (the call |the conference |it )?over\b|\bplease go ahead\b|"
    r"\bi(')?(ll| will| am|'m) (be )?your (operator|moderator|host|coordinator)\b", re.I)
_OPERATOR_QUEUE = re.compile(
    r"\bquestion (comes|is coming|is|will come|will be) from\b|\bfrom the line of\b|"
    r"your line('s| is)( now)? (open|live)|\bpress (the )?(star|\*)|\bstar (then |and )?(one|1)\b|\* ?1\b|"
    r"\boperator instructions\b|\b(next|first|following|last|final) question,? (comes|is|will|we have|today|from)\b|"
    r"\bwe('ll| will) (now )?(take|go to) (our|the) (next|first)\b|\bno (further|more) questions\b|"
    r"\b(you|participants) may (now )?disconnect\b|listen[- ]only|\bquestion[- ]and[- ]answer session\b|"
    r"\bplease go ahead\b|\bgo ahead,? please\b", re.I)
_OPERATOR_SELF = re.compile(r"\b(i('ll| will) be|i am|i'm|this is) (your|the) ([\w\[\] ]{0,30} )?(operator|coordinator|"
                            r"moderator)\b", re.I)
_HANDOVER = re.compile(r"\bhand (the call |the conference |it |you )?over\b|\bturn the (call|conference) over\b|"
                       r"\byou may (now )?(begin|proceed)\b|\bplease go ahead\b", re.I)

_IR_SELF = re.compile(r"\b(i am|i'm|my name is)\s+[^.,]{1,40}?,?\s+(from|of|in|head of)\s+(the\s+)?"
                      r"(ir|investor relations)\b", re.I)      # "I'm Margarita Chun from IR": the company's host


def sniff(text: str, path: Path) -> bool:
    first = next((line for line in text[:2000].splitlines() if line.strip()), "")
    return bool(_HEADER.match(first))


# ---- metadata beside the file ------------------------------------------------------------------------------------

def _find_up(folder: Path, name: str) -> Path | None:
    for level, d in enumerate([folder, *folder.parents]):
        if level > _LEVELS_UP:
            break
        candidate = d / name
        if candidate.is_file():
            return candidate
    return None


@lru_cache(maxsize=32)
def _csv_rows(path: str, mtime_ns: int, size: int) -> tuple[dict, ...]:
    try:
        raw = Path(path).read_bytes().decode("utf-8-sig", errors="replace")
        return tuple(csv.DictReader(io.StringIO(raw, newline="")))
    except (OSError, csv.Error):
        return ()


def _rows(path: Path | None) -> tuple[dict, ...]:
    if path is None:
        return ()
    try:
        st = path.stat()
    except OSError:
        return ()
    return _csv_rows(str(path), st.st_mtime_ns, st.st_size)


def _field(row: dict, *names: str) -> str:
    """A CSV cell by any of a few header spellings ('file_id', 'File ID')."""
    want = {re.sub(r"[\s_]+", "", n.lower()) for n in names}
    for key, value in row.items():
        if key is not None and re.sub(r"[\s_]+", "", key.strip().lower()) in want:
            return (value or "").strip()
    return ""


def _speaker_names(folder: Path, file_id: str) -> dict[str, str]:
    names = {}
    for row in _rows(_find_up(folder, SPEAKER_METADATA)):
        if _field(row, "file_id") == file_id:
            names[_field(row, "speaker_id")] = _field(row, "speaker_name")
    return names


def _file_meta(folder: Path, file_id: str, draft: Draft) -> None:
    for row in _rows(_find_up(folder, FILE_METADATA)):
        if _field(row, "file_id") == file_id:
            draft.company = _field(row, "company_name", "company") or None
            q = _field(row, "financial_quarter", "quarter").upper().lstrip("Q")
            draft.quarter = int(q) if q in ("1", "2", "3", "4") else None
            break
    for row in _rows(_find_up(folder, TICKER_METADATA)):
        if _field(row, "file_id") == file_id:
            ticker = _field(row, "ticker_symbol", "ticker").upper()
            draft.ticker = ticker if re.fullmatch(r"[A-Z0-9][A-Z0-9.\-]{0,11}", ticker) else None
            company = _field(row, "company_name", "company")
            draft.company = draft.company or company or None
            break


def _clean_name(name: str) -> str | None:
    """A usable display name, or None for a blank or a placeholder like 'Speaker 1'."""
    name = re.sub(r"\s+", " ", name or "").strip()
    name = re.sub(r"(?<=\w{2})\.$", "", name)       # 'James.' -> 'James' (but 'Richard S.' keeps its initial)
    if not name or _PLACEHOLDER.match(name):
        return None
    return name


# ---- the table -----------------------------------------------------------------------------------------------

def _word(token: str) -> tuple[str, bool]:
    """(text, spoken): '<inaudible>' -> ('[inaudible]', False); 'growth' -> ('growth', True)."""
    m = _TAG.match(token)
    if not m:
        return token, True
    tag = m[1].lower()
    return _MARKUP.get(tag, f"[{tag.replace('_', ' ')}]"), False


def _float(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _runs(text: str, path: Path) -> list[tuple[str, list[tuple[str, bool, float | None, float | None]]]]:
    """[(speaker id, [(word with punctuation, spoken, start, end), ...]), ...] in file order."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip())
    header = [h.strip().lower() for h in lines[start].split("|")]
    col = {h: i for i, h in reversed(list(enumerate(header)))}
    width = len(header)
    rows = [(n, line) for n, line in enumerate(lines[start + 1:], start + 2) if line.strip()]
    if not rows:
        raise InputFileError(f"{path}: token table has a header but no tokens", "the export is empty or cut short")
    bad = [n for n, line in rows if line.count("|") != width - 1]
    if len(bad) > max(2, len(rows) // 100):
        raise InputFileError(f"{path}: malformed token table: {len(bad)} of {len(rows)} lines do not have the "
                             f"header's {width} columns (first at line {bad[0]})",
                             "re-export the table; every line needs one '|'-separated cell per header column")
    bad_lines = set(bad)
    punct, prepunct = col.get("punctuation"), col.get("prepunctuation")
    ts, end_ts = col.get("ts"), col.get("endts")
    runs: list = []
    for n, line in rows:
        if n in bad_lines:
            continue
        cells = line.split("|")
        token, speaker = cells[0].strip(), cells[1].strip()
        if not token:
            continue
        if not speaker:
            raise InputFileError(f"{path}: malformed token table: line {n} has no speaker id",
                                 "every token needs the id of its speaker")
        word, spoken = _word(token)
        before = cells[prepunct].strip() if prepunct is not None else ""
        after = cells[punct].strip() if punct is not None else ""
        if not word and after and runs and runs[-1][0] == speaker:
            # a dropped annotation ('mm-hmm <affirmative>.'): its punctuation goes to the word before
            last = next((i for i in range(len(runs[-1][1]) - 1, -1, -1) if runs[-1][1][i][0]), None)
            if last is not None and re.search(r"[\w\]]$", runs[-1][1][last][0]):
                w, s, t0, t1 = runs[-1][1][last]
                runs[-1][1][last] = (w + after, s, t0, t1)
        item = (before + word + after if word else "", spoken,
                _float(cells[ts]) if ts is not None else None, _float(cells[end_ts]) if end_ts is not None else None)
        if runs and runs[-1][0] == speaker:
            runs[-1][1].append(item)
        else:
            runs.append((speaker, [item]))
    if not runs:
        raise InputFileError(f"{path}: token table has no tokens", "the export is empty or cut short")
    return runs


def _paragraphs(words) -> str:
    """Words joined by spaces; a new paragraph after a long pause when the table has timings."""
    out, para, last_end = [], [], None
    for word, _spoken, t0, t1 in words:
        if not word:
            continue
        if para and t0 is not None and last_end is not None and t0 - last_end >= _PAUSE_S:
            out.append(" ".join(para))
            para = []
        para.append(word)
        last_end = t1 if t1 is not None else last_end
    if para:
        out.append(" ".join(para))
    return "\n".join(out)


def _speech_runs(text: str, path: Path) -> list[tuple[str, str]]:
    """The turns as (speaker id, text): runs without a spoken word dropped, the neighbours of a dropped run joined
    when they share a speaker."""
    turns: list[tuple[str, list]] = []
    for speaker, words in _runs(text, path):
        if not any(spoken for _w, spoken, _a, _b in words):
            continue
        if turns and turns[-1][0] == speaker:
            turns[-1][1].extend(words)
        else:
            turns.append((speaker, list(words)))
    return [(s, _paragraphs(w)) for s, w in turns]


def _operator_ids(turns: list[tuple[str, str]]) -> set[str]:
    """Speakers who open the call (or their first run) with an operator's welcome or housekeeping and then keep
    working the question queue in short runs. A host from the company who welcomes, presents and says 'next
    question, please' is not one; nor is an analyst's 'my first question'. Earnings-22's diarisation often gives
    the operator a new id later in the call, so a call may have several."""
    runs: dict[str, list[tuple[int, str]]] = {}
    for i, (speaker, text) in enumerate(turns):
        runs.setdefault(speaker, []).append((i, text))
    found = set()
    for speaker, mine in runs.items():
        first_at, first = mine[0]
        if not _OPERATOR_OPENING.search(first):
            continue
        if (first_at > 2 and not _OPERATOR_QUEUE.search(first)) or _IR_SELF.search(first[:600]):
            continue
        lengths = sorted(len(t.split()) for _i, t in mine)
        median = lengths[len(lengths) // 2]
        queue = sum(1 for _i, t in mine if _OPERATOR_QUEUE.search(t))
        says_so = first_at == 0 and bool(_OPERATOR_SELF.search(first[:600]))    # "I'll be your operator today"
        if len(mine) == 1:
            # one welcome with the dial-in instructions or a hand-over, and the id never speaks again
            if first_at == 0 and (says_so or (queue and lengths[0] <= 350)
                                  or (lengths[0] <= 80 and _HANDOVER.search(first))):
                found.add(speaker)
        elif (says_so and median <= 150) or (
                queue >= 2 and ((median <= 60 and queue >= 0.3 * len(mine)) or queue >= 0.6 * len(mine))):
            found.add(speaker)
    return found


def read(text: str, path: Path) -> Draft:
    if not sniff(text, path):
        raise InputFileError(f"{path}: not a token table: the first line must be the header "
                             "'token|speaker|ts|endTs|punctuation|...'", "check the file, or pick another --format")
    path = Path(path)
    turns = _speech_runs(text, path)
    file_id = path.stem
    folder = path.parent
    names = {k: _clean_name(v) for k, v in _speaker_names(folder, file_id).items()}
    operators = _operator_ids(turns)
    draft = Draft(turns=[], sections_marked=False)
    for speaker, body in turns:
        name = names.get(speaker)
        role = None
        if speaker in operators:
            role = OPERATOR
            if name is None or _OPERATOR_LIKE.match(name) or is_operator(name):
                name = "Operator"
        elif name and (_OPERATOR_LIKE.match(name) or is_operator(name)):
            name = "Operator"                       # the metadata says so even where the text does not
            role = OPERATOR
        draft.turns.append(DraftTurn(speaker=name or f"Speaker {speaker}", text=body, role=role))
    _file_meta(folder, file_id, draft)
    return draft
