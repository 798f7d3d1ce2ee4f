"""Speakers' titles from the call's own introductions ('Speaking today will be Alan Roe, chairman and CEO, Dan Poe,
chief financial officer, ...'), read so that a title is given only when the sentence allows one reading.

A sentence that names people is a list: the names (speakers of the call, and other people-like names, which only
separate) cut it into gaps, and each gap into pieces at commas, semicolons and list words ('and', 'as well as').
A piece is a title ('Executive Vice President and Chief Financial Officer', 'our CFO', "Acme's chief financial
officer"), a list word, or other text. A list is read either name-first ("Name, title, Name, title": each name
takes the titles right after it) or title-first ("our CFO, Name, and our COO, Name" / "CFO Name and COO Name": each
name takes the titles right before it); a list word between a name and a title parts them. A reading fits when it
gives at least one title and leaves none over; the titles are kept only when exactly one reading fits. A speaker
given two titles that name different roles in two sentences gets neither: an absent title beats a wrong one.
Titles from participant lists always win over these (roles.resolve)."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Words a title is made of before its 'of ...' part ('Senior Vice President', 'Chief Financial Officer').
_TITLE_WORDS = set("""
chief executive exec financial finance operating operations operation officer president vice senior sr chairman
chairwoman chair chairperson director directors managing treasurer controller comptroller general counsel secretary
head manager founder co-founder cofounder investor investors relations interim acting deputy assistant associate
principal accounting administrative administration technology technical information investment investments
marketing commercial strategy strategic development corporate legal people human resources risk credit compliance
medical scientific science revenue digital product products global group division lead trustee independent
non-executive board business sustainability communications communication transformation innovation growth
executive-vice co-chief co-ceo cochief ir pr public affairs capital markets planning analysis
and & /
""".split())
# A title names at least one of these.
_HEAD = re.compile(r"^(?:officer|president|chairman|chairwoman|chairperson|chair|director|treasurer|controller|"
                   r"comptroller|counsel|secretary|head|manager|founder|co-founder|cofounder|trustee|relations|"
                   r"c[a-z]{1,2}o|co-ceo|[a-z]?vp|ir)$", re.I)
_PLURAL_HEAD = re.compile(r"^(?:officers|presidents|directors|chairmen|managers|heads|executives|leaders|team)$", re.I)
_ABBREV = re.compile(r"^(?:c[a-z]{1,2}o|[a-z]?vp|ir)$", re.I)
# Words that cannot be inside a title's 'of ...' part ('CFO of Acme' is fine, 'CFO who will walk' is not).
_NOT_AREA = set("""who will would is are was were has have had we i you he she they today call this that these
here there now then which please go ahead begin turn discuss walk provide give review take remarks comments
joining joined with me us""".split())
# Leading words that introduce a title without being part of it.
_DETERMINERS = set("our the its their my your his her as who is also both currently now new newly appointed "
                   "recently named".split())
# The word before a title that opens a title-first pair at the end of longer text ('over to our CFO', 'by CEO').
_OPENERS = set("our the by to with from are is me us introduce welcome including plus also its their".split())
_SUFFIX = re.compile(r"^(?:jr|sr|ii|iii|iv|cpa|phd|md|esq)$", re.I)
_NICKNAMES = {frozenset(p) for p in (
    ("mike", "michael"), ("mick", "michael"), ("bob", "robert"), ("rob", "robert"), ("bill", "william"),
    ("will", "william"), ("tom", "thomas"), ("jim", "james"), ("jimmy", "james"), ("dick", "richard"),
    ("rick", "richard"), ("rich", "richard"), ("ted", "edward"), ("ed", "edward"), ("chuck", "charles"),
    ("charlie", "charles"), ("larry", "lawrence"), ("peggy", "margaret"), ("meg", "margaret"), ("liz", "elizabeth"),
    ("beth", "elizabeth"), ("betsy", "elizabeth"), ("kathy", "katherine"), ("kate", "katherine"),
    ("katie", "katherine"), ("sue", "susan"), ("jack", "john"), ("hank", "henry"), ("harry", "henry"),
    ("tony", "anthony"), ("andy", "andrew"), ("drew", "andrew"), ("joe", "joseph"), ("bert", "albert"),
    ("al", "albert"), ("frank", "francis"), ("fred", "frederick"), ("greg", "gregory"), ("ken", "kenneth"),
    ("jeff", "jeffrey"), ("geoff", "geoffrey"), ("jerry", "gerald"), ("pat", "patrick"), ("pat", "patricia"),
    ("trish", "patricia"), ("ron", "ronald"), ("don", "donald"), ("dan", "daniel"), ("danny", "daniel"),
    ("sam", "samuel"), ("ben", "benjamin"), ("nick", "nicholas"), ("steve", "stephen"), ("steve", "steven"),
    ("dave", "david"), ("doug", "douglas"), ("matt", "matthew"), ("chris", "christopher"), ("chris", "christine"),
    ("tim", "timothy"), ("jon", "jonathan"), ("nate", "nathan"), ("alex", "alexander"), ("sandy", "sandra"),
    ("jenny", "jennifer"), ("jen", "jennifer"), ("becky", "rebecca"), ("vicki", "victoria"), ("terry", "terrence"),
    ("walt", "walter"), ("phil", "phillip"), ("phil", "philip"), ("ray", "raymond"), ("gene", "eugene"))}
# Capitalised words that open sentences or name things, not people.
_NOT_PERSON = set("""good thank thanks welcome today joining joined with we i our the this that these on in at for
and hello hi ladies gentlemen everyone operator investor relations quarter fiscal annual first second third fourth
january february march april may june july august september october november december monday tuesday wednesday
thursday friday inc corp corporation company group bank capital partners holdings financial energy securities
exchange act form call conference earnings results webcast presentation safe harbor non gaap q&a question
questions answer north south east west america american national international global united states new york
street research associates llc ltd plc please before after also as if so now let me then here there all
""".split())


def fold(text: str) -> str:
    """ASCII look-alike of text, one character for one (positions are kept)."""
    return "".join((unicodedata.normalize("NFKD", c).encode("ascii", "ignore").decode() or c)[:1] for c in text)


@dataclass
class _Mention:
    start: int
    end: int
    speaker: str | None          # None: a person-like name that is not one of the call's speakers


def _name_parts(name: str) -> tuple[list[str], str] | None:
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'\-]*", fold(name).replace("’", "'"))
             if not _SUFFIX.match(w) and w.lower() not in ("mr", "mrs", "ms", "dr", "prof")]
    if len(words) < 2:
        return None
    firsts = [w.lower() for w in words[:-1] if len(w) > 1]
    return firsts, words[-1]


def _first_fits(said: str, firsts: list[str]) -> bool:
    said = said.lower()
    for f in firsts:
        if said == f or frozenset((said, f)) in _NICKNAMES:
            return True
        short, long_ = sorted((said, f), key=len)
        if len(short) >= 3 and long_.startswith(short):
            return True
    return False


# The first name (and a middle name or initial) before a last name: 'Ms. Jane Roe', 'Michael P. Doe'.
_BEFORE_LAST = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Mister)\.?\s+)?\b([A-Z][A-Za-z'\-]+)\s+"
                          r"(?:([A-Z]\.?|[A-Z][a-z]+)\s+)?$")


def _speaker_mentions(flat: str, names: list[str]) -> list[_Mention]:
    """Where the speakers are named in full ('Ms. Abbe Roe', 'Mike Doe' for 'Michael P. Doe'). A mention that
    fits two speakers names neither."""
    by_last: dict[str, list[tuple[str, list[str]]]] = {}
    for n in names:
        parts = _name_parts(n)
        if parts:
            by_last.setdefault(parts[1].lower(), []).append((n, parts[0]))
    found = []
    for last, people in by_last.items():
        for m in re.finditer(r"(?<![\w'’])" + re.escape(last) + r"(?![\w'’])", flat, re.I):
            if not flat[m.start()].isupper():
                continue
            before = flat[max(0, m.start() - 60):m.start()]
            b = _BEFORE_LAST.search(before)
            if not b:
                continue
            offset = m.start() - len(before)
            for group in (1, 2):
                said = b[group]
                if not said or len(said.rstrip(".")) < 2:
                    continue
                fits = [n for n, firsts in people if _first_fits(said, firsts)]
                if len(fits) == 1:
                    start = b.start() if group == 1 else b.start(2)
                    found.append(_Mention(offset + start, m.end(), fits[0]))
                    break
                if fits:
                    break
    return found


_PERSON = re.compile(r"(?<![\w'’&.])(?:(?:Mr|Mrs|Ms|Dr)\.?\s+)?([A-Z][a-z]+(?:-[A-Z][a-z]+)?)(?:\s+[A-Z]\.)?"
                     r"\s+((?:(?:de|van|von|da|di|del|la|le|Mc|Mac)\s+)?[A-Z][a-z]*[A-Z]?[a-z]+(?:-[A-Z][a-z]+)?)"
                     r"(?![\w&]|['’]s\b|\s+[A-Z])")


def _people_like(flat: str, taken: list[_Mention]) -> list[_Mention]:
    """Other names that look like people's ('Mick Farrell'), so that the list reading sees them."""
    out = []
    for m in _PERSON.finditer(flat):
        if any(m.start() < t.end and t.start < m.end() for t in taken):
            continue
        words = [m[1].lower(), *m[2].lower().split()]
        if any(w in _NOT_PERSON or w in _TITLE_WORDS for w in words):
            continue
        before = flat[max(0, m.start() - 40):m.start()]
        if re.search(r"\b(?:of|for|at|in)\s+$", before, re.I):
            continue        # 'President of Personal Insurance'
        prev = re.search(r"([\w&'’.\-]+)\s+$", before)
        if prev and prev[1][0].isupper() and prev[1].lower().strip(".") not in _TITLE_WORDS \
                and not _ABBREV.match(prev[1].strip(".")):
            continue        # the end of a longer name: 'Franklin Templeton Alternatives'
        out.append(_Mention(m.start(), m.end(), None))
    return out


def _strip_lead(words: list[str]) -> list[str]:
    """Drop 'our', 'who is', "Acme's", "the Company's" before a title."""
    while words:
        w = words[0]
        if w.lower() in _DETERMINERS:
            words = words[1:]
        elif re.search(r"['’]s?$", w) and w[0].isupper() and len(words) > 1 and w.lower() not in ("officer's",):
            words = words[1:]
        elif len(words) > 2 and words[0][0].isupper() and re.search(r"['’]s?$", words[1]) \
                and words[0].lower() not in _TITLE_WORDS:
            words = words[2:]        # 'Lands End's', 'Big Corp's'
        else:
            break
    return words


def as_title(text: str) -> str | None:
    """The title a piece of text is, or None: 'our Chief Financial Officer' -> 'Chief Financial Officer',
    'Vice President of Finance' stays, 'three segment presidents' and 'who will walk us through' are not."""
    text = re.sub(r"\s*\[[^\]]*\]", "", text)        # '[Phonetic]', '[ph]'
    words = _strip_lead(text.replace("’", "'").split())
    # "... for Acme's" / "... at Acme." after a title names the company, not the role
    while len(words) > 2 and words[-2].lower() in ("for", "at", "of") and re.search(r"'s?$", words[-1]):
        words = words[:-2]
    if len(words) > 3 and [w.lower().strip(".") for w in words[-3:]] in (["of", "the", "company"],
                                                                        ["for", "the", "company"]):
        words = words[:-3]
    if not words or len(words) > 14:
        return None
    cut = next((i for i, w in enumerate(words) if w.lower() in ("of", "for", "in", "at", "to")), len(words))
    head, area = words[:cut], words[cut + 1:]
    if not head or cut < len(words) and not area:
        return None
    if any(w.lower().strip(".") not in _TITLE_WORDS and not _ABBREV.match(w.strip(".")) for w in head):
        return None
    if any(_PLURAL_HEAD.match(w) for w in head) or not any(_HEAD.match(w.strip(".")) for w in head):
        return None
    if head[0].lower() in ("and", "&", "/") or head[-1].lower() in ("and", "&", "/"):
        return None
    if any(w.lower() in ("our", "its", "their") for w in area):
        words, area = head, []          # 'General Manager of our Batavia, New York plant': the role is the head
    if len(area) > 7 or any(w.lower().strip(".,") in _NOT_AREA or re.search(r"[\d?!]", w) for w in area):
        return None
    return " ".join(words).strip(" .")


def _title_tail(text: str) -> str | None:
    """A title at the end of longer text, opened by a word like 'our', 'by' or 'to': 'over to our CFO' -> 'CFO',
    "joined by Acme's chairman and CEO" -> 'chairman and CEO'."""
    words = text.replace("’", "'").split()
    for k in range(1, len(words)):
        before = words[k - 1]
        opened = before.lower() in _OPENERS or re.search(r"'s?$", before) or (
            # one name of a company between: 'over to Acme President and CEO'
            k >= 2 and words[k - 2].lower() in _OPENERS and before[:1].isupper()
            and before.lower() not in _TITLE_WORDS and not _ABBREV.match(before))
        if opened:
            t = as_title(" ".join(words[k:]))
            if t:
                return t
    return None


TITLE, AND, OTHER = "title", "and", "other"


def _pieces(gap: str, *, tail: bool) -> list[tuple[str, str | None]]:
    """A gap between two names as pieces: (TITLE, title), (AND, None) or (OTHER, None). tail: the last piece may be
    longer text that ends in a title (the gap comes right before a name)."""
    out: list[tuple[str, str | None]] = []
    # A semicolon parts pairs as a list word does ('Name, CEO; Name, CFO'); commas may sit inside a title.
    parts = [p.strip() for p in re.split(r"(;)|[,:()]|\s[–—-]\s", gap) if p is not None]
    parts = [p for p in parts if p]
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == ";":
            out.append((AND, None))
            continue
        # 'CFO and our COO': a list word before a determiner parts two titles
        for j, sub in enumerate(re.split(r"\s+(?:and|as well as|along with|plus)\s+(?=(?:our|the|its|their|also)\b)",
                                         part)):
            if j:
                out.append((AND, None))
            lead = re.match(r"^(?:and|as well as|along with|plus|&)(?:\s+|$)", sub, re.I)
            if lead:
                out.append((AND, None))
                sub = sub[lead.end():]
            trail = re.search(r"(?:^|\s+)(?:and|as well as|along with|plus|&)$", sub, re.I)
            if trail:
                sub = sub[:trail.start()]
            if sub.strip():
                t = as_title(sub)
                if t is None and tail and last and not trail:
                    t = _title_tail(sub)
                out.append((TITLE, t) if t else (OTHER, None))
            if trail:
                out.append((AND, None))
    return out


def _read_list(gaps: list[list[tuple[str, str | None]]], first_name: bool) -> dict[int, str] | None:
    """Titles per name index under one reading, or None when the reading leaves a title over or gives none."""
    claimed: set[tuple[int, int]] = set()
    titles: dict[int, str] = {}
    for i in range(len(gaps) - 1):
        gap = gaps[i + 1] if first_name else gaps[i]
        order = range(len(gap)) if first_name else range(len(gap) - 1, -1, -1)
        got = []
        for j in order:
            kind, title = gap[j]
            if kind != TITLE:
                break
            claimed.add((i + 1 if first_name else i, j))
            got.append(title)
        if got:
            titles[i] = ", ".join(got if first_name else reversed(got))
    left = any(kind == TITLE and (g, j) not in claimed for g, gap in enumerate(gaps) for j, (kind, _) in enumerate(gap))
    return titles if titles and not left else None


_SENTENCE = re.compile(r"(?<!\b[A-Z])(?<!\bMr)(?<!\bMs)(?<!\bMrs)(?<!\bDr)(?<!\bInc)(?<!\bCo)(?<!\bCorp)(?<!\bJr)"
                       r"(?<!\bSr)(?<!\bSt)(?<!\bLtd)(?<!\bNo)(?<!\bvs)[.!?]+[\"')\]]*\s+(?=[A-Z\"'(\[])|\n+")


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text) if s and s.strip()]


def sentence_titles(sentence: str, names: list[str]) -> dict[str, str]:
    """Titles that one sentence gives the speakers it names, when exactly one reading of it fits."""
    flat = fold(re.sub(r"\s+", " ", sentence))
    mentions = sorted(_speaker_mentions(flat, names), key=lambda m: m.start)
    if not mentions:
        return {}
    kept: list[_Mention] = []
    for m in mentions:
        if not kept or m.start >= kept[-1].end:
            kept.append(m)
    mentions = sorted(kept + _people_like(flat, kept), key=lambda m: m.start)
    bounds = [0] + [x for m in mentions for x in (m.start, m.end)] + [len(flat)]
    raw = [flat[bounds[2 * i]:bounds[2 * i + 1]] for i in range(len(mentions) + 1)]
    gaps = [_pieces(g, tail=i < len(mentions)) for i, g in enumerate(raw)]
    readings = [r for r in (_read_list(gaps, True), _read_list(gaps, False)) if r is not None]
    if len(readings) != 1:
        return {}
    out = {}
    for i, title in readings[0].items():
        speaker = mentions[i].speaker
        if speaker is not None:
            out[speaker] = _original_case(sentence, title)
    return out


def _original_case(sentence: str, title: str) -> str:
    """The title as the sentence spells it (folding only changed accents)."""
    i = fold(re.sub(r"\s+", " ", sentence)).find(title)
    return re.sub(r"\s+", " ", sentence)[i:i + len(title)] if i >= 0 else title


def title_keys(title: str | None) -> set[str]:
    """The roles a title names, for telling two titles apart: 'EVP & CFO' -> {'vp', 'chief:f'}."""
    s = " " + re.sub(r"[^a-z&]+", " ", (title or "").lower()) + " "
    s = re.sub(r"\bc([a-z])o\b", r"chief \1 officer", s)
    s = re.sub(r"\b[se]?vp\b", "vice president", s)
    s = re.sub(r"\bir\b", "investor relations", s)
    keys = {"chief:" + w[0] for m in re.finditer(r"\bchief\s+((?:[a-z&]+\s+){0,4}?)officer\b", s)
            for w in m[1].split() if w not in ("and", "&", "of")}
    s = re.sub(r"\bchief\s+(?:[a-z&]+\s+){0,4}?officer\b", " ", s)
    for key, pattern in (("vice chair", r"vice\s+chair\w*"), ("chair", r"chair\w*"), ("vp", r"vice\s+president"),
                         ("president", r"president"), ("ir", r"investor\s+relations"), ("treasurer", "treasurer"),
                         ("controller", r"c[o]?m?ptroller|controller"), ("counsel", "counsel"),
                         ("secretary", "secretary"), ("director", "director"), ("head", "head"),
                         ("manager", "manager"), ("founder", r"\w*founder")):
        if re.search(r"\b" + pattern + r"\b", s):
            keys.add(key)
            s = re.sub(r"\b" + pattern + r"\b", " ", s)
    return keys


def intro_titles(texts: list[str], names: list[str]) -> dict[str, str]:
    """Titles the introductions in texts give the named speakers. A speaker given titles that name different roles
    gets none; of titles that agree, the fullest is kept."""
    wanted = [n for n in dict.fromkeys(names) if _name_parts(n)]
    if not wanted:
        return {}
    lasts = {_name_parts(n)[1].lower() for n in wanted}
    named = re.compile(r"\b(?:" + "|".join(re.escape(x) for x in sorted(lasts)) + r")\b", re.I)
    found: dict[str, list[str]] = {}
    for text in texts:
        if not named.search(fold(text)):
            continue
        for s in sentences(text):
            if len(s) > 1500 or not named.search(fold(s)):
                continue
            for name, title in sentence_titles(s, wanted).items():
                found.setdefault(name, []).append(title)
    out = {}
    for name, titles in found.items():
        keys = [title_keys(t) for t in titles]
        if all(k & keys[0] for k in keys) and all(k & j for k in keys for j in keys):
            out[name] = max(titles, key=lambda t: (len(title_keys(t)), len(t)))
    return out
