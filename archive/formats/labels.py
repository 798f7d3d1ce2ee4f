"""Speaker labels: does a piece of text name a speaker, and if so who, with what title and company. Layout-free;
the inference reader (inferred.py) and declared layouts (layout.py) both use it.

Shapes read (combined freely):  `Jane Roe`, `Operator`, `JANE ROE`, `Jane Roe - Chief Financial Officer`,
`Jane Roe, Acme Corp - CFO`, `JANE ROE, CFO, ACME CORP`, `Jane Roe – Acme – CFO`, `Jane Roe--Citi -- Analyst`,
`Chief Executive Officer — Jane Roe`, with a trailing colon, counter or timestamp (`Jane Roe [00:01:23]`,
`Speaker 2 (3)`), a `Q -`/`A -` prefix."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..roles import name_key

GENERIC = re.compile(
    r"^(?:operator|moderator|coordinator|conference operator|host|interpreter|translator|"
    r"unidentified(?: (?:analyst|participant|speaker|company representative|corporate participant|"
    r"corporation representative|executive|audience member|person|male|female|man|woman))?(?: speaker)?|"
    r"unknown(?: (?:speaker|analyst|executive|participant))?|corporate participant|company representative|"
    r"conference call participant|(?:speaker|participant|analyst|caller|questioner|executive|interviewer|"
    r"interviewee|audience member)(?: ?(?:\d{1,3}|[a-z]))?|"
    r"question|answer|q|a)$", re.I)
# Words that start a heading or a field, never a person.
NOT_NAMES = {
    "thank", "thanks", "good", "yes", "no", "okay", "ok", "great", "sure", "hello", "hi", "right", "well", "so",
    "and", "but", "the", "we", "i", "our", "next", "questions", "answers", "presentation", "disclaimer",
    "copyright", "earnings", "call", "all", "more", "page", "participants", "please", "with", "that", "this", "it",
    "in", "on", "at", "for", "as", "of", "image", "market", "note", "notes", "source", "url", "ticker", "symbol",
    "company", "quarter", "date", "time", "scraped", "characters", "duration", "event", "title", "subject", "re",
    "sub", "ref", "to", "from", "cc", "total", "net", "revenue", "revenues", "income", "forward-looking",
    "safe", "prepared", "remarks", "transcript", "contents", "table", "agenda", "summary", "highlights",
    "key", "risks", "takeaways", "glossary", "industry", "stocks", "mentioned", "full", "conference",
    "executives", "analysts", "management", "corporate", "operator's", "webcast", "audio", "video", "download",
    "fiscal", "year", "period", "exchange", "location", "category", "tags", "author", "published", "updated",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
}
_DATE = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+"
                   r"(?:19|20)\d\d\b|\b\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+"
                   r"(?:19|20)\d\d\b|\b(?:19|20)\d\d-\d\d-\d\d\b", re.I)
PARTICLES = {"de", "van", "von", "da", "di", "del", "la", "le", "du", "der", "den", "bin", "al", "y", "dos", "das",
             "e", "ter", "ten", "st.", "el", "ibn", "mac", "zu", "af", "och"}
TITLE_WORDS = re.compile(
    r"\b(?:chief|ceo|cfo|coo|cto|cio|cao|cmo|president|officer|chairman|chairwoman|chair|chairperson|director|vp|"
    r"svp|evp|vice|treasurer|controller|investor relations|ir|head|manager|founder|co-founder|secretary|counsel|"
    r"executive|analyst|analysts|research|partner|principal|strategist|economist|associate|representative|"
    r"relations|communications|finance|financial|accounting|operations|md|managing|general|senior|global|"
    r"group|division|portfolio|equity|equities|spokesperson|moderator|host|trustee|member|board|lead|leader|"
    r"architect|engineer|scientist|advisor|adviser|commissioner|secretary-general|governor)\b", re.I)
COMPANY_WORDS = re.compile(
    r"\b(?:inc|corp|corporation|co|company|ltd|limited|llc|plc|lp|l\.p|ag|sa|s\.a|nv|n\.v|se|gmbh|bank|banc|"
    r"securities|capital|partners|group|holdings|markets|research|advisors|asset|investments?|management|"
    r"& co|and company|associates|financial|bancorp|trust|fund|brothers|bros)\b\.?", re.I)
SEPARATORS = re.compile(r"\s+[-–—|~]\s+|\s*--+\s*|\s*[–—]\s*|\s*\|\s*|,\s+|;\s*")
_COUNTER = re.compile(
    r"\s*(?:[\(\[]\s*)?(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d+)?(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s*[\)\]])?\s*$|"
    r"\s*[\(\[]\s*\d{1,4}\s*[\)\]]\s*$|\s*#\d{1,4}\s*$")
_LEAD_COUNTER = re.compile(r"^\s*(?:[\(\[]\s*)?(?:\d{1,2}:)?\d{1,2}:\d{2}(?:\s*[\)\]])?\s+|^\s*\d{1,4}[.)]\s+")
_QA_PREFIX = re.compile(r"^(?:[AQ]\s*[-–:.]\s+|\[[AQ]\]\s*)")
_WORD = re.compile(r"^(?:[^\W\d_][\w'’.\-]*|[^\W\d_]\.)$")


@dataclass(frozen=True)
class Label:
    name: str
    title: str | None = None
    company: str | None = None
    generic: bool = False

    @property
    def key(self) -> str:
        return name_key(self.name) or self.name.lower()

    @property
    def affiliation(self) -> str | None:
        """One string for the turn's title: the title, the company, or both."""
        if self.title and self.company:
            return f"{self.company} - {self.title}"
        return self.title or self.company


def _case(name: str) -> str:
    """'JANE ROE' -> 'Jane Roe' (only when the whole name is upper case)."""
    letters = [c for c in name if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and any(unicodedata.category(c) == "Lu" for c in letters) \
            and len(letters) > 3:
        return " ".join(w if len(w) <= 2 and w.endswith(".") else w.capitalize() for w in name.split())
    return name


def name_like(s: str, max_words: int = 5) -> bool:
    """'Yulin Wang', 'C. Kelly Wall', 'Jean-Pierre de Villiers', 'JANE ROE', 'O'Neil': a person's name, not a phrase."""
    s = s.strip()
    if not s or len(s) > 60:
        return False
    words = s.split()
    if not 1 <= len(words) <= max_words:
        return False
    if words[0].lower().strip(".,'’") in NOT_NAMES:
        return False
    for w in words:
        if w.lower() in PARTICLES:
            continue
        if not _WORD.match(w) or w[0].islower():
            return False
    if _STRONG_TITLE.search(s):
        return False
    return len(words) <= 3 or not TITLE_WORDS.search(s)


_STRONG_TITLE = re.compile(r"\b(?:officer|president|chief|director|analyst|analysts|vice|chairman|chairwoman|"
                           r"ceo|cfo|coo|cto|evp|svp|vp|treasurer|controller|counsel|relations|manager|secretary)\b",
                           re.I)


def _role_part(s: str) -> bool:
    return bool(TITLE_WORDS.search(s))


def parse(text: str) -> Label | None:
    """The label a line (or the part of a line before its colon) holds, or None."""
    s = _QA_PREFIX.sub("", text.strip())
    s = _LEAD_COUNTER.sub("", s)
    s = _COUNTER.sub("", s).strip().rstrip(":").strip()
    s = re.sub(r"^[*_\[]+|[*_\]]+$", "", s).strip()
    if not s or len(s) > 160 or re.search(r"[.?!]$", s) and not re.search(r"\b(?:Jr|Sr|Inc|Co|Corp|Ltd|[A-Z])\.$", s):
        return None
    if _DATE.search(s):
        return None
    if GENERIC.match(s):
        return Label(s.title() if s.islower() or s.isupper() else s, generic=True)
    parts = [p.strip(" ,;") for p in SEPARATORS.split(s) if p and p.strip(" ,;")]
    if not parts or len(parts) > 4:
        return None
    if GENERIC.match(parts[0]) and len(parts) > 1:
        return Label(parts[0].title() if parts[0].isupper() else parts[0], generic=True, title=" - ".join(parts[1:]))
    if len(parts) == 1:
        return Label(_case(s)) if name_like(s) else None
    if any(len(p) > 90 for p in parts) or any(re.search(r"[.?!]$", p) and not re.search(
            r"\b(?:Jr|Sr|Inc|Co|Corp|Ltd|L\.P|N\.A|S\.A|[A-Z])\.$", p) for p in parts[:-1]):
        return None
    # The name is the first part, or the last one ('Chief Executive Officer — Jane Roe').
    if name_like(parts[0], 4) and not (_role_part(parts[0]) and name_like(parts[-1], 4) and not _role_part(parts[-1])):
        name, rest = parts[0], parts[1:]
    elif name_like(parts[-1], 4) and any(_role_part(p) for p in parts[:-1]):
        name, rest = parts[-1], parts[:-1]
    else:
        return None
    titles, companies = [], []
    for p in rest:
        if _STRONG_TITLE.search(p) or (TITLE_WORDS.search(p) and not COMPANY_WORDS.search(p)):
            titles.append(p)
        else:
            companies.append(p)
    if companies and not titles and not re.match(r"[A-Z0-9]", companies[0]):
        return None
    return Label(_case(name), ", ".join(titles) or None, ", ".join(companies) or None)
