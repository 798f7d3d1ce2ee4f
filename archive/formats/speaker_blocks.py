"""Header-with-affiliation family: PDF-extracted transcripts (Refinitiv / StreetEvents style) where participants are
listed as blocks and every turn opens with a block of its own:

    CORPORATE PARTICIPANTS              (management: a name line, then 'Company - Title', possibly wrapped)
    CONFERENCE CALL PARTICIPANTS        (analysts: a name line, then 'Firm, Research Division - Title')
    PRESENTATION                        (prepared remarks)
    <blank> / Name / affiliation line(s) / speech lines ...
    QUESTIONS AND ANSWERS               (Q&A)
    ...
    DISCLAIMER                          (vendor notice, not part of the call)

The speech is PDF text: lines wrapped at a fixed width (about 140 characters), bare page numbers and repeated page
headers/footers between them. Lines are joined back into paragraphs: a paragraph ends where a line ends a sentence
and the next line's first word would have fitted on it. The file names no ticker; company and period come from a
title line when there is one, else from the participant affiliations and the file name ('Q3 2022 <Company>
Earnings Call.txt')."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..models import ANALYST, EXECUTIVE, OPERATOR, PREPARED, QA, Participant
from ..roles import DraftTurn, is_operator, name_key
from . import Draft
from .meta import iso_date, period_in

NAME = "speaker-blocks"

_CORP_HEADINGS = {"corporate participants", "company participants", "company representatives", "executives",
                  "management"}
_ANALYST_HEADINGS = {"conference call participants", "other participants", "analysts", "call participants"}
_PREPARED_HEADINGS = {"presentation", "prepared remarks", "management discussion section", "management discussion"}
_QA_HEADINGS = {"questions and answers", "question and answer", "questions and answer", "question and answers",
                "question and answer session", "question-and-answer session", "questions & answers", "q&a",
                "q & a", "q&a session"}
_END_HEADINGS = {"disclaimer", "definitions"}
_END_LINE = re.compile(r"^(?:refinitiv|thomson reuters|s&p global|factset|bloomberg)\b.{0,40}\breserves the right\b",
                       re.I)

# Page furniture.
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s+of\s+\d{1,4})?$", re.I)
_COPYRIGHT = re.compile(r"^(?:©|\(c\)|copyright\b)\s*(?:©\s*)?\d{4}\b.*?\ball rights reserved\b\.?\s*", re.I)
_FOOTER = re.compile(r"streetevents|www\.(?:refinitiv|thomsonreuters|streetevents)\.com|"
                     r"^(?:refinitiv|thomson reuters)\s*\||republication or redistribution of", re.I)
_DATE_HEADER = re.compile(r"^[A-Z]{3,9}\.? \d{1,2}, \d{4}\s*/\s*\d{1,2}:\d{2}\s*[AP]M\b", re.I)
_FURNITURE_HINT = re.compile(r"\bQ[1-4]\s+(?:FY\s*)?\d{4}\b|\bearnings\s+(?:conference\s+)?call\b|\btranscript\b|"
                             r"\bevent date\b|https?://|www\.", re.I)
_EVENT_DATE = re.compile(r"^event\s+date(?:\s*/\s*time)?\s*:", re.I)
# A turn marker left over from the vendor's markup: p id="53428814" name="Richard Milligan" type="A"
_MARKER = re.compile(r'^<?p\s+id="[^"]*"\s+name="(?P<name>[^"]+)"(?:\s+type="(?P<type>[A-Za-z]+)")?\s*/?>?$')
# A one-line block: 'Name;Firm;Title' or 'Name;Title', sometimes with the speech glued on after '^'.
_SEMI = re.compile(r"^(?P<name>[^;^]{2,60});(?P<aff>[^^]{2,200}?)\s*(?:\^\s*(?P<rest>.*))?$")
_MARKER_ROLES = {"a": ANALYST, "q": ANALYST, "e": EXECUTIVE, "c": EXECUTIVE, "m": EXECUTIVE, "o": OPERATOR}

_GENERIC = re.compile(r"^(?:operator|moderator|coordinator|host|unidentified (?:analyst|participant|speaker|"
                      r"company representative|corporate participant|corporation representative|executive|"
                      r"audience member|person)|unknown (?:speaker|analyst|executive|participant)|"
                      r"corporate participant|company representative|conference call participant)$", re.I)
_NOT_NAMES = {"thank", "thanks", "good", "yes", "no", "okay", "ok", "great", "sure", "hello", "hi", "right", "well",
              "so", "and", "but", "the", "we", "i", "our", "next", "question", "questions", "answer", "answers",
              "presentation", "disclaimer", "copyright", "earnings", "call", "all", "more", "page", "participants",
              "operator", "please", "with", "that", "this", "it", "in", "on", "at", "for", "as", "of"}
_PARTICLES = {"de", "van", "von", "da", "di", "del", "la", "le", "du", "der", "den", "bin", "al", "y", "dos", "das",
              "e", "ter", "ten", "st."}
_AFFIL_SPLIT = re.compile(r"(?<!-) - (?!-)")
_ABBREV_END = re.compile(r"\b(?:Inc|Co|Ltd|Corp|LLC|L\.P|LP|S\.A|N\.V|plc|AG|SE|Jr|Sr|Cos|Bros|Intl)\.$")
_SENTENCE_END = re.compile(r"(?:[.?!…:]|--|—)[\"'”’)\]]*$|\([^()]{2,40}\)$|\[[^\[\]]{2,40}\]$")
_COMPOUND_STOP = {"to", "and", "or", "nor", "but", "versus", "vs", "through", "and/or"}
_RESEARCH = re.compile(r",?\s*(?:equity\s+)?research\s+division\b.*$", re.I)
_WRAP_WORDS = {"of", "and", "&", "for", "the", "de", "in", "to", "on", "at"}


@dataclass
class _Person:
    name: str
    aff_lines: list[str] = field(default_factory=list)
    role: str = EXECUTIVE
    semi: str | None = None            # the affiliation of a one-line 'Name;Firm;Title' entry, as 'Firm - Title'

    @property
    def affiliation(self) -> str:
        return self.semi if self.semi is not None else _join_lines(self.aff_lines)

    @property
    def org(self) -> str | None:
        parts = _AFFIL_SPLIT.split(self.affiliation, maxsplit=1)
        return (parts[0].strip() or None) if len(parts) == 2 else None

    @property
    def title(self) -> str | None:
        """Job title for management, firm for analysts."""
        aff = self.affiliation
        if not aff:
            return None
        parts = _AFFIL_SPLIT.split(aff, maxsplit=1)
        if self.role == ANALYST:
            firm = parts[0] if len(parts) == 2 else aff
            return _RESEARCH.sub("", firm).strip(" ,") or firm.strip()
        return (parts[1] if len(parts) == 2 else aff).strip() or None


# ---- line helpers ----------------------------------------------------------------------------------------------

def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s.replace("\u00a0", " ")).strip()


def _heading(s: str) -> str | None:
    """'corp' / 'analyst' / 'prepared' / 'qa' / 'end' for a heading line, else None."""
    low = s.lower().rstrip(":").strip()
    if len(low) > 40:
        return None
    if low in _CORP_HEADINGS:
        return "corp"
    if low in _ANALYST_HEADINGS:
        return "analyst"
    if low in _PREPARED_HEADINGS:
        return "prepared"
    if low in _QA_HEADINGS:
        return "qa"
    if low in _END_HEADINGS:
        return "end"
    return None


def _name_ok(s: str, max_words: int = 7) -> bool:
    """A person's name: 'Haendel Emmanuel St. Juste', 'R.J. Milligan', 'BingYi Ma', 'Jean-Pierre de Villiers'."""
    if not s or len(s) > 60 or _heading(s):
        return False
    if re.search(r"[\d?!;:\"“”()\[\]/@#%$&*=+<>{}|\\]|\s-\s|--", s) or re.search(r"[,;]$", s):
        return False
    words = s.split()
    if not 1 <= len(words) <= max_words or words[0].lower().strip(".,'’") in _NOT_NAMES:
        return False
    if s.endswith(".") and not re.search(r"(?:\b[A-Z]|\bJr|\bSr|\bSt)\.$", s):
        return False
    return all(w[0].isupper() or w.lower() in _PARTICLES or (w[0].islower() and any(c.isupper() for c in w[1:]))
               for w in words)


def _affiliation_like(s: str) -> bool:
    """'Company, Inc. - CFO' or 'Firm, Research Division - Analyst' (not a sentence of speech)."""
    if not s or len(s) > 170 or re.search(r"[?!;\"“”]", s):
        return False
    parts = _AFFIL_SPLIT.split(s, maxsplit=1)
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        return False
    left, right = parts[0].strip(), parts[1].strip()
    if len(left.split()) > 14 or len(right.split()) > 16:
        return False
    if right.endswith((".", ":", ",")) and not _ABBREV_END.search(right):
        return False
    return left[0].isalnum() and right[0].isalnum()


def _semi_block(s: str) -> tuple[str, str, str] | None:
    """'Kaili Wang;Citigroup Inc., Research Division;Senior Research Associate' -> (name, 'Firm - Title', speech
    glued on after '^' or '')."""
    m = _SEMI.match(s)
    if not m:
        return None
    name, aff = m["name"].strip(), m["aff"].strip()
    parts = [p.strip() for p in aff.split(";") if p.strip()]
    if not _name_ok(name) or not 1 <= len(parts) <= 3 or re.search(r"[?!\"“”]|[a-z]{3}\.\s+[A-Z]", aff) \
            or len(aff.split()) > 24:
        return None
    return name, " - ".join(parts[:2]) if len(parts) >= 2 else parts[0], (m["rest"] or "").strip()


def _wrap_continuation(prev: str, s: str, width: int) -> bool:
    """'Research Analyst' under a long affiliation line that wrapped."""
    if not s or len(prev) < min(80, width * 0.55) or len(s) > 60 or " - " in s or _SENTENCE_END.search(s) \
            or s.endswith(","):
        return False
    words = s.split()
    return len(words) <= 7 and all(w[0].isupper() or w.lower() in _WRAP_WORDS for w in words)


def _join_lines(lines: list[str]) -> str:
    out = ""
    for line in lines:
        out = _join(out, line) if out else line
    return out


def _join(a: str, b: str) -> str:
    """Join a wrapped line: 'forward-' + 'looking' -> 'forward-looking'; 'mid-' + 'to high' -> 'mid- to high'."""
    if re.search(r"[A-Za-z]-$", a) and b[:1].isalpha():
        first = b.split()[0].lower().strip(",.;:")
        if first not in _COMPOUND_STOP:
            return a + b
    return a + " " + b


def _ends_paragraph(line: str, nxt: str, width: int) -> bool:
    """A line ends a paragraph when it ends a sentence and the next line's first word would have fitted on it."""
    if not _SENTENCE_END.search(line) or nxt[:1].islower():
        return False
    first = nxt.split()[0] if nxt.split() else ""
    return len(line) + 1 + len(first) < width * 0.95


# ---- furniture -------------------------------------------------------------------------------------------------

def _clean_lines(text: str) -> list[str]:
    """The text's lines, stripped; blank-ish lines become ''; page numbers, copyright lines, page headers and
    footers are dropped (a copyright glued to a heading leaves the heading)."""
    raw = [_norm(l) for l in text.split("\n")]
    for k, line in enumerate(raw):
        if _COPYRIGHT.match(line):
            rest = _COPYRIGHT.sub("", line, count=1).strip()
            raw[k] = rest if _heading(rest) or _PAGE_NUMBER.match(rest) else ""
    counts = Counter(l for l in raw if l)
    out = []
    for line, orig in zip(raw, text.split("\n")):
        if not line:
            # A line that was only a copyright notice vanishes; a truly blank line stays a separator.
            if _norm(orig):
                continue
            out.append("")
            continue
        if _PAGE_NUMBER.match(line) or _FOOTER.search(line) and len(line) < 160 or _DATE_HEADER.match(line):
            continue
        if counts[line] >= 3 and _FURNITURE_HINT.search(line) and not _heading(line) and len(line) < 160:
            continue
        out.append(line)
    return out


# ---- sniff -----------------------------------------------------------------------------------------------------

def _blocks(lines: list[str]) -> int:
    """How many 'blank / Name / Company - Title' blocks the lines hold."""
    n = 0
    for i in range(len(lines) - 2):
        if lines[i] == "" and _name_ok(lines[i + 1]) and " - " not in lines[i + 1] \
                and _affiliation_like(lines[i + 2]):
            n += 1
    return n


_SNIFF_WORDS = re.compile(r"participants|presentation|questions? and answers?|q\s*&\s*a", re.I)


def sniff(text: str, path: Path) -> bool:
    if text.lstrip()[:1] in "{[" or not _SNIFF_WORDS.search(text[:200_000]):
        return False
    lines = _clean_lines(text[:200_000])
    kinds = [_heading(l) for l in lines[:4000]]
    has_list = any(k in ("corp", "analyst") for k in kinds)
    has_sections = any(k in ("prepared", "qa") for k in kinds)
    if not (has_list or has_sections):
        return False
    blocks = _blocks(lines)
    # Participant blocks plus section headings, or a participant heading with turn blocks throughout.
    return (has_list and has_sections and blocks >= 2) or blocks >= 4


# ---- read ------------------------------------------------------------------------------------------------------

def _participants(lines: list[str]) -> tuple[list[str], list[_Person], int]:
    """Title lines before the lists, the listed people, and the index where the call starts."""
    header: list[str] = []
    people: list[_Person] = []
    role = None
    i = 0
    n = len(lines)
    # Where the file's first section heading is: list entries before it that do not parse are skipped, not taken
    # for the start of the call.
    section_at = next((k for k, l in enumerate(lines) if l and _heading(l) in ("prepared", "qa")
                       and (l.isupper() or k == 0 or not lines[k - 1])), None)
    while i < n:
        s = lines[i]
        kind = _heading(s) if s else None
        if kind in ("corp", "analyst"):
            role = EXECUTIVE if kind == "corp" else ANALYST
            i += 1
            continue
        if kind in ("prepared", "qa", "end"):
            return header, people, i
        if role is None:
            if s and (_GENERIC.match(s) or people):
                return header, people, i
            if s and _name_ok(s) and i + 1 < n and _affiliation_like(lines[i + 1]):
                return header, people, i           # no list at all: the first turn block
            if s:
                header.append(s)
            i += 1
            continue
        if not s:
            i += 1
            continue
        # A group: the lines up to the next blank or heading.
        j = i
        while j < n and lines[j] and not _heading(lines[j]):
            j += 1
        group = lines[i:j]
        entries: list[_Person] = []
        for k, line in enumerate(group):
            nxt = group[k + 1] if k + 1 < len(group) else None
            semi = _semi_block(line)
            if semi and not semi[2]:
                entries.append(_Person(semi[0], [line], role, semi=semi[1]))
                continue
            starts = not entries or (" - " not in line and nxt is not None and _affiliation_like(nxt))
            if starts:
                if " - " in line and _name_ok(_AFFIL_SPLIT.split(line, maxsplit=1)[0]) and not entries \
                        and nxt is None:
                    name, aff = _AFFIL_SPLIT.split(line, maxsplit=1)   # 'Name - Company - Title' on one line
                    entries.append(_Person(name.strip(), [aff.strip()], role))
                    continue
                entries.append(_Person(line, [], role))
            else:
                entries[-1].aff_lines.append(line)
        good = all(_name_ok(e.name) and not _GENERIC.match(e.name) and len(e.aff_lines) <= 4
                   and all(len(a) <= 170 for a in e.aff_lines) for e in entries)
        if not good:
            if section_at is not None and j <= section_at:
                i = j                              # an entry in a shape not known here: skip it
                continue
            return header, people, i               # speech: the call starts here, with no section heading
        people.extend(entries)
        i = j
    return header, people, n


def _company(people: list[_Person], path: Path) -> str | None:
    orgs = Counter(p.org for p in people if p.role == EXECUTIVE and p.org)
    stem = _stem_company(path)
    if orgs:
        best = max(orgs.values())
        tied = [o for o, c in orgs.items() if c == best]
        if len(tied) == 1 or not stem:
            return tied[0]
        key = set(name_key(stem).split())
        return max(tied, key=lambda o: len(key & set(name_key(o).split())))
    return stem


def _stem_company(path: Path) -> str | None:
    stem = re.sub(r"\s+", " ", path.stem).strip()
    stem = re.sub(r"^(?:Q[1-4]\s+(?:FY\s*)?\d{4}|(?:FY\s*)?\d{4}\s+Q[1-4]|(?:H[12]|FY)\s*\d{4})\s+", "", stem,
                  flags=re.I)
    stem = re.sub(r"\s+(?:Earnings(?:\s+(?:Conference\s+)?Call)?|Conference\s+Call|Results\s+Call)"
                  r"(?:\s+Transcript)?$", "", stem, flags=re.I)
    return stem.strip(" -_") or None


def read(text: str, path: Path) -> Draft:
    path = Path(path)
    lines = _clean_lines(text)
    head_lines, people, start = _participants(lines)
    by_key = {name_key(p.name): p for p in people}
    by_short = {}
    for p in people:
        parts = [w for w in name_key(p.name).split() if len(w) > 1]
        if len(parts) >= 2:
            by_short.setdefault(f"{parts[0]} {parts[-1]}", p)

    def listed(name: str) -> _Person | None:
        p = by_key.get(name_key(name))
        if p is None:
            parts = [w for w in name_key(name).split() if len(w) > 1]
            if len(parts) >= 2:
                p = by_short.get(f"{parts[0]} {parts[-1]}")
        return p

    company = _company(people, path)
    company_key = name_key(company or "")

    # Wrap width of the speech: most speech lines of a wrapped file are within a few characters of it.
    end = next((k for k in range(start, len(lines)) if _is_end(lines[k], not lines[k - 1])), len(lines))
    lengths = sorted(len(l) for l in lines[start:end] if len(l) >= 40)
    width = lengths[int(len(lengths) * 0.9)] if len(lengths) >= 20 else 140

    turns: list[DraftTurn] = []
    bodies: list[list[str | None]] = []
    section = PREPARED
    marked = False
    after_break = True
    i = start
    n = len(lines)

    def open_turn(name: str, title: str | None, role: str | None):
        turns.append(DraftTurn(speaker=name, text="", title=title, section=section, role=role))
        bodies.append([])

    while i < n:
        s = lines[i]
        if not s:
            after_break = True
            if bodies and bodies[-1] and bodies[-1][-1] is not None:
                bodies[-1].append(None)               # a blank inside speech ends a paragraph
            i += 1
            continue
        kind = _heading(s)
        if _is_end(s, after_break):
            break
        if kind in ("corp", "analyst") and s.isupper():
            after_break = True                     # a participant heading repeated inside the call: furniture
            i += 1
            continue
        if kind in ("prepared", "qa") and (after_break or s.isupper()):
            section = QA if kind == "qa" else PREPARED
            marked = True
            after_break = True
            i += 1
            continue
        m = _MARKER.match(s)
        if m:
            p = listed(m["name"])
            if p:
                open_turn(p.name, p.title, p.role)
            else:
                role = _MARKER_ROLES.get((m["type"] or "").lower())
                open_turn(m["name"].strip(), None, role)
            after_break = False
            i += 1
            continue
        semi = _semi_block(s)
        if semi and (semi[2] or after_break or not turns):
            name, aff, rest = semi
            p = listed(name)
            if p:
                open_turn(p.name, p.title, p.role)
            else:
                open_turn(name, *_describe(aff, company_key))
            if rest:
                bodies[-1].append(rest)
            after_break = False
            i += 1
            continue
        nxt = lines[i + 1] if i + 1 < n else ""
        who = None
        if after_break or not turns:
            p = listed(s)
            if p or _GENERIC.match(s):
                who = p or s
            elif _name_ok(s) and (_affiliation_like(nxt) or len(s.split()) >= 2):
                who = s
        else:
            # A block whose blank line the extraction lost: a listed name over its own affiliation line, or
            # 'Operator' after a finished sentence.
            p = listed(s)
            prev = next((b for b in reversed(bodies[-1]) if b), "")
            if p and p.aff_lines and nxt == p.aff_lines[0]:
                who = p
            elif _GENERIC.match(s) and (not prev or _SENTENCE_END.search(prev)):
                who = s
        if who is None:
            if turns:
                bodies[-1].append(s)
            after_break = False
            i += 1
            continue
        # A turn block: name, then its affiliation line(s).
        i += 1
        if isinstance(who, _Person):
            p = who
            k = 0
            while k < len(p.aff_lines) and i < n and lines[i] == p.aff_lines[k]:
                i += 1
                k += 1
            if k == 0 and i < n and _affiliation_like(lines[i]):
                i = _skip_affiliation(lines, i, width)
            open_turn(p.name, p.title, p.role)
        else:
            name = who
            title = role = None
            if i < n and _affiliation_like(lines[i]):
                first = i
                i = _skip_affiliation(lines, i, width)
                title, role = _describe(_join_lines(lines[first:i]), company_key)
            if is_operator(name):
                role, title = OPERATOR, None
            open_turn(name, title, role)
        after_break = False

    for t, body in zip(turns, bodies):
        t.text = _paragraphs(body, width)
    draft = Draft(turns=turns, participants=[Participant(p.name, p.title, p.role) for p in people],
                  sections_marked=marked, company=company)
    title = next((h for h in head_lines if period_in(h)[0] or re.search(r"earnings|conference call|results", h, re.I)),
                 None)
    draft.title = title or (path.stem if period_in(path.stem)[0] else None)
    draft.year, draft.quarter = period_in(title or "")
    if not draft.year:
        draft.year, draft.quarter = period_in(path.stem)
    date_line = next((h for h in head_lines if _EVENT_DATE.match(h)), None) or " ".join(head_lines)
    draft.date = iso_date(date_line)
    return draft


def _is_end(s: str, after_break: bool) -> bool:
    """The vendor's notice after the call: a DISCLAIMER heading, or its first sentence where the heading is lost."""
    return bool(s) and (_heading(s) == "end" and (after_break or s.isupper()) or bool(_END_LINE.match(s)))


def _describe(aff: str, company_key: str) -> tuple[str | None, str | None]:
    """Title and role of an unlisted speaker from the affiliation in their turn block: the company's own people are
    executives (title = job), research divisions' are analysts (title = firm); else the affiliation is the title and
    roles.py judges it."""
    parts = _AFFIL_SPLIT.split(aff, maxsplit=1)
    org, job = (parts[0].strip(), parts[1].strip()) if len(parts) == 2 else (aff.strip(), "")
    if company_key and name_key(org) == company_key:
        return job or None, EXECUTIVE
    if _RESEARCH.search(org) or re.search(r"\banaly[sz]t\b", job, re.I):
        return _RESEARCH.sub("", org).strip(" ,") or org, ANALYST
    return aff or None, None


def _skip_affiliation(lines: list[str], i: int, width: int) -> int:
    """Past an affiliation line at i and its wrapped continuation, if any."""
    i += 1
    if i < len(lines) and _wrap_continuation(lines[i - 1], lines[i], width):
        i += 1
    return i


def _paragraphs(body: list[str | None], width: int) -> str:
    paras: list[str] = []
    cur = ""
    for k, line in enumerate(body):
        if line is None:
            if cur:
                paras.append(cur)
            cur = ""
            continue
        cur = _join(cur, line) if cur else line
        nxt = body[k + 1] if k + 1 < len(body) else None
        if nxt is not None and _ends_paragraph(line, nxt, width):
            paras.append(cur)
            cur = ""
    if cur:
        paras.append(cur)
    return "\n".join(paras)
