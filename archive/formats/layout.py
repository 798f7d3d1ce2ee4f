"""A layout the user describes in a few lines (`ingest --layout FILE`, `inspect --layout FILE`), TOML or JSON:

    name = "acme-ir-pdf"                                   # shown in reports (optional)
    speaker = '^(?P<name>[A-Z][\\w .\\'-]+?)(?: - (?P<title>[^:]+))?:\\s*(?P<text>.*)$'
    affiliation_line = false       # true: the line after a label holds the speaker's company/title
    start = '^Full Conference Call Transcript$'            # the call starts after this line (optional)
    end = '^(?:Disclaimer|Copyright)'                       # ... and stops at this one (optional)
    qa_start = '^Questions? and Answers'                    # a heading that opens the Q&A (optional)
    prepared_start = '^Presentation$'                       # a heading that opens the prepared remarks (optional)
    participants = '^(?:Call Participants|Executives)$'     # a heading above a list of speaker lines (optional)
    furniture = ['^Page \\d+ of \\d+$', '^ACME CORP Q\\d']   # lines to drop wherever they are (optional)

`speaker` is matched against each line (stripped); it must have a group `name`, and may have `title`, `company`
and `text` (the speech on the same line). Every key is checked, and an error names the key that is wrong."""
from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BadRequestError
from . import Draft
from .headers import header_meta
from .labels import GENERIC, Label
from .segment import END_MARKER, PREPARED_HEADING, QA_HEADING, START_MARKER, segment

NAME = "declared-layout"
KEYS = {"name": str, "speaker": str, "affiliation_line": bool, "start": str, "end": str, "qa_start": str,
        "prepared_start": str, "participants": str, "furniture": list, "description": str}
GROUPS = {"name", "title", "company", "text"}


@dataclass(frozen=True)
class Layout:
    speaker: re.Pattern
    name: str = "declared"
    affiliation_line: bool = False
    start: re.Pattern | None = None
    end: re.Pattern | None = None
    qa_start: re.Pattern | None = None
    prepared_start: re.Pattern | None = None
    participants: re.Pattern | None = None
    furniture: tuple = field(default_factory=tuple)
    source: str = ""
    fingerprint: str = ""          # a hash of the declaration: a changed layout re-reads the files it read


def _bad(where: str, problem: str, hint: str) -> BadRequestError:
    return BadRequestError(f"{where}: {problem}", hint)


def _regex(where: str, key: str, value: str) -> re.Pattern:
    try:
        return re.compile(value)
    except re.error as e:
        raise _bad(where, f"{key!r} is not a valid regular expression ({e})",
                   "fix the pattern (Python `re` syntax; in TOML use single quotes so backslashes stay as written)"
                   ) from None


def parse_layout(data: dict, where: str = "layout") -> Layout:
    if not isinstance(data, dict):
        raise _bad(where, "must be a table of keys", f"known keys: {', '.join(KEYS)}")
    for key, value in data.items():
        if key not in KEYS:
            raise _bad(where, f"unknown key {key!r}", f"known keys: {', '.join(KEYS)}")
        if not isinstance(value, KEYS[key]):
            raise _bad(where, f"{key!r} must be a {KEYS[key].__name__}, not {type(value).__name__}",
                       "see the example in docs/layouts.md")
    if "speaker" not in data:
        raise _bad(where, "the key 'speaker' is missing",
                   "give a pattern with a named group for the name, e.g. speaker = '^(?P<name>[A-Z][^:]+):(?P<text>.*)$'")
    speaker = _regex(where, "speaker", data["speaker"])
    groups = set(speaker.groupindex)
    if "name" not in groups:
        raise _bad(where, "'speaker' has no group named 'name'", "mark the speaker's name with (?P<name>...)")
    if groups - GROUPS:
        raise _bad(where, f"'speaker' has unknown groups {sorted(groups - GROUPS)}",
                   f"use only the groups {', '.join(sorted(GROUPS))}")
    if speaker.match(""):
        raise _bad(where, "'speaker' matches an empty line", "anchor the pattern on the name, e.g. '^(?P<name>[A-Z]...)'")
    furniture = []
    for k, p in enumerate(data.get("furniture", [])):
        if not isinstance(p, str):
            raise _bad(where, f"'furniture' item {k + 1} must be a string", "give a list of patterns")
        furniture.append(_regex(where, f"furniture[{k + 1}]", p))
    opt = {k: _regex(where, k, data[k]) for k in ("start", "end", "qa_start", "prepared_start", "participants")
           if k in data}
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    return Layout(speaker=speaker, name=data.get("name", "declared"), affiliation_line=data.get("affiliation_line", False),
                  furniture=tuple(furniture), source=where, fingerprint=digest, **opt)


def load_layout(path: str | Path) -> Layout:
    """Read and check a layout file (.toml or .json)."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise _bad(str(path), f"cannot read the layout file ({getattr(e, 'strerror', None) or e})",
                   "check the path") from None
    try:
        data = json.loads(raw) if path.suffix.lower() == ".json" or raw.lstrip().startswith("{") else tomllib.loads(raw)
    except (ValueError, tomllib.TOMLDecodeError) as e:
        raise _bad(str(path), f"not valid {'JSON' if path.suffix.lower() == '.json' else 'TOML'} ({e})",
                   "see the example in docs/layouts.md") from None
    return parse_layout(data, str(path))


def read(text: str, path: Path, layout: Layout) -> Draft:
    lines = [l.rstrip() for l in text.split("\n")]
    labels: dict[int, tuple[Label, str | None]] = {}
    for i, raw in enumerate(lines):
        s = raw.strip()
        if not s or len(s) > 20000:
            continue
        m = layout.speaker.match(s)
        if not m or not (m["name"] or "").strip():
            continue
        g = m.groupdict()
        rest = g.get("text")
        if "text" not in layout.speaker.groupindex:
            rest = s[m.end():].strip() or None
        name = re.sub(r"\s+", " ", g["name"]).strip()
        labels[i] = (Label(name, (g.get("title") or "").strip() or None, (g.get("company") or "").strip() or None,
                           generic=bool(GENERIC.match(name))), (rest or "").strip() or None)
    rosters = []
    if layout.participants is not None:
        i = 0
        while i < len(lines):
            if layout.participants.match(lines[i].strip()):
                j, last = i + 1, None
                while j < len(lines) and (not lines[j].strip() or j in labels):
                    last = j if j in labels else last
                    j += 1
                if last is not None:
                    rosters.append((i + 1, last))
                i = j
            else:
                i += 1
    draft, found = segment(lines, labels, rosters=rosters, start=layout.start or START_MARKER, end=layout.end or END_MARKER,
                           qa=layout.qa_start or QA_HEADING, prepared=layout.prepared_start or PREPARED_HEADING,
                           furniture=list(layout.furniture), affiliation_lines=layout.affiliation_line)
    draft.explain = {"layout": f"declared layout {layout.name!r} ({layout.source})", "labels": len(labels),
                     "start_line": found.start_line, "end_line": found.end_line, "headings": found.headings,
                     "rosters": found.rosters, "dropped": found.dropped}
    header_meta(found.header, draft)
    return draft
