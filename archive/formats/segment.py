"""Lines and the speaker labels found on them -> a Draft: where the call starts and ends, participant rosters,
section headings, page furniture, the turns and their speech. Shared by the inference reader (inferred.py), which
decides which lines are labels from the file's own evidence, and declared layouts (layout.py), which say it with a
pattern. Knows no vendor: only the vocabulary of headings and furniture every transcript uses."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..models import ANALYST, EXECUTIVE, QA, PREPARED, UNKNOWN, Participant
from ..roles import DraftTurn, is_operator, name_key, role_of_title
from . import Draft
from .labels import COMPANY_WORDS, TITLE_WORDS, Label

QA_HEADING = re.compile(
    r"^(?:question[- ]and[- ]answer(?: session| portion)?|questions?\s*(?:and|&)\s*answers?(?: session)?|"
    r"q\s*&\s*a(?: session)?|q and a)\s*:?$", re.I)
PREPARED_HEADING = re.compile(
    r"^(?:presentation|prepared remarks|opening remarks|management discussion(?: section)?|"
    r"management presentation|operator instructions)\s*:?$", re.I)
PARTICIPANT_HEADING = re.compile(
    r"^(?:(?:corporate|company|conference call|call|other|event|management)\s+participants|participants|"
    r"executives|analysts|company representatives|company speakers|speakers|management|attendees|"
    r"presenters|on the call)\s*:?$", re.I)
EXEC_HEADING = re.compile(r"^(?:corporate|company|management)\b|^(?:executives|company representatives|company speakers|"
                          r"presenters|management)\s*:?$", re.I)
ANALYST_HEADING = re.compile(r"^(?:conference call|other)\s+participants|^analysts\s*:?$", re.I)
# Where a transcript proper begins, when the page says so.
START_MARKER = re.compile(
    r"^(?:full\s+)?(?:conference\s+call\s+|earnings\s+call\s+|call\s+)?transcript\s*:?$|"
    r"^(?:prepared remarks|presentation|management discussion section)\s*:$", re.I)
# What follows the call: vendors' notices, page furniture, rosters repeated after the call.
END_MARKER = re.compile(
    r"^(?:disclaimer|definitions|legal notice|important notice|forward[- ]looking statements?(?: disclaimer)?|"
    r"copyright|all rights reserved|stocks mentioned|related (?:articles|links|stories)|more [\w.\-]+ analysis|"
    r"all earnings call transcripts|call participants|duration:.*|\[end of (?:call|transcript)\]|end of (?:call|transcript)|"
    r"this (?:article|document) is a transcript\b.*|the information (?:contained|provided) (?:herein|in this)\b.*|"
    r"(?:©|\(c\)|copyright)\s*\d{4}\b.*|.*\breserves the right to make changes\b.*)\s*:?\s*$", re.I)
FURNITURE = re.compile(
    r"^(?:page\s+\d{1,4}(?:\s+of\s+\d{1,4})?|\d{1,4}\s*(?:/|of)\s*\d{1,4}|-\s*\d{1,4}\s*-|\d{1,4}|"
    r"(?:©|\(c\))\s*\d{4}.*|.*\ball rights reserved\b\.?|confidential|strictly confidential|"
    r"download pdf|print|share|listen to (?:this|the) (?:call|article)|advertisement|"
    r"image(?: source:.*)?|(?:https?://|www\.)\S+)$", re.I)
_HINT = re.compile(r"\d|transcript|earnings|conference|call|page|copyright|©|confidential|www\.|https?://", re.I)
_CONNECTOR_END = re.compile(r"(?:\b(?:and|of|for|the|&|to|in)|,)$", re.I)


@dataclass
class Found:
    """What segmentation decided, for `inspect`."""
    start_line: int | None = None
    end_line: int | None = None
    dropped: list[tuple[int, str, str]] = field(default_factory=list)   # (line number, why, text)
    rosters: list[tuple[int, int]] = field(default_factory=list)        # (first line, last line), 1-based
    headings: list[tuple[int, str]] = field(default_factory=list)       # (line number, section it opens)
    header: list[str] = field(default_factory=list)                     # the lines before the call
    split_mid_line: int = 0


def repeated_furniture(lines: list[str], labelled: set[int]) -> set[int]:
    """Lines that recur on every page of an extracted document: short, repeated 3+ times, with a page-ish hint."""
    counts = Counter(re.sub(r"\d+", "#", l.strip()) for i, l in enumerate(lines) if l.strip() and i not in labelled)
    return {i for i, l in enumerate(lines) if i not in labelled and l.strip() and len(l.strip()) <= 120
            and counts[re.sub(r"\d+", "#", l.strip())] >= 3 and _HINT.search(l)
            and not re.search(r"[.?!]\"?$", l.strip())}


def affiliation_line(line: str) -> bool:
    """A line under a label that holds the speaker's company and/or title ('Acme Corp - CFO')."""
    s = line.strip()
    return bool(s) and len(s) <= 100 and not re.search(r"[.?!:]$", s) and bool(TITLE_WORDS.search(s) or
                                                                                COMPANY_WORDS.search(s))


def segment(lines: list[str], labels: dict[int, tuple[Label, str | None]], *, rosters: list[tuple[int, int]],
            start: re.Pattern | None = START_MARKER, end: re.Pattern | None = END_MARKER,
            qa: re.Pattern = QA_HEADING, prepared: re.Pattern = PREPARED_HEADING,
            furniture: list[re.Pattern] = (), mid_line: re.Pattern | None = None,
            affiliation_lines: bool = True) -> tuple[Draft, Found]:
    """`labels`: line index -> (label, speech on the same line or None). `rosters`: index ranges (inclusive) of
    participant lists. Returns the draft turns and participants, and what was decided."""
    found = Found()
    in_roster = {i for a, b in rosters for i in range(a, b + 1)}
    turn_lines = sorted(i for i in labels if i not in in_roster)
    participants: list[Participant] = []
    for a, b in rosters:
        found.rosters.append((a + 1, b + 1))
        heading = next((lines[k] for k in range(a, max(-1, a - 3), -1) if PARTICIPANT_HEADING.match(lines[k].strip())),
                       "")
        for i in range(a, b + 1):
            if i in labels and not labels[i][0].generic:
                lab = labels[i][0]
                role = role_of_title(lab.affiliation)
                if role == UNKNOWN:
                    role = ANALYST if ANALYST_HEADING.match(heading.strip()) else \
                        EXECUTIVE if EXEC_HEADING.match(heading.strip()) else UNKNOWN
                participants.append(Participant(lab.name, lab.affiliation, role))
    if not turn_lines:
        return Draft(turns=[], participants=participants), found
    # Where the call starts: after a start marker when the page has one before its first turn, else at the first turn.
    first = turn_lines[0]
    if start is not None:
        marks = [i for i, l in enumerate(lines) if start.match(l.strip()) and i not in labels]
        later = [i for i in marks if any(t > i for t in turn_lines)]
        if later:
            # the last marker before the bulk of the turns (a table of contents names the sections first)
            cut = max((i for i in later if sum(t > i for t in turn_lines) >= 0.8 * len(turn_lines)), default=None)
            if cut is not None:
                first = min(t for t in turn_lines if t > cut)
    turn_lines = [t for t in turn_lines if t >= first]
    last = turn_lines[-1]
    stop = len(lines)
    if end is not None:
        stop = next((i for i in range(last + 1, len(lines)) if end.match(lines[i].strip())), stop)
    stop = min([stop] + [a for a, _ in rosters if a > last])
    found.start_line, found.end_line = first + 1, stop
    found.header = [l.strip() for l in lines[:first] if l.strip()]
    for i in range(stop, len(lines)):
        if lines[i].strip() and i not in in_roster:
            found.dropped.append((i + 1, "after the call", lines[i].strip()))

    furn = repeated_furniture(lines[first:stop], {i - first for i in labels}) if stop > first else set()
    furn = {i + first for i in furn}
    turns: list[DraftTurn] = []
    section = PREPARED
    marked = False
    skip_next = False
    for i in range(first, stop):
        if skip_next:
            skip_next = False
            continue
        raw = lines[i]
        s = raw.strip()
        if i in in_roster:
            continue
        if i in labels:
            lab, rest = labels[i]
            title = lab.affiliation
            if affiliation_lines and rest is None and i + 1 < stop and i + 1 not in labels:
                nxt = lines[i + 1].strip()
                if (title is None and affiliation_line(nxt)) or (title and _CONNECTOR_END.search(title) and nxt
                                                                 and len(nxt) <= 80 and affiliation_line(nxt)):
                    title = f"{title} {nxt}" if title else nxt
                    skip_next = True
            if turns and name_key(turns[-1].speaker) == name_key(lab.name) and turns[-1].section == section:
                turns[-1].text += (rest + "\n") if rest else ""        # the same speaker again: one turn
                continue
            turns.append(DraftTurn(speaker=lab.name, text=(rest + "\n") if rest else "", title=title,
                                   section=section, role="operator" if is_operator(lab.name) else None))
            continue
        if not s:
            continue
        if qa.match(s):
            section, marked = QA, True
            found.headings.append((i + 1, QA))
            continue
        if prepared.match(s):
            found.headings.append((i + 1, PREPARED))
            continue
        if i in furn or FURNITURE.match(s) or any(p.search(s) for p in furniture):
            found.dropped.append((i + 1, "page furniture", s))
            continue
        if turns:
            turns[-1].text += s + "\n"
    if mid_line is not None:
        turns = _split_mid_line(turns, mid_line, found)
    draft = Draft(turns=turns, participants=participants, sections_marked=marked)
    return draft, found


def _split_mid_line(turns: list[DraftTurn], pattern: re.Pattern, found: Found) -> list[DraftTurn]:
    """'... thank you. Operator: Our next question ...': a known speaker's label after a sentence end opens a turn."""
    out: list[DraftTurn] = []
    for t in turns:
        pieces = pattern.split(t.text)
        out.append(t)
        if len(pieces) == 1:
            continue
        t.text = pieces[0]
        for k in range(1, len(pieces) - 1, 2):
            name = pieces[k]
            found.split_mid_line += 1
            out.append(DraftTurn(speaker=name, text=pieces[k + 1], section=t.section,
                                 role="operator" if is_operator(name) else None))
    return out
