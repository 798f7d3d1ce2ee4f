"""File bytes -> transcript text, before any layout is read. Text files are decoded; PDF pages and saved web pages
have their text extracted by maintained libraries (archive/formats/pdf_text.py, archive/formats/web_page.py), with
page furniture removed. Every reader then works on the same thing: a `PageText`."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .decode import decode


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


def is_pdf(data: bytes, path: Path) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-") or (path.suffix.lower() == ".pdf" and b"%PDF-" in data[:1024])


def is_html(text: str, path: Path) -> bool:
    head = text[:2048].lstrip().lower()
    if path.suffix.lower() in (".html", ".htm", ".xhtml"):
        return True
    return head.startswith(("<!doctype html", "<html")) or ("<html" in head and "<body" in text[:20000].lower())


def to_text(data: bytes, path: Path) -> PageText:
    """Extract the text of one file (raises InputFileError naming the file and the next step)."""
    name = str(path)
    if is_pdf(data, path):
        from .pdf_text import pdf_to_text
        return pdf_to_text(data, name)
    text = decode(data, name)
    if is_html(text, path):
        from .web_page import html_to_text
        return html_to_text(text, name)
    return PageText(text)
