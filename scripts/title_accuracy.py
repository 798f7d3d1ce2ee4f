#!/usr/bin/env python3
"""How far speakers' titles can be trusted: titles read from the call's own introductions, measured against the
participant lists of the corpora that have them (motley-fool, seeking-alpha, refinitiv-pdf).

For each call with a participant list, the file is read twice with `archive.formats`: once as ingest reads it
(the list, then the introductions: the titles the archive stores) and once with the list withheld (participants
and the titles that readers copy from the list onto turns removed), so that every title comes from the
introductions. Each speaker who talks in the call and whom the list names as an executive with a title is
compared:

    compared   speakers with a listed executive title
    given      of those, speakers the introductions gave a title (coverage = given / compared)
    correct    the introduction's title names the same role as the listed one (see below)
    wrong      given - correct;  precision = correct / given
    stored     the end-to-end check: the stored title (list + introductions) names the listed role

Same role. Both titles are normalised to role keys: abbreviations expanded (CEO == Chief Executive Officer, CFO ==
chief financial officer, EVP == executive vice president, IR == investor relations); each "chief X (and Y) officer"
gives chief keys (chief:executive, chief:financial, ...), then chair, vice chair, president (not vice president),
investor relations, treasurer, controller, counsel, secretary, founder, trustee are function keys, the other words
of the title (finance, strategy, ...) are area keys, "vice president", "director", "head", "manager" are ranks, and
"senior", "executive", "group", "corporate" and the like count for nothing. The primary role of a title is its
chief keys, else its chair/president keys, else its functions and areas, else its ranks. A given title is correct
when
  * its primary role shares a key with the listed title, and
  * it names no chief officer role that the listed title lacks;
  * a title of ranks only ("Senior Vice President") given for a listed title with no chief, chair, president or
    rank ("Investor Relations") cannot contradict it and counts as correct;
  * for a listed title of ranks only ("SVP"), a given title is correct when it has those ranks and no chief, chair
    or president ("Senior Vice President of Portfolio Management").
So "Chairman and CEO" for "Chief Executive Officer" is correct, "President and CFO" for "EVP and CFO" is correct,
"President and CEO" for an "EVP and CFO" is wrong, "Vice President of Investor Relations" for a CFO is wrong.

    scripts/title_accuracy.py [--data .data] [--corpus motley-fool ...] [--limit N] [--json] [--show-wrong N]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from copy import deepcopy
from pathlib import Path

import _venv  # noqa: E402,F401  (runs under .venv; puts the repository on sys.path)

CORPORA = ("motley-fool", "seeking-alpha", "refinitiv-pdf")

_ABBREV = [(r"\bc([a-z])o\b", r"chief \1 officer"), (r"\bsvp\b", "senior vice president"),
           (r"\bevp\b", "executive vice president"), (r"\bvp\b", "vice president"), (r"\bir\b", "investor relations"),
           (r"\bgm\b", "general manager"), (r"\bchro\b", "chief human resources officer")]
# 'chief financial officer', 'chief financial and revenue officer', 'chief executive' (no 'officer')
_CHIEF = re.compile(r"\bchief\s+((?:(?!chief\b)[a-z&]+\s+){0,4}?)offic(?:er|e)\b|\bchief\s+([a-z]+)")
_NAMED = [("vice chair", r"\bvice[\s-]+chair(?:man|woman|person)?\b"), ("chair", r"\bchair(?:man|woman|person)?\b"),
          ("investor relations", r"\binvestors?\s+relations?(?:hips?)?\b"),
          ("treasurer", r"\btreasurer\b"), ("controller", r"\b(?:controller|comptroller)\b"),
          ("counsel", r"\bcounsel\b"), ("secretary", r"\bsecretary\b"), ("founder", r"\b(?:co-?)?founder\b"),
          ("trustee", r"\btrustee\b"), ("vice president", r"\bvice[\s-]+president\b"),
          ("president", r"\bpresident\b"), ("director", r"\bdirector\b"), ("head", r"\bhead\b"),
          ("manager", r"\bmanager\b")]
_TOP = {"chair", "vice chair", "president"}
_RANKS = {"vice president", "director", "head", "manager"}
_IGNORED = set("""of and the for & senior executive group global corporate co deputy assistant associate interim
acting lead principal general our its their chief officer office division business unit at""".split())


def role_keys(title: str | None) -> set[str]:
    """'Executive VP & CFO' -> {'vice president', 'chief:f'}; see the module docstring."""
    if not title:
        return set()
    s = " " + re.sub(r"[^a-z&]+", " ", title.lower().replace("’", "'").replace("'s", "")) + " "
    for pattern, repl in _ABBREV:
        s = re.sub(pattern, repl, s)
    keys = set()
    for m in _CHIEF.finditer(s):
        words = [w for w in (m[1] or m[2] or "").replace("&", " and ").split() if w not in ("and", "of", "the")]
        # 'chief executive' and 'chief e' (from CEO) are one key: the first letter of each area word.
        keys |= {"chief:" + w[0] for w in words} or {"chief:?"}
    s = _CHIEF.sub(" ", s)
    for key, pattern in _NAMED:
        if re.search(pattern, s):
            keys.add(key)
            s = re.sub(pattern, " ", s)
    keys |= {"area:" + w for w in s.split() if w not in _IGNORED and len(w) > 2}
    return keys


def _primary(keys: set[str]) -> set[str]:
    chiefs = {k for k in keys if k.startswith("chief:")}
    return chiefs or (keys & _TOP) or (keys - _RANKS) or keys


def same_role(given: str | None, listed: str | None) -> bool:
    """Does the given title name the listed role? (the rule in the module docstring)"""
    norm = lambda t: " ".join(re.findall(r"[a-z0-9]+", (t or "").lower()))
    if given and norm(given) == norm(listed):
        return True           # the same words ('Executive Assistant', which names no role key)
    g, l = role_keys(given), role_keys(listed)
    if not g or not l:
        return False
    chiefs = lambda keys: {k for k in keys if k.startswith("chief:")}
    if not chiefs(g) <= chiefs(l):
        return False
    if g <= _RANKS and not (chiefs(l) or l & _TOP or l & _RANKS):
        return True
    if l <= _RANKS:
        return l <= g and not (chiefs(g) or g & _TOP)
    return bool(_primary(g) & l)


def corpus_files(data: Path, corpus: str) -> list[Path]:
    return sorted(p for p in (data / corpus).rglob("*.txt") if p.is_file())


def measure_file(path: Path, wrong_examples: list, keep: int) -> dict | None:
    """Counts for one call, or None when it has no participant list with executive titles."""
    from archive import formats, roles
    from archive.formats.decode import decode
    from archive.models import EXECUTIVE, SourceFile

    data = path.read_bytes()
    text = decode(data, str(path))
    reader = formats.detect(text, path)
    draft = reader.read(text, path)
    people = roles._People()
    listed_any = False
    for p in draft.participants:
        role = p.role if p.role != "unknown" else roles.role_of_title(p.title)
        people.add(p.name, p.title, role)
        listed_any |= role == EXECUTIVE and roles.role_of_title(p.title) == EXECUTIVE
    if not listed_any:
        return None
    withheld = deepcopy(draft)
    withheld.participants = []
    for t in withheld.turns:
        t.title = None
    source = SourceFile(str(path), "", reader.NAME, len(data))
    stored = formats.finish(draft, source, {})
    intro = formats.finish(withheld, source, {})
    intro_title = {t.speaker: t.title for t in intro.turns if t.role != "operator"}
    stored_title = {t.speaker: t.title for t in stored.turns}
    c = {"calls": 1, "compared": 0, "given": 0, "correct": 0, "stored_correct": 0}
    for speaker in dict.fromkeys(t.speaker for t in stored.turns if t.role != "operator"):
        known = people.get(speaker)
        if not known or known[1] != EXECUTIVE or roles.role_of_title(known[0]) != EXECUTIVE:
            continue        # not listed, not management, or 'title' that names no role ('Acme Corp.')
        listed = known[0]
        c["compared"] += 1
        c["stored_correct"] += same_role(stored_title.get(speaker), listed)
        got = intro_title.get(speaker)
        if got:
            c["given"] += 1
            if same_role(got, listed):
                c["correct"] += 1
            elif len(wrong_examples) < keep:
                wrong_examples.append({"file": path.name, "speaker": speaker, "intro": got, "listed": listed})
    return c


def summarize(c: dict) -> dict:
    out = dict(c)
    out["wrong"] = c["given"] - c["correct"]
    out["coverage"] = round(c["given"] / c["compared"], 4) if c["compared"] else None
    out["precision"] = round(c["correct"] / c["given"], 4) if c["given"] else None
    out["stored_accuracy"] = round(c["stored_correct"] / c["compared"], 4) if c["compared"] else None
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(_venv.ROOT / ".data"), help="folder the corpora are unpacked in "
                                                                       "(default: .data)")
    ap.add_argument("--corpus", action="append", choices=CORPORA, help="only this corpus (repeatable)")
    ap.add_argument("--limit", type=int, help="at most this many files per corpus")
    ap.add_argument("--show-wrong", type=int, default=0, metavar="N", help="list up to N wrong titles per corpus "
                                                                          "(names and titles only)")
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = ap.parse_args(argv)
    data = Path(args.data)
    report = {}
    for corpus in args.corpus or CORPORA:
        files = corpus_files(data, corpus)[:args.limit] if (data / corpus).is_dir() else []
        if not files:
            print(f"{corpus}: not found under {data} (skipped)", file=sys.stderr)
            continue
        t0 = time.perf_counter()
        total = {"calls": 0, "compared": 0, "given": 0, "correct": 0, "stored_correct": 0}
        wrong: list = []
        failed = 0
        for f in files:
            try:
                c = measure_file(f, wrong, args.show_wrong)
            except Exception as e:  # an unreadable file is counted, not fatal
                failed += 1
                print(f"{f.name}: {type(e).__name__}: {e}", file=sys.stderr)
                continue
            if c:
                for k in total:
                    total[k] += c[k]
        report[corpus] = {**summarize(total), "files": len(files), "failed": failed,
                          "seconds": round(time.perf_counter() - t0, 1)}
        if args.show_wrong:
            report[corpus]["wrong_examples"] = wrong
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{'corpus':<15}{'calls':>6}{'compared':>9}{'given':>7}{'correct':>8}{'wrong':>6}{'coverage':>9}"
              f"{'precision':>10}{'stored':>8}")
        for corpus, r in report.items():
            fmt = lambda x: "-" if x is None else f"{x:.3f}"
            print(f"{corpus:<15}{r['calls']:>6}{r['compared']:>9}{r['given']:>7}{r['correct']:>8}{r['wrong']:>6}"
                  f"{fmt(r['coverage']):>9}{fmt(r['precision']):>10}{fmt(r['stored_accuracy']):>8}")
            for w in r.get("wrong_examples", []):
                print(f"    {w['file']}: {w['speaker']}: intro {w['intro']!r}, listed {w['listed']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
