"""Speaker-labelled text in a layout no reader knows: the layout is inferred from the file itself.

1. Every line is tried as a label of two kinds: a label line alone (`Jane Roe`, `Jane Roe - CFO`, `Title — Name`;
   possibly followed by an affiliation line) and an inline label before the speech (`Jane Roe: text`,
   `JANE ROE, CFO, ACME:text`).
2. A candidate is confirmed by evidence in the same file: the name recurs as a label, is listed in a participant
   roster (a run of label lines with no speech between them), is named in someone's speech (the operator's
   introductions), carries a title, or is a generic label (`Operator`, `Unidentified Analyst`, `Speaker 2`).
3. A kind of label is taken when its confirmed labels explain enough of the file (3 or more, and at least a fifth
   of the best kind's); unconfirmed candidates are speech. Then segment.py cuts the call out of the page.

`explain` holds the evidence for `inspect`."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from . import Draft
from .headers import header_meta
from .labels import COMPANY_WORDS, Label, parse
from .segment import END_MARKER, PARTICIPANT_HEADING, PREPARED_HEADING, QA_HEADING, START_MARKER, segment

NAME = "inferred"

_INLINE = re.compile(r"^(?P<label>(?:[^:\n]|(?<=\d):(?=\d)){1,140}?)\s*:(?![/\d])\s*(?P<text>\S.*)$")
MIN_CONFIRMED = 3


def sniff(text: str, path: Path) -> bool:
    return True            # the reader of last resort: read() says when a file has no speaker structure


def candidates(lines: list[str]) -> tuple[dict[int, Label], dict[int, tuple[Label, str]]]:
    alone: dict[int, Label] = {}
    inline: dict[int, tuple[Label, str]] = {}
    for i, raw in enumerate(lines):
        s = raw.strip()
        if not s or len(s) > 5000:
            continue
        if QA_HEADING.match(s) or PREPARED_HEADING.match(s) or PARTICIPANT_HEADING.match(s) or START_MARKER.match(s) \
                or END_MARKER.match(s):
            continue
        if len(s) <= 160:
            lab = parse(s)
            if lab is not None:
                alone[i] = lab
                continue
        m = _INLINE.match(s)
        if m and not re.search(r"https?$|www\.", m["label"], re.I):
            lab = parse(m["label"])
            if lab is not None:
                inline[i] = (lab, m["text"])
    return alone, inline


def _rosters(lines: list[str], alone: dict[int, Label]) -> list[tuple[int, int]]:
    """Runs of 2+ label lines with nothing but blank lines (or a participant heading) between them."""
    runs, run = [], []
    for i, l in enumerate(lines):
        s = l.strip()
        if i in alone:
            run.append(i)
        elif s and not PARTICIPANT_HEADING.match(s):
            if len([k for k in run if not alone[k].generic]) >= 2:
                runs.append((run[0], run[-1]))
            run = []
    if len([k for k in run if not alone[k].generic]) >= 2:
        runs.append((run[0], run[-1]))
    return runs


def infer(text: str) -> tuple[list[str], dict, list[tuple[int, int]], dict]:
    """The labels the file's evidence supports: (lines, {line: (label, speech or None)}, rosters, evidence)."""
    lines = [l.rstrip() for l in text.split("\n")]
    alone, inline = candidates(lines)
    # A label line directly followed by its affiliation ('Jane Roe' / 'Acme Corp - CFO') is one label.
    for i in sorted(alone):
        nxt = alone.get(i + 1)
        if i in alone and nxt is not None and not alone[i].affiliation and not nxt.generic and COMPANY_WORDS.search(nxt.name):
            del alone[i + 1]
    rosters = _rosters(lines, alone)
    in_roster = {i for a, b in rosters for i in range(a, b + 1)}
    listed = {alone[i].key for i in in_roster if i in alone}
    seen = Counter([lab.key for lab in alone.values()] + [lab.key for lab, _ in inline.values()])
    body = "\n".join(
        [l for i, l in enumerate(lines) if i not in alone and i not in inline] + [t for _, t in inline.values()]
    ).lower()

    def why(lab: Label) -> str | None:
        if lab.generic:
            return "generic label"
        if lab.key in listed:
            return "in a participant roster"
        if seen[lab.key] >= 2:
            return "recurs as a label"
        if lab.title:
            return "carries a title"
        if len(lab.name) >= 5 and " " in lab.name and lab.name.lower() in body:
            return "named in the call"
        return None

    def handed_over(i: int, lab: Label) -> bool:
        """The turn before names this speaker ('... from the line of Doug Anmuth with JPMorgan'), or the reply
        thanks them ('Thanks, Doug.'): a first or last name of the label in the text around the line."""
        words = [w for w in re.findall(r"[^\W\d_][\w'’\-]+", lab.name) if len(w) >= 3 and w[0].isupper()]
        if len(words) < 2:
            return False
        before = " ".join(lines[max(0, i - 6):i])[-600:]
        after = (inline[i][1][:200] if i in inline else "") + " " + " ".join(lines[i + 1:i + 8])[:400]
        return any(re.search(r"\b" + re.escape(w) + r"\b", before) for w in (words[0], words[-1])) or \
            bool(re.search(r"\b" + re.escape(words[0]) + r"\b", after[200:] if i in inline else after))

    kinds = {"label line": {i: (lab, None) for i, lab in alone.items() if i not in in_roster},
             "inline label": dict(inline)}
    report = {}
    for kind, found in kinds.items():
        reasons = Counter()
        confirmed = {}
        rejected = Counter()
        for i, (lab, rest) in found.items():
            r = why(lab) or ("handed over to by name" if handed_over(i, lab) else None)
            if r:
                reasons[r] += 1
                confirmed[i] = (lab, rest)
            else:
                rejected[lab.name] += 1
        report[kind] = {"candidates": len(found), "confirmed": len(confirmed), "reasons": dict(reasons),
                        "names": sorted({lab.name for lab, _ in confirmed.values()}),
                        "rejected": [n for n, _ in rejected.most_common(8)], "_labels": confirmed}
    # In a kind the file clearly uses (most of its candidates confirmed), a full name between its confirmed labels
    # is taken too: a speaker heard once whom nobody names.
    for kind, found in kinds.items():
        r = report[kind]
        conf = sorted(r["_labels"])
        if r["confirmed"] < MIN_CONFIRMED or r["confirmed"] < 0.6 * r["candidates"]:
            continue
        for i, (lab, rest) in found.items():
            if i not in r["_labels"] and conf[0] < i < conf[-1] and 2 <= len(lab.name.split()) <= 4:
                r["_labels"][i] = (lab, rest)
                r["confirmed"] += 1
                r["reasons"]["between confirmed labels"] = r["reasons"].get("between confirmed labels", 0) + 1
                if lab.name in r["rejected"]:
                    r["rejected"].remove(lab.name)
    best = max(r["confirmed"] for r in report.values())
    taken = [k for k, r in report.items() if r["confirmed"] >= MIN_CONFIRMED and r["confirmed"] >= 0.2 * best]
    labels = {}
    for k in taken:
        labels.update(report[k]["_labels"])
    for r in report.values():
        del r["_labels"]
    labels.update({i: (alone[i], None) for i in in_roster if i in alone})      # rosters list the participants
    evidence = {"kinds": report, "taken": taken, "rosters": [(a + 1, b + 1) for a, b in rosters],
                "participants_listed": len(listed)}
    return lines, labels, rosters, evidence


def _mid_line(labels: dict) -> re.Pattern | None:
    names = sorted({lab.name for lab, rest in labels.values() if rest is not None and (
        lab.generic or len(lab.name.split()) >= 2)}, key=len, reverse=True)
    if not names:
        return None
    return re.compile(r"(?<=[.?!\"”’)\]])\s+(" + "|".join(re.escape(n) for n in names) + r")\s*:\s*")


SUGGESTION_LINES = 5_000     # lines looked at for suggestions (a failure report must come back at once)


def suggestions(text: str, limit: int = 8) -> list[tuple[int, str]]:
    """The lines that looked most like speaker labels, for a reader that found none it trusts (among the first
    SUGGESTION_LINES lines)."""
    lines = [l.rstrip() for l in text.split("\n", SUGGESTION_LINES)[:SUGGESTION_LINES]]
    alone, inline = candidates(lines)
    rows = [(i + 1, lines[i].strip()[:120]) for i in sorted(set(alone) | set(inline))]
    if not rows:
        rows = [(i + 1, l.strip()[:120]) for i, l in enumerate(lines)
                if 0 < len(l.strip()) <= 60 and not re.search(r"[.?!]$", l.strip())]
    return rows[:limit]


def read(text: str, path: Path) -> Draft:
    lines, labels, rosters, evidence = infer(text)
    draft, found = segment(lines, labels, rosters=rosters, mid_line=_mid_line(labels))
    draft.explain = {"layout": "inferred", **evidence, "start_line": found.start_line, "end_line": found.end_line,
                     "headings": found.headings, "split_mid_line": found.split_mid_line, "dropped": found.dropped}
    if len(draft.turns) < 2:
        draft.turns = []           # read_transcript reports "no speaker structure" with the likeliest labels
        return draft
    header_meta(found.header, draft)
    return draft
