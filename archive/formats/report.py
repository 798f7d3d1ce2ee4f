"""What was read from a file and why (`python -m archive inspect FILE`, `ingest --explain`): the layout and the
evidence for it, metadata and where it was found, participants, turns per section, the first turns, the lines
dropped as furniture; for a file that could not be read, the lines that looked most like speaker labels and the
next step. One dict, printed as text or JSON."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from ..errors import InputFileError
from . import META_KEYS, Reading

MAX_DROPPED = 40


def describe(r: Reading, *, first_turns: int = 5) -> dict:
    t, d, page = r.transcript, r.draft, r.page
    explain = dict(d.explain or {})
    dropped = [{"line": n, "why": why, "text": text[:160]} for n, why, text in explain.pop("dropped", [])]
    dropped = [{"line": None, "why": f"{page.kind} furniture", "text": x[:160]} for x in page.dropped] + dropped
    sections = Counter(x.section for x in t.turns)
    out = {
        "file": t.source.path, "ok": True, "reader": r.reader,
        "extraction": {"kind": page.kind, "pages": page.pages, "seconds": round(page.seconds, 3), "notes": page.notes},
        "layout": explain.pop("layout", r.reader), "evidence": explain,
        "fell_back_from": r.fell_back,
        "call_id": t.call_id,
        "metadata": {k: {"value": getattr(t, k, None), "from": d.sources.get(k, "the reader" if getattr(t, k, None)
                                                                              not in (None, "") else None)}
                     for k in META_KEYS + ("title",)},
        "participants": [p.to_dict() for p in t.participants],
        "turns": len(t.turns),
        "turns_per_section": {k: sections.get(k, 0) for k in ("prepared", "qa")},
        "speakers": len({x.speaker for x in t.turns}),
        "roles": dict(Counter(x.role for x in t.turns)),
        "first_turns": [{"position": x.position, "speaker": x.speaker, "title": x.title, "role": x.role,
                         "section": x.section, "text": x.text[:200]} for x in t.turns[:first_turns]],
        "dropped": dropped[:MAX_DROPPED], "dropped_total": len(dropped),
        "warnings": r.warnings,                 # what decoding repaired or removed
    }
    return out


def describe_failure(path: Path, error: InputFileError, text: str | None) -> dict:
    from .inferred import suggestions
    rows = suggestions(text) if text else []
    return {"file": str(path), "ok": False, "error": error.message, "hint": error.hint,
            "likeliest_labels": [{"line": n, "text": s} for n, s in rows],
            "next_step": "describe the layout in a file (a `speaker` pattern with a (?P<name>...) group; see "
                         "docs/layouts.md) and run `python -m archive inspect FILE --layout LAYOUT`, then "
                         "`python -m archive ingest FILE --layout LAYOUT`"}


def render(d: dict) -> str:
    """The report as text for a terminal."""
    lines = [f"file      {d['file']}"]
    if not d["ok"]:
        lines += [f"result    could not be read: {d['error']}", f"hint      {d['hint']}" if d.get("hint") else ""]
        if d["likeliest_labels"]:
            lines.append("lines that looked most like speaker labels:")
            lines += [f"  line {x['line']:>5}: {x['text']}" for x in d["likeliest_labels"]]
        else:
            lines.append("no line looked like a speaker label")
        lines.append(f"next step {d['next_step']}")
        return "\n".join(x for x in lines if x != "")
    ex = d["extraction"]
    if ex["kind"] != "text":
        lines.append(f"extracted {ex['kind']}" + (f", {ex['pages']} pages" if ex["pages"] else "") +
                     f" in {ex['seconds']:.2f}s" + (f": {'; '.join(ex['notes'])}" if ex["notes"] else ""))
    lines.append(f"layout    {d['layout']}  [reader: {d['reader']}]" +
                 (f" (the {d['fell_back_from']} reader claimed it but read too little)" if d["fell_back_from"] else ""))
    ev = d["evidence"]
    for kind, k in (ev.get("kinds") or {}).items():
        taken = "taken" if kind in ev.get("taken", []) else "rejected"
        why = ", ".join(f"{v} {r}" for r, v in k["reasons"].items()) or "none confirmed"
        lines.append(f"  {kind:<13} {taken}: {k['candidates']} candidate lines, {k['confirmed']} confirmed ({why})")
        if k["rejected"]:
            lines.append(f"  {'':<13} unconfirmed, read as speech: {', '.join(k['rejected'][:6])}")
    if ev.get("columns"):
        lines.append("  columns   " + ", ".join(f"{k} = {v!r}" for k, v in ev["columns"].items()))
    for note in ev.get("notes") or []:
        lines.append(f"  note      {note}")
    if ev.get("start_line"):
        lines.append(f"  the call runs from line {ev['start_line']} to line {ev['end_line']}" +
                     (f"; section headings at lines {', '.join(str(n) for n, _ in ev['headings'])}"
                      if ev.get("headings") else ""))
    if ev.get("rosters"):
        lines.append("  participant lists at lines " + ", ".join(f"{a}-{b}" for a, b in ev["rosters"]))
    lines.append(f"call      {d['call_id']}")
    for k, v in d["metadata"].items():
        if v["value"] not in (None, ""):
            lines.append(f"  {k:<9} {v['value']!s:<40} from {v['from']}")
        else:
            lines.append(f"  {k:<9} -")
    lines.append(f"turns     {d['turns']} ({d['turns_per_section']['prepared']} prepared remarks, "
                 f"{d['turns_per_section']['qa']} Q&A), {d['speakers']} speakers; roles "
                 + ", ".join(f"{k} {v}" for k, v in d["roles"].items()))
    if d["participants"]:
        lines.append(f"participants ({len(d['participants'])})")
        lines += [f"  {p['name']:<28} {p['role']:<10} {p['title'] or ''}" for p in d["participants"][:30]]
    lines.append("first turns")
    for x in d["first_turns"]:
        lines.append(f"  [{x['position']}] {x['speaker']}" + (f" ({x['title']})" if x["title"] else "") +
                     f" {x['role']}/{x['section']}: {x['text'][:110]}")
    lines += [f"warning   {w}" for w in d.get("warnings", [])]
    if d["dropped_total"]:
        lines.append(f"dropped   {d['dropped_total']} lines as furniture or outside the call" +
                     (f" (first {len(d['dropped'])})" if d["dropped_total"] > len(d["dropped"]) else ""))
        lines += [f"  {('line ' + str(x['line'])) if x['line'] else x['why']:>10}: {x['text'][:110]}"
                  for x in d["dropped"][:15]]
    return "\n".join(lines)
