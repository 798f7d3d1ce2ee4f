"""Who is speaking, and in which part of the call: roles (operator / executive / analyst) from participant lists,
titles and the operator's introductions, and the prepared-remarks / Q&A boundary where a file does not mark it.
Titles come from the participant list first, then from the introductions in the prepared remarks, read by
titles.py only where one reading fits. Layout-free: every reader hands its draft turns here."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from dataclasses import dataclass

from .models import ANALYST, EXECUTIVE, OPERATOR, PREPARED, QA, UNKNOWN, Participant
from .titles import intro_titles

_OPERATOR_NAMES = {"operator", "moderator", "coordinator", "conference operator", "host", "conference call operator"}
_ANALYST_WORDS = re.compile(r"\banaly[sz]t|\bresearch\b", re.I)
_EXEC_WORDS = re.compile(
    r"\b(chief|ceo|cfo|coo|cto|cio|cao|president|officer|chairman|chairwoman|chair|director|vp|svp|evp|vice|"
    r"treasurer|controller|investor relations|ir\b|head|manager|founder|secretary|counsel|executive|"
    r"general manager|managing director|principal|trustee|spokes\w+|communications)\b", re.I)
_FIRM_WORDS = re.compile(
    r"\b(securities|capital|partners|llc|l\.l\.c|bank|banc|& co|co\.|inc\.?|group|asset|investments?|advisors|"
    r"markets|fargo|sachs|morgan|jefferies|citi|barclays|ubs|nomura|cowen|stifel|baird|raymond james|keybanc|"
    r"bernstein|evercore|mizuho|macquarie|hsbc|jpmorgan|credit suisse|deutsche|rbc|bmo|td)\b", re.I)

# The operator announcing a questioner: "from the line of Alexia Quadrani from JPMorgan", "question comes from
# Mike Weinstein of JPMorgan", "Anthony Chukumba with Loop Capital Markets, your line is open".
_NAME = r"(?P<name>[A-Z][\w.'’\-]*(?:\s+(?:[A-Z][\w.'’\-]*|de|van|von|da|di|del|la|le)){0,4})"
_FIRM = r"(?P<firm>[A-Z][\w&.'’\- ]{1,60}?)"
_END = r"(?=[.,;]|\s+(?:please|your|you|go|is|and)\b|$)"
# Cues that announce a questioner whoever says them (some calls are moderated by investor relations).
_QUESTION_INTROS = [
    re.compile(r"(?:line of|comes from|come from|is from|question from)\s+" + _NAME +
               r"\s+(?:from|with|of|at)\s+" + _FIRM + _END),
]
# Cues only the operator's turns are trusted with.
_OPERATOR_INTROS = _QUESTION_INTROS + [
    re.compile(r"(?:go to|goes to|is with|turn to|over to)\s+" + _NAME + r"\s+(?:from|with|of|at)\s+" + _FIRM + _END),
    re.compile(r"(?:^|[.\]]\s+)" + _NAME + r"\s+(?:with|from|of)\s+" + _FIRM + r",\s+(?:your line is|please go|"
               r"go ahead)", re.M),
]
_QA_CUE = re.compile(
    r"(first|next|following) question|question comes from|question is from|from the line of|"
    r"(begin|start|open|conduct)\w*\s+(the\s+)?(call\s+|line\s+|floor\s+)?(up\s+)?(for\s+)?(the\s+)?"
    r"(question|q\s*&\s*a)|question[- ]and[- ]answer session|q&a session|\[operator instructions\]", re.I)


@dataclass
class DraftTurn:
    """A turn as a reader sees it, before roles, sections and positions are settled."""
    speaker: str
    text: str
    title: str | None = None
    section: str | None = None
    role: str | None = None


@lru_cache(maxsize=8192)
def name_key(name: str) -> str:
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    s = re.sub(r"\b(mr|mrs|ms|dr|prof)\b\.?", " ", s)
    return " ".join(re.findall(r"[a-z0-9]+", s))


def _short_key(name: str) -> str:
    """First and last name only: 'Douglas A. Lindsay' -> 'douglas lindsay'."""
    parts = [p for p in name_key(name).split() if len(p) > 1]
    return f"{parts[0]} {parts[-1]}" if len(parts) >= 2 else " ".join(parts)


def is_operator(speaker: str) -> bool:
    return name_key(speaker) in _OPERATOR_NAMES


def role_of_title(title: str | None) -> str:
    """Role from a title or affiliation: 'Chief Financial Officer' -> executive, 'Stifel -- Analyst' -> analyst."""
    if not title:
        return UNKNOWN
    if _ANALYST_WORDS.search(title):
        return ANALYST
    if _EXEC_WORDS.search(title):
        return EXECUTIVE
    if _FIRM_WORDS.search(title):
        return ANALYST
    return UNKNOWN


def role_of_name(speaker: str) -> str:
    key = name_key(speaker)
    if key in _OPERATOR_NAMES:
        return OPERATOR
    if "analyst" in key:
        return ANALYST
    if any(w in key for w in ("company representative", "executive", "corporate participant", "management")):
        return EXECUTIVE
    return UNKNOWN


class _People:
    """name -> (title, role), matched loosely (initials, titles of address and diacritics ignored)."""

    def __init__(self):
        self.exact: dict[str, tuple[str | None, str]] = {}
        self.short: dict[str, tuple[str | None, str]] = {}

    def add(self, name: str, title: str | None, role: str, *, overwrite=False):
        for table, key in ((self.exact, name_key(name)), (self.short, _short_key(name))):
            if not key:
                continue
            old = table.get(key)
            if old is None or overwrite or (old[1] == UNKNOWN and role != UNKNOWN) or (not old[0] and title):
                table[key] = (title or (old[0] if old else None), role if role != UNKNOWN or not old else old[1])

    def get(self, name: str) -> tuple[str | None, str] | None:
        found = self.exact.get(name_key(name)) or self.short.get(_short_key(name))
        if found is None:
            # 'Jeff Hammond' is 'Jeffrey Hammond', 'Ron O'Hanley' is 'Ronald O'Hanley': same surname, one first
            # name the start of the other; taken only when exactly one listed person fits.
            parts = _short_key(name).split()
            if len(parts) == 2:
                first, last = parts
                fits = [v for k, v in self.short.items() if k.split()[-1] == last and len(k.split()) == 2
                        and (k.split()[0].startswith(first) or first.startswith(k.split()[0]))]
                if len(fits) == 1:
                    found = fits[0]
        return found


_OPERATOR_SELF = re.compile(
    r"\b(?:my name is|i am|i'm|this is)\s+(?P<name>[A-Z][\w'’\-]+(?:\s+[A-Z][\w'’\-]+)?)\s*,?\s*(?:and\s+)?"
    r"i(?:'ll|’ll| will| shall)?\s*(?:be|am)\s+your\s+(?:\w+\s+){0,2}?(?:operator|moderator|coordinator|host|"
    r"facilitator)\b", re.I)


def _self_introduced_operator(turns: list[DraftTurn]) -> None:
    """'My name is Christa, and I will be your conference operator today': a speaker labelled by name who opens
    the call this way is the operator, in every turn."""
    for t in turns[:3]:
        m = _OPERATOR_SELF.search(t.text[:600])
        if m and t.role is None and name_key(t.speaker).split()[:1] == name_key(m["name"]).split()[:1]:
            key = name_key(t.speaker)
            for u in turns:
                if name_key(u.speaker) == key and u.role is None:
                    u.role = OPERATOR
            return


def resolve(turns: list[DraftTurn], participants: list[Participant], *, sections_marked: bool
            ) -> tuple[list[DraftTurn], list[Participant]]:
    """Fill in role, title and section for every draft turn; return the turns and the full participant list."""
    _self_introduced_operator(turns)
    people = _People()
    for p in participants:
        people.add(p.name, p.title, p.role if p.role != UNKNOWN else role_of_title(p.title))
    for t in turns:
        if t.role or t.title:
            people.add(t.speaker, t.title, t.role or role_of_title(t.title))
    # The operator's introductions name analysts and their firms. Before anyone else has spoken, 'over to Jane Roe
    # with Acme IR' hands over to the host, who is no analyst.
    spoken = False
    for t in turns:
        by_operator = is_operator(t.speaker) or t.role == OPERATOR
        spoken = spoken or not by_operator
        for pattern in _OPERATOR_INTROS if by_operator and spoken else _QUESTION_INTROS:
            for m in pattern.finditer(t.text):
                name, firm = m["name"].strip(), m["firm"].strip(" .,")
                known = people.get(name)
                if known is None or known[1] == UNKNOWN:
                    people.add(name, firm if not known or not known[0] else known[0], ANALYST)
    # Titles from the introductions in the prepared remarks; a listed title always wins.
    speakers = [s for s in dict.fromkeys(t.speaker for t in turns if not is_operator(t.speaker) and t.role != OPERATOR)
                if (people.get(s) or (None, UNKNOWN))[1] != ANALYST]
    for name, title in intro_titles(_opening(turns, sections_marked), speakers).items():
        known = people.get(name)
        if known is None or not known[0]:
            people.add(name, title, known[1] if known and known[1] != UNKNOWN else role_of_title(title))

    def role_title(t: DraftTurn) -> tuple[str, str | None]:
        r = role_of_name(t.speaker)
        known = people.get(t.speaker)
        title = t.title or (known[0] if known else None)
        if t.role:
            return t.role, title
        if r == OPERATOR:
            return OPERATOR, None
        if known and known[1] != UNKNOWN:
            return known[1], title
        if r != UNKNOWN:
            return r, title
        return role_of_title(title), title

    for t in turns:
        t.role, t.title = role_title(t)

    if not sections_marked:
        _infer_sections(turns)
    # Fallbacks: whoever speaks first after the operator in the Q&A asks; whoever speaks in the prepared remarks
    # and is not the operator presents.
    asked, presented = set(), set()
    for i, t in enumerate(turns):
        if t.role != UNKNOWN or re.search(r"unidentified|unknown", name_key(t.speaker)):
            continue
        if t.section == QA and i and turns[i - 1].role == OPERATOR:
            asked.add(name_key(t.speaker))
        elif t.section == PREPARED:
            presented.add(name_key(t.speaker))
    for t in turns:
        if t.role == UNKNOWN:
            k = name_key(t.speaker)
            if k in presented:
                t.role = EXECUTIVE
            elif k in asked:
                t.role = ANALYST

    listed = {name_key(p.name) for p in participants}
    extra = []
    for t in turns:
        k = name_key(t.speaker)
        if k not in listed and t.role != OPERATOR:
            listed.add(k)
            extra.append(Participant(t.speaker, t.title, t.role))
    final = [Participant(p.name, p.title or (people.get(p.name) or (None,))[0],
                         p.role if p.role != UNKNOWN else (people.get(p.name) or (None, UNKNOWN))[1])
             for p in participants] + extra
    return turns, final


def _opening(turns: list[DraftTurn], sections_marked: bool) -> list[str]:
    """The texts of the prepared remarks, where speakers are introduced: the turns before the Q&A (as marked, or
    up to the operator's first Q&A cue once someone else has spoken, or the first analyst)."""
    out, spoken = [], False
    for t in turns:
        by_operator = is_operator(t.speaker) or t.role == OPERATOR
        if (sections_marked and t.section == QA) or t.role == ANALYST or (
                by_operator and spoken and _QA_CUE.search(t.text)):
            break
        spoken = spoken or not by_operator
        out.append(t.text)
    return out


def _infer_sections(turns: list[DraftTurn]) -> None:
    start = None
    seen_exec = False
    for i, t in enumerate(turns):
        if t.role == OPERATOR and seen_exec and _QA_CUE.search(t.text):
            start = i
            break
        if t.role == ANALYST and seen_exec:
            start = i - 1 if i and turns[i - 1].role == OPERATOR else i
            break
        if t.role in (EXECUTIVE, UNKNOWN):
            seen_exec = True
    for i, t in enumerate(turns):
        t.section = QA if start is not None and i >= start else PREPARED
