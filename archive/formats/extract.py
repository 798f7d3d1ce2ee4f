"""File bytes -> transcript text, before any layout is read. Text files are decoded; PDF pages and saved web pages
have their text extracted by maintained libraries (archive/formats/pdf_text.py, archive/formats/web_page.py), with
page furniture removed. Every reader then works on the same thing: a `PageText`.

Plain text that is not a web page (a `.txt` scrape, an HTML fragment without `<html>`) can still hold markup that is
never speech: `<script>` and `<style>` blocks and `<!-- comments -->`. `strip_markup` removes them (case-insensitive,
across lines) and says so in `PageText.warnings`; an unclosed one runs to the end of the file, as a browser and
lxml read it (web_page.py), and the warning names its line. Nothing else in angle brackets is touched ("<10%",
"revenue < cost", "<b>"). Structured files (JSON, JSON lines, CSV, TSV) are left alone: their values are what
they say (a speaker named "<script>alert(1)</script>" is kept verbatim)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputFileError
from .decode import decode_with_warnings


@dataclass
class PageText:
    """The text of a file as the readers see it, and what extraction did to get it."""
    text: str
    kind: str = "text"                         # text | pdf | html
    pages: int | None = None                   # PDF pages read
    seconds: float = 0.0                       # time spent extracting (PDF, HTML)
    dropped: list[str] = field(default_factory=list)    # lines removed as page furniture, in order
    notes: list[str] = field(default_factory=list)      # what extraction decided, in words (for `inspect`)
    title: str | None = None                   # a document title the container gives (PDF metadata, <title>)
    warnings: list[str] = field(default_factory=list)   # repairs made to the text, in words (encoding, control
    #                                                     characters, U+FFFD, markup removed): never silent


def is_pdf(data: bytes, path: Path) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-") or (path.suffix.lower() == ".pdf" and b"%PDF-" in data[:1024])


def is_html(text: str, path: Path) -> bool:
    head = text[:2048].lstrip().lower()
    if path.suffix.lower() in (".html", ".htm", ".xhtml"):
        return True
    return head.startswith(("<!doctype html", "<html")) or ("<html" in head and "<body" in text[:20000].lower())


_STRUCTURED_SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv", ".tsv")
_MARKUP_OPEN = re.compile(r"<(script|style)(?=[\s/>])[^<>]*?(/?)>|<!--", re.I)
_MARKUP_CLOSE = {"script": re.compile(r"</script\s*>", re.I), "style": re.compile(r"</style\s*>", re.I)}


def is_structured(text: str, path: Path) -> bool:
    """JSON (what the JSON readers claim: text opening with '{' or '[') or a delimited table."""
    return path.suffix.lower() in _STRUCTURED_SUFFIXES or text.lstrip()[:1] in ("{", "[")


def strip_markup(text: str) -> tuple[str, list[str]]:
    """Remove <script>/<style> blocks and HTML comments from plain text -> (text, warnings). A block alone on its
    lines takes those lines with it; one inside a line leaves a space (a line break if it spanned lines)."""
    blocks, pos, unclosed = [], 0, None          # blocks: [start, end, kinds]; unclosed: (tag, start)
    while (m := _MARKUP_OPEN.search(text, pos)):
        if m.group(1) is None:                   # <!--
            kind, close = "comment", text.find("-->", m.end())
            end = close + 3 if close >= 0 else -1
        elif m.group(2):                         # <script ... />: the tag alone
            kind, end = "script/style", m.end()
        else:
            kind, c = "script/style", _MARKUP_CLOSE[m.group(1).lower()].search(text, m.end())
            end = c.end() if c else -1
        if end < 0:
            end, unclosed = len(text), ((m.group(1) or "!--").lower(), m.start())
        if blocks and not text[blocks[-1][1]:m.start()].strip():
            blocks[-1][1] = end                  # next to the previous one: one removal
            blocks[-1][2].append(kind)
        else:
            blocks.append([m.start(), end, [kind]])
        pos = end
    if not blocks:
        return text, []
    out, at = [], 0
    for start, end, _ in blocks:
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        if not text[line_start:start].strip() and not text[end:line_end].strip():
            start, end = line_start, min(line_end + 1, len(text))     # whole lines
            filler = ""
        else:
            filler = "\n" if "\n" in text[start:end] else " "
        out += [text[at:start], filler]
        at = end
    out.append(text[at:])
    kinds = [k for b in blocks for k in b[2]]
    scripts, comments = kinds.count("script/style"), kinds.count("comment")
    what = [f"{n} {label}{'s' if n != 1 else ''}" for n, label in
            ((scripts, "script/style block"), (comments, "HTML comment")) if n]
    first = text.count("\n", 0, blocks[0][0]) + 1
    warnings = [f"{' and '.join(what)} removed (markup, not speech; first: line {first})"]
    if unclosed:
        tag = "<!--" if unclosed[0] == "!--" else f"<{unclosed[0]}>"
        start = unclosed[1]
        line, lines = text.count("\n", 0, start) + 1, text[start:].rstrip("\n").count("\n") + 1
        warnings.append(f"an unclosed {tag} (line {line}) was removed to the end of the file ({lines} lines): "
                        "check the file if speech followed it")
    return "".join(out), warnings


def to_text(data: bytes, path: Path) -> PageText:
    """Extract the text of one file (raises InputFileError naming the file and the next step)."""
    name = str(path)
    if is_pdf(data, path):
        from .pdf_text import pdf_to_text
        return pdf_to_text(data, name)
    text, warnings = decode_with_warnings(data, name)
    if is_html(text, path):
        from .web_page import html_to_text
        page = html_to_text(text, name)
        page.warnings = warnings + page.warnings
        return page
    if not is_structured(text, path):
        text, removed = strip_markup(text)
        warnings += removed
        if not text.strip():
            raise InputFileError(f"{name}: no text outside <script>, <style> and comment markup",
                                 "nothing to ingest; check the scraper or export that wrote it")
    return PageText(text, warnings=warnings)
