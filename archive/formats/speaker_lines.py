"""Speaker-line-then-paragraphs family: a line naming the speaker (alone, with a title, or as 'Name - Firm',
sometimes with a 'Q -'/'A -' prefix), then the speech as paragraphs. Covers the customer's seed layout (web-page
text with furniture around the call) and Seeking Alpha text (title line, participant block, 'Operator' turns).
Headers vary; the body rules are one."""
from __future__ import annotations

import re
from pathlib import Path

from ..models import ANALYST, EXECUTIVE, QA, PREPARED, UNKNOWN, Participant
from ..roles import DraftTurn, is_operator, name_key, role_of_title
from . import Draft
from .meta import exchange_in, exchange_ticker, iso_date, period_in

NAME = "speaker-lines"

_SEED_START = re.compile(r"^EARNINGS CALL TRANSCRIPT\s+(\d{4})\s*-\s*Q([1-4])\s*$", re.I)
_SEED_END = re.compile(r"^ALL TRANSCRIPTS\s*$", re.I)
_EXEC_HEADINGS = {"executives", "company participants", "company representatives", "corporate participants",
                  "company speakers", "management"}
_ANALYST_HEADINGS = {"analysts", "conference call participants", "other participants", "call participants"}
_QA_HEADINGS = re.compile(r"^(question[- ]and[- ]answer session|questions? (and|&) answers?|q\s*&\s*a( session)?)\s*:?$",
                          re.I)
_PREPARED_HEADINGS = re.compile(r"^(presentation|prepared remarks|operator instructions)\s*:?$", re.I)
_GENERIC_SPEAKERS = re.compile(r"^(operator|moderator|unidentified (analyst|participant|speaker|company representative|"
                               r"corporation representative|executive)|unknown (speaker|analyst|executive)|"
                               r"corporate participant|company representative)$", re.I)
_PREFIX = re.compile(r"^(?:[AQ]\s*[-–:]\s+)")
_AFFIL = re.compile(r"\s+[-–]\s+")
_TITLE_WORDS = {
    "investor", "relations", "chief", "executive", "financial", "operating", "officer", "president", "vice",
    "chairman", "chairwoman", "director", "head", "manager", "ceo", "cfo", "coo", "cto", "ir", "analyst", "senior",
    "general", "counsel", "treasurer", "controller", "secretary", "founder", "partner", "managing", "evp", "svp",
    "vp", "corporate", "group", "global", "technology", "accounting", "strategy", "development", "co-founder"}
_NOT_NAMES = {"thank", "thanks", "good", "yes", "no", "okay", "ok", "great", "sure", "hello", "hi", "right", "well",
              "so", "and", "but", "the", "we", "i", "our", "next", "question", "questions", "image", "market", "p/e",
              "operator", "presentation", "disclaimer", "copyright", "earnings", "call", "all", "more"}
_PARTICLES = {"de", "van", "von", "da", "di", "del", "la", "le", "du", "der", "den", "bin", "al", "y"}


def _name_like(s: str, max_words: int = 4) -> bool:
    """'Yulin Wang', 'C. Kelly Wall', 'Jean-Pierre de Villiers': capitalised words, no sentence punctuation."""
    s = s.strip()
    if not s or len(s) > 60 or re.search(r"[\d.?!:;,\"“”()\[\]/]$|[?!;:\"“”\[\]()/@#%$&*=+<>{}|\\]|\d", s):
        return False
    words = s.split()
    if not 1 <= len(words) <= max_words or words[0].lower().strip(".") in _NOT_NAMES:
        return False
    return all(w[0].isupper() or w.lower() in _PARTICLES for w in words)


def _split_name_title(line: str, known: dict[str, str]) -> tuple[str, str | None]:
    """'Nicole Shan Investor Relations Officer' -> ('Nicole Shan', 'Investor Relations Officer')."""
    words = line.split()
    for n in range(len(words), 0, -1):            # the longest known name that starts the line
        if name_key(" ".join(words[:n])) in known:
            return " ".join(words[:n]), " ".join(words[n:]) or None
    for i, w in enumerate(words):
        if i >= 1 and w.lower().strip(",") in _TITLE_WORDS:
            return " ".join(words[:i]), " ".join(words[i:])
    return line, None


def _speaker(line: str, known: dict[str, str], blank_around: bool) -> tuple[str, str | None] | None:
    """If this line opens a turn, the speaker and a title/firm; else None."""
    s = _PREFIX.sub("", line.strip()) if _PREFIX.match(line.strip()) else line.strip()
    if not s or len(s) > 120:
        return None
    if _GENERIC_SPEAKERS.match(s) or name_key(s) in known:
        return s.rstrip(".\\ "), None
    parts = _AFFIL.split(s, maxsplit=1)
    if len(parts) == 2 and (name_key(parts[0]) in known or _name_like(parts[0])) \
            and not re.search(r"[.?!]$", parts[1]) and len(parts[1]) <= 80:
        return parts[0], parts[1]
    if blank_around and _name_like(s, max_words=9):
        name, title = _split_name_title(s, known)
        if _name_like(name):
            return name, title
    if _name_like(s, max_words=4) and len(s.split()) >= 2:
        return s, None
    return None


def _body_and_header(lines: list[str]) -> tuple[list[str], list[str], tuple]:
    """Split page furniture / title block from the call. Returns (header, body, seed period or ())."""
    for i, line in enumerate(lines):
        m = _SEED_START.match(line.strip())
        if m:
            end = next((j for j in range(i + 1, len(lines)) if _SEED_END.match(lines[j].strip())), len(lines))
            return lines[:i + 1], lines[i + 1:end], (int(m[1]), int(m[2]))
    return [], lines, ()


def sniff(text: str, path: Path) -> bool:
    head = text[:4000]
    if _SEED_START.search(head) or re.search(r"^EARNINGS CALL TRANSCRIPT", head, re.M):
        return True
    # A Seeking Alpha title line, '(NYSE:ABT)', near the top. Other speaker-line text goes to the inference reader.
    return bool(exchange_ticker("\n".join(head.splitlines()[:6]))[1])


def read(text: str, path: Path) -> Draft:
    lines = [l.rstrip() for l in text.split("\n")]
    header, body, seed_period = _body_and_header(lines)
    draft = Draft(turns=[])
    participants: list[Participant] = []
    known: dict[str, str] = {}

    if seed_period:
        draft.year, draft.quarter = seed_period
        draft.exchange = next((e for e in (exchange_in(h) for h in header) if e), None)
        draft.title = header[-1].strip()
    else:
        # Title block: everything before the participant block or the first turn.
        i = 0
        title_lines = []
        while i < len(body) and i < 12:
            s = body[i].strip()
            if s.lower() in _EXEC_HEADINGS | _ANALYST_HEADINGS or _GENERIC_SPEAKERS.match(s):
                break
            title_lines.append(s)
            i += 1
        joined = " ".join(title_lines)
        exchange, ticker = exchange_ticker(joined)
        if ticker:
            draft.exchange, draft.ticker = exchange, ticker
            line = next(l for l in title_lines if exchange_ticker(l)[1])
            draft.company = line.split("(")[0].strip() or None
            draft.title = line
            draft.year, draft.quarter = period_in(joined[joined.find(line):])
            draft.date = iso_date(joined[joined.find(line):])
            body = body[i:]
        # Participant block.
        role = UNKNOWN
        j = 0
        while j < len(body):
            s = body[j].strip()
            low = s.lower().rstrip(":")
            if low in _EXEC_HEADINGS:
                role = EXECUTIVE
            elif low in _ANALYST_HEADINGS:
                role = ANALYST
            elif not s:
                pass
            elif role != UNKNOWN and not _GENERIC_SPEAKERS.match(s):
                parts = _AFFIL.split(s, maxsplit=1)
                name = parts[0].strip()
                if not _name_like(name, max_words=6):
                    break
                title = parts[1].strip() if len(parts) > 1 else None
                participants.append(Participant(name, title, role))
                known[name_key(name)] = role
            else:
                break
            j += 1
        body = body[j:]

    turns: list[DraftTurn] = []
    section = PREPARED
    marked = False
    for k, line in enumerate(body):
        s = line.strip()
        if not s:
            continue
        if _QA_HEADINGS.match(s):
            section, marked = QA, True
            continue
        if _PREPARED_HEADINGS.match(s) and not turns:
            continue
        blank_around = (k == 0 or not body[k - 1].strip()) and (k + 1 >= len(body) or not body[k + 1].strip())
        who = _speaker(line, known, blank_around) if (blank_around or not turns or not seed_period) else None
        if who and not (turns and not turns[-1].text and not seed_period and who[0] == turns[-1].speaker):
            name, title = who
            turns.append(DraftTurn(speaker=name, text="", title=title, section=section,
                                   role="operator" if is_operator(name) else None))
            continue
        if turns:
            turns[-1].text += s + "\n"
    if seed_period:   # the seed's paragraphs end in '..': one full stop is meant
        for t in turns:
            t.text = re.sub(r"(?<!\.)\.\.(?=\n|$)", ".", t.text)
    draft.turns = turns
    draft.participants = participants
    draft.sections_marked = marked
    for t in turns:
        if t.title and t.role is None:
            r = role_of_title(t.title)
            t.role = r if r != UNKNOWN else None
    return draft
