"""PDF bytes -> the transcript text a speaker-label reader needs (a `PageText`). This module owns everything about
PDF page layout and nothing about transcript layouts:

- characters and their boxes come from pdfminer.six (chosen by measurement: scripts/bench_pdf.py); characters
  make words, rows of words are lines; a blank line marks a vertical gap larger than the line spacing;
- two-column pages: a vertical gutter free of words through the page body is read left column, then right; rows
  that cross the gutter (full-width headers, footers, headings) stay where they are;
- page furniture: lines that repeat at the top or bottom of most pages (compared with digits replaced, so
  'Page 3 of 12' matches 'Page 4 of 12'), stand-alone page numbers anywhere and rotated watermark words;
- a leading cover letter to a stock exchange (or a filing cover page) and a trailing disclaimer, found by scoring
  vocabulary, are left out.

Every removed line is listed in `PageText.dropped`, every decision in `PageText.notes`. Any failure of the PDF
library (encrypted, truncated, not a PDF at all) becomes an InputFileError naming the file and the next step."""
from __future__ import annotations

import io
import math
import re
import time
from dataclasses import dataclass
from statistics import median

from ..errors import InputFileError
from .extract import PageText

MAX_PAGES = 3000                 # a transcript is tens of pages; beyond this the file is something else
_TEXT_PAGE_CHARS = 80            # a page with fewer non-space characters has no usable text layer
_EDGE_ROWS = 3                   # header/footer candidates: this many rows at the top and at the bottom...
_EDGE_FRACTION = 0.25            # ...lying in the top/bottom quarter of the page
_GAP_FACTOR = 1.4                # a row pitch this many times the usual one is a paragraph gap


@dataclass
class _Line:
    page: int                    # 0-based page index
    flow: tuple                  # lines of one flow follow each other on the page (one column or the full width)
    top: float
    bottom: float
    x0: float
    x1: float
    text: str
    edge: str = ""               # "top" / "bottom" when among the page's first/last rows
    dropped: str = ""            # why it was removed ("" = kept)


# ---------------------------------------------------------------------------------------------------- entry point

def pdf_to_text(data: bytes, name: str) -> PageText:
    """The transcript text of a PDF (raises InputFileError for encrypted, broken and image-only PDFs)."""
    t0 = time.perf_counter()
    notes: list[str] = []
    pages, chars, rotated, columns = [], [], 0, []
    try:
        title, n, layouts = _open(data, name)
        for i, (width, height, page_chars) in enumerate(layouts):
            lines, count, skew, cols = _page_lines(page_chars, width, height, i)
            pages.append(lines)
            chars.append(count)
            rotated += skew
            if cols:
                columns.append(i + 1)
    except InputFileError:
        raise
    except Exception as e:                        # anything pdfminer raises: encrypted, truncated, garbage, ...
        raise _library_error(name, e) from None
    if n == 0:
        raise InputFileError(f"{name}: the PDF has no pages", "check the file, or download it again")
    text_pages = sum(c >= _TEXT_PAGE_CHARS for c in chars)
    if text_pages == 0 or text_pages < 0.2 * n:
        if rotated > max(sum(chars), _TEXT_PAGE_CHARS):
            raise InputFileError(f"{name}: its text is set at an angle (slanted or mirrored), not read",
                                 "print it to a new PDF with the text upright, or OCR an image of it")
        raise InputFileError(f"{name}: no text layer (a scanned PDF?): OCR it first",
                             "run it through OCR (e.g. ocrmypdf) and ingest the result")
    if columns:
        notes.append(f"2 columns on {_pages_phrase(columns)}")
    if rotated:
        notes.append(f"ignored {rotated} rotated characters (watermarks, margin stamps)")
    lines = [line for page_lines in pages for line in page_lines]
    notes += _drop_furniture(pages, n)
    notes += _drop_cover_letter(pages)
    out = _assemble([line for line in lines if not line.dropped])
    out, disclaimer = _drop_disclaimer(out)
    if disclaimer:
        notes.append(f"dropped a trailing disclaimer ({disclaimer} lines)")
    text = "\n".join("" if line is None else line.text for line in out).strip("\n") + "\n"
    return PageText(text=text, kind="pdf", pages=n, seconds=round(time.perf_counter() - t0, 3),
                    dropped=[line.text for line in lines if line.dropped], notes=notes, title=title)


def _open(data: bytes, name: str):
    """(metadata title, page count, an iterator of (width, height, characters) per page, parsed one at a time).
    A character is (text, x0, x1, top, bottom, text matrix), top-down like the page is shown."""
    try:
        from pdfminer.converter import PDFPageAggregator
        from pdfminer.pdfdocument import PDFDocument
        from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
        from pdfminer.pdfpage import PDFPage
        from pdfminer.pdfparser import PDFParser
    except ImportError:
        raise InputFileError(f"{name}: reading PDFs needs pdfminer.six", "pip install -r requirements.txt") from None
    doc = PDFDocument(PDFParser(io.BytesIO(data)))
    pages = list(PDFPage.create_pages(doc))
    if len(pages) > MAX_PAGES:
        raise InputFileError(f"{name}: {len(pages)} pages is more than a transcript ({MAX_PAGES} at most)",
                             "split the PDF and ingest the transcript part")
    resources = PDFResourceManager(caching=True)
    device = PDFPageAggregator(resources, laparams=None)        # no layout analysis: characters and their boxes
    interpreter = PDFPageInterpreter(resources, device)

    def layouts():
        for page in pages:
            interpreter.process_page(page)
            layout = device.get_result()
            x0, y0, x1, y1 = layout.bbox
            yield x1 - x0, y1 - y0, [(c.get_text(), c.x0 - x0, c.x1 - x0, y1 - c.y1, y1 - c.y0, c.matrix)
                                     for c in _chars_of(layout)]
    return _title(doc), len(pages), layouts()


def _chars_of(container):
    from pdfminer.layout import LTChar, LTContainer
    for obj in container:
        if isinstance(obj, LTChar):
            yield obj
        elif isinstance(obj, LTContainer):                      # form XObjects (LTFigure) hold characters too
            yield from _chars_of(obj)


def _library_error(name: str, e: Exception) -> InputFileError:
    kind = type(e).__name__
    if "Password" in kind or "Encrypt" in kind:
        what = "it needs a password" if "Password" in kind else f"{str(e).strip()[:80] or 'unsupported'}"
        return InputFileError(f"{name}: the PDF is encrypted ({what})",
                              "save an unprotected copy (e.g. qpdf --decrypt --password=PASS in.pdf out.pdf) and "
                              "ingest that")
    detail = str(e).strip() or kind
    return InputFileError(f"{name}: not a readable PDF ({kind}: {detail[:160]})",
                          "the file may be truncated or damaged: download it again, or repair it (e.g. "
                          "qpdf in.pdf out.pdf)")


def _title(doc) -> str | None:
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text
    for info in doc.info or []:
        value = resolve1(info.get("Title")) if isinstance(info, dict) else None
        if isinstance(value, bytes):
            value = decode_text(value)
        value = re.sub(r"\s+", " ", str(value or "")).replace("\x00", "").strip()
        if value:
            return value
    return None


def _pages_phrase(numbers: list[int]) -> str:
    spans, start = [], numbers[0]
    for a, b in zip(numbers, numbers[1:] + [None]):
        if b != a + 1:
            spans.append(str(start) if start == a else f"{start}-{a}")
            start = b
    return ("page " if len(numbers) == 1 else "pages ") + ", ".join(spans)


# ------------------------------------------------------------------------------------- one page: rows and columns

def _page_lines(chars: list[tuple], width: float, height: float, index: int) -> tuple[list[_Line], int, int, bool]:
    """The page's lines in reading order, its count of non-space characters, rotated characters skipped, columns?"""
    chars, rotated, width, height = _upright(chars, width, height)
    words = _words(chars)
    count = sum(len(w["text"]) for w in words)
    rows = _rows(words)
    gutter = _gutter(rows, width, height)
    lines: list[_Line] = []
    if gutter is None:
        for row in rows:
            lines.append(_line(row, index, ("full",)))
    else:
        for block, (kind, rows_) in enumerate(_segments(rows, gutter, height)):
            if kind == "full":
                lines += [_line(row, index, ("full",)) for row in rows_]
            else:
                for side in ("left", "right"):
                    part = [[w for w in row if _is_left(w, gutter) == (side == "left")] for row in rows_]
                    lines += [_line(p, index, (block, side)) for p in part if p]
    # Rows at the top and bottom of the page are header/footer candidates.
    tops = sorted({round(line.top, 1) for line in lines})
    head, foot = set(tops[:_EDGE_ROWS]), set(tops[-_EDGE_ROWS:])
    for line in lines:
        if round(line.top, 1) in head and line.bottom <= _EDGE_FRACTION * height:
            line.edge = "top"
        elif round(line.top, 1) in foot and line.top >= (1 - _EDGE_FRACTION) * height:
            line.edge = "bottom"
    return lines, count, rotated, any(line.flow[-1] == "right" for line in lines)


def _direction(matrix) -> str:
    """How a character runs as the page is shown: 'ltr' (upright), 'ttb', 'btt', 'flip' (upside down) or 'other'
    (slanted, mirrored)."""
    a, b, c, d = matrix[:4]
    if abs(b) <= 0.05 * abs(a) and abs(c) <= 0.05 * abs(d):
        return "ltr" if a > 0 and d > 0 else "flip" if a < 0 and d < 0 else "other"
    if abs(a) <= 0.05 * abs(b) and abs(d) <= 0.05 * abs(c):
        return "ttb" if b < 0 < c else "btt" if c < 0 < b else "other"
    return "other"


def _upright(chars: list[tuple], w: float, h: float) -> tuple[list[tuple], int, float, float]:
    """The characters of the page's main direction, turned upright (a page of sideways text is read turned a
    quarter); the count of other characters left out (watermarks, margin stamps); the page's width and height as
    read."""
    by_dir: dict[str, list[tuple]] = {}
    known: dict[tuple, str] = {}                                  # a page sets few distinct text matrices
    for c in chars:
        m = c[5][:4]
        d = known.get(m) or known.setdefault(m, _direction(m))
        by_dir.setdefault(d, []).append(c)
    main = max(("ltr", "ttb", "btt", "flip"), key=lambda k: len(by_dir.get(k, ())))
    kept = by_dir.get(main, [])
    rest = sum(1 for k, cs in by_dir.items() if k != main for c in cs if c[0].strip())
    if main == "ltr":
        return kept, rest, w, h
    if main == "flip":
        return [(t, w - x1, w - x0, h - bottom, h - top, m) for t, x0, x1, top, bottom, m in kept], rest, w, h
    if main == "ttb":        # turn the page a quarter counterclockwise: the text then runs left to right
        return [(t, top, bottom, w - x1, w - x0, m) for t, x0, x1, top, bottom, m in kept], rest, h, w
    return [(t, h - bottom, h - top, x0, x1, m) for t, x0, x1, top, bottom, m in kept], rest, h, w


def _words(chars: list[tuple]) -> list[dict]:
    """Characters in content order joined into words: a space, a gap wider than a fifth of the type size, a step
    back or a change of line ends a word. A character drawn twice at one spot (fake bold) counts once."""
    words: list[dict] = []
    seen: set[tuple] = set()
    cur = None
    for text, x0, x1, top, bottom, _ in chars:
        if not text.strip():
            cur = None
            continue
        spot = (text, round(x0), round(top))
        if spot in seen:
            continue
        seen.add(spot)
        size = bottom - top
        if cur is not None and abs(top - cur["top"]) <= 0.3 * size and -0.5 * size <= x0 - cur["x1"] <= 0.2 * size:
            cur["text"] += text
            if x1 > cur["x1"]:
                cur["x1"] = x1
            if bottom > cur["bottom"]:
                cur["bottom"] = bottom
        else:
            cur = {"text": text, "x0": x0, "x1": x1, "top": top, "bottom": bottom}
            words.append(cur)
    return words


def _rows(words: list[dict]) -> list[list[dict]]:
    """Words grouped into rows by their vertical middle; each row sorted left to right."""
    rows: list[list[dict]] = []
    mids: list[float] = []
    for w in sorted(words, key=lambda w: ((w["top"] + w["bottom"]) / 2, w["x0"])):
        mid, half = (w["top"] + w["bottom"]) / 2, max(1.0, (w["bottom"] - w["top"]) * 0.4)
        if rows and abs(mid - mids[-1]) <= half:
            rows[-1].append(w)
        else:
            rows.append([w])
            mids.append(mid)
    return [sorted(row, key=lambda w: w["x0"]) for row in rows]


def _line(words: list[dict], page: int, flow: tuple) -> _Line:
    return _Line(page, flow, min(w["top"] for w in words), max(w["bottom"] for w in words),
                 min(w["x0"] for w in words), max(w["x1"] for w in words), " ".join(w["text"] for w in words))


def _gutter(rows: list[list[dict]], width: float, height: float) -> tuple[float, float] | None:
    """(x0, x1) of a vertical band in the middle of the page that most rows leave empty, when both sides of it hold
    filled columns of text; None for a single-column page."""
    if len(rows) < 6 or width <= 0:
        return None
    lo, hi, step = int(width * 0.25), int(width * 0.75), 2
    bins = list(range(lo, hi, step))
    cover = [0] * len(bins)
    for row in rows:
        for w in row:
            a, b = max(lo, int(w["x0"])), min(hi - 1, int(math.ceil(w["x1"])))
            for k in range((a - lo) // step, (b - lo) // step + 1):
                if 0 <= k < len(cover):
                    cover[k] += 1
    # The widest band that at most a quarter of the rows cross (full-width headers, footers, headings), narrowed
    # to its emptiest part: the gutter itself, not the ragged ends of the left column's lines.
    a, b = _widest(cover, 0.25 * len(rows))
    if b > a:
        floor = min(cover[a:b])
        da, db = _widest(cover[a:b], floor)
        a, b = a + da, a + db
    if (b - a) * step < max(8.0, 0.015 * width):
        return None
    gutter = (float(bins[a]), float(bins[a] + (b - a) * step))
    segments = _segments(rows, gutter, height)
    in_columns = [row for kind, rows_ in segments if kind == "columns" for row in rows_]
    if len(in_columns) < 0.5 * len(rows):
        return None
    left = [[w for w in row if _is_left(w, gutter)] for row in in_columns]
    right = [[w for w in row if not _is_left(w, gutter)] for row in in_columns]
    left, right = [r for r in left if r], [r for r in right if r]
    if len(left) < 3 or len(right) < 2:
        return None
    # Real columns are filled: most left-side rows reach towards the gutter, most right-side rows run on from it.
    # (A participant list of short names with long titles on the right is not two columns.)
    l0, r1 = min(r[0]["x0"] for r in left), max(r[-1]["x1"] for r in right)
    left_fill = median(min(1.0, (r[-1]["x1"] - l0) / max(1.0, gutter[0] - l0)) for r in left)
    right_fill = median((r[-1]["x1"] - gutter[1]) / max(1.0, r1 - gutter[1]) for r in right)
    return gutter if left_fill >= 0.6 and right_fill >= 0.6 else None


def _is_left(word: dict, gutter: tuple[float, float]) -> bool:
    return word["x0"] + word["x1"] < gutter[0] + gutter[1]           # its middle is left of the gutter's middle


def _crosses(row: list[dict], gutter: tuple[float, float]) -> bool:
    """Does the row run on across the gutter (a word over its middle, or words closer than half its width)?"""
    mid = (gutter[0] + gutter[1]) / 2
    if any(w["x0"] < mid < w["x1"] for w in row):
        return True
    left = [w["x1"] for w in row if _is_left(w, gutter)]
    right = [w["x0"] for w in row if not _is_left(w, gutter)]
    return bool(left and right) and min(right) - max(left) < 0.5 * (gutter[1] - gutter[0])


def _widest(cover: list[int], limit: float) -> tuple[int, int]:
    """[start, end) of the longest run of bins covered at most `limit` times."""
    best, start = (0, 0), None
    for k, c in enumerate(cover + [math.inf]):
        if c <= limit and start is None:
            start = k
        elif c > limit and start is not None:
            if k - start > best[1] - best[0]:
                best = (start, k)
            start = None
    return best


def _segments(rows: list[list[dict]], gutter: tuple[float, float], height: float) -> list[tuple[str, list]]:
    """Consecutive rows split into ("full", rows) that cross the gutter and ("columns", rows) that do not (three
    rows or more; a shorter run stays full width). A header or footer row set apart from the columns by a wide gap
    near the page's edge is full width too, even where it happens not to cross the gutter."""
    out: list[tuple[str, list]] = []
    for row in rows:
        kind = "full" if _crosses(row, gutter) else "columns"
        if out and out[-1][0] == kind:
            out[-1][1].append(row)
        else:
            out.append((kind, [row]))
    peeled: list[tuple[str, list]] = []
    for kind, rows_ in out:
        head, tail = [], []
        if kind == "columns" and len(rows_) > 3:
            tops = [min(w["top"] for w in row) for row in rows_]
            pitch = max(1.0, median(b - a for a, b in zip(tops, tops[1:])))
            while len(rows_) > 3 and tops[1] - tops[0] > 2 * pitch and tops[0] < 0.15 * height:
                head.append(rows_.pop(0))
                tops.pop(0)
            while len(rows_) > 3 and tops[-1] - tops[-2] > 2 * pitch and tops[-1] > 0.85 * height:
                tail.insert(0, rows_.pop())
                tops.pop()
        peeled += [("full", head)] * bool(head) + [(kind, rows_)] + [("full", tail)] * bool(tail)
    merged: list[tuple[str, list]] = []
    for kind, rows_ in peeled:
        if kind == "columns" and len(rows_) < 3:
            kind = "full"
        if merged and merged[-1][0] == kind == "full":
            merged[-1][1].extend(rows_)
        else:
            merged.append((kind, rows_))
    return merged


# ------------------------------------------------------------------------------------------------ page furniture

_PAGE_NUMBER = re.compile(r"^(?:page\s*)?[-–—(\[]?\s*(\d{1,4})\s*[-–—)\]]?(?:\s*(?:of|/)\s*\d{1,4})?$", re.I)
_STAMP = re.compile(r"^(?:(?:©|\(c\)|copyright)\s*.*\ball rights reserved\b.*|(?:strictly\s+)?(?:private\s+and\s+)?"
                    r"confidential|for internal use only)\.?$", re.I)


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\d", "#", text.lower())).strip(" .|-–—")


def _drop_furniture(pages: list[list[_Line]], n: int) -> list[str]:
    """Mark repeated header/footer lines, page numbers and vendor stamps as dropped; say what went."""
    seen: dict[str, list[tuple[int, float]]] = {}
    for i, lines in enumerate(pages):
        for line in lines:
            if line.edge:
                seen.setdefault(line.edge + ":" + _key(line.text), []).append((i, line.top))
    text_pages = sum(1 for lines in pages if lines)
    need = max(2, math.ceil(0.6 * text_pages))     # 'most pages'; a title page may lack them
    # Furniture repeats in the same place: count the pages that have the line at (about) one height.
    repeated = {k for k, where in seen.items() if k.split(":", 1)[1] and len(where) >= need and max(
        len({p for p, top in where if abs(top - t) <= 3}) for _, t in where) >= need}
    counts = {"repeated": 0, "number": 0, "stamp": 0}
    for lines in pages:
        for line in lines:
            number = _PAGE_NUMBER.match(line.text.strip())
            if line.edge and line.edge + ":" + _key(line.text) in repeated:
                line.dropped = "repeated"
            elif number and (line.edge or int(number.group(1)) <= n + 10):
                line.dropped = "number"
            elif line.edge and _STAMP.match(line.text.strip()):
                line.dropped = "stamp"
            if line.dropped:
                counts[line.dropped] += 1
    notes = []
    if counts["repeated"]:
        notes.append(f"removed {counts['repeated']} repeated header/footer lines")
    if counts["number"]:
        notes.append(f"removed {counts['number']} page numbers")
    if counts["stamp"]:
        notes.append(f"removed {counts['stamp']} vendor stamps")
    return notes


# -------------------------------------------------------------------------------------------------- cover letters

# What a letter to a stock exchange (or a filing's cover page) says; each pattern counts once per page.
_LETTER = [re.compile(p, re.I) for p in (
    r"^to,?$", r"\bthe (general )?manager\b", r"\blisting (department|compliance|centre|center)\b",
    r"\bbse limited\b|\bbombay stock exchange\b", r"\bnational stock exchange\b", r"\bstock exchange\b",
    r"\bdear (sir|madam|sirs)\b|\bsir\s*/\s*madam\b", r"^(sub|subject)\s*[:.-]", r"^(ref|reference)\s*[:.-]",
    r"\bscrip (code|id|symbol)\b|\bsymbol\s*:", r"\byours (faithfully|sincerely|truly)\b|\bthanking you\b",
    r"\bregulation 30\b|\blisting obligations\b|\bsebi\b", r"\bcompany secretary\b|\bcompliance officer\b",
    r"\bdalal street\b|\bexchange plaza\b|\bbandra[- ]kurla\b|\bphiroze jeejeebhoy\b",
    r"\b(kindly|please) take (the same|this|it) on (your )?record\b|\bfor your (information|records)\b",
    r"\b(please find|enclosed herewith|find enclosed|attached herewith)\b", r"\bauthori[sz]ed signatory\b",
    r"\bsecurities and exchange commission\b", r"\bform (6|8)-k\b|\bcommission file number\b",
    r"\bpursuant to (rule|regulation|section)\b", r"^encl(osure)?s?\s*[:.]",
)]
# What the call itself says: its stock phrases, and lines that open with a speaker's name and a colon.
_SPEECH = re.compile(r"^(?:moderator|operator)\b|\bladies and gentlemen\b|\bgood (morning|afternoon|evening)\b|"
                     r"\bnext question\b|\bthank you\b", re.I)
_LABEL = re.compile(r"^([A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3})\s*:\s+\S")
_NOT_LABELS = re.compile(r"^(sub|subject|ref|reference|symbol|scrip|date|dated|encl|to|attn|kind attn|cin|isin|code|"
                         r"e-?mail|tel|phone|fax|website|web|address|regd|registered|place|name|security)\b", re.I)


def _letter_score(lines: list[_Line]) -> tuple[int, int]:
    kept = [line.text.strip() for line in lines if not line.dropped]
    letter = sum(1 for p in _LETTER if any(p.search(t) for t in kept))
    speech = sum(1 for t in kept if _SPEECH.search(t) or (
        (m := _LABEL.match(t)) is not None and not _NOT_LABELS.match(m.group(1))))
    return letter, speech


def _drop_cover_letter(pages: list[list[_Line]]) -> list[str]:
    """Leading pages that read as a letter to an exchange, when a later page holds the call."""
    end, letter_pages = 0, 0
    for i, lines in enumerate(pages[:-1]):
        if all(line.dropped for line in lines):
            continue                                  # blank pages decide nothing
        letter, speech = _letter_score(lines)
        if letter >= (2 if end else 4) and letter > 2 * speech:
            end, letter_pages = i + 1, letter_pages + 1
        else:
            break
    if not end or all(line.dropped for lines in pages[end:] for line in lines):
        return []
    for lines in pages[:end]:
        for line in lines:
            line.dropped = line.dropped or "letter"
    return [f"skipped a {letter_pages}-page cover letter to the exchange"]


# ----------------------------------------------------------------------------------------- lines -> text, gaps

_SENTENCE_END = re.compile(r"[.?!\"”’')]$")


def _assemble(lines: list[_Line]) -> list[_Line | None]:
    """Lines in reading order with None (a blank line) where the layout shows a gap."""
    pitches = [b.top - a.top for a, b in zip(lines, lines[1:])
               if a.page == b.page and a.flow == b.flow and b.top > a.top]
    pitch = median(pitches) if pitches else 14.0
    extent: dict[tuple, tuple[float, float]] = {}          # (left edge, right edge) of each flow on its page
    for line in lines:
        a, b = extent.get((line.page, line.flow), (line.x0, line.x1))
        extent[(line.page, line.flow)] = (min(a, line.x0), max(b, line.x1))
    out: list[_Line | None] = []
    for prev, line in zip([None] + lines, lines):
        if prev is not None:
            if prev.page == line.page and line.top > prev.top and (
                    prev.flow == line.flow or line.top >= prev.bottom):
                gap = line.top - prev.top > _GAP_FACTOR * pitch       # same page, below: the layout decides
            else:                                                    # next column or page: a paragraph ends
                a, b = extent[(prev.page, prev.flow)]               # where a sentence ends on a short line
                short = prev.x1 - a < 0.85 * (b - a)
                gap = bool(_SENTENCE_END.search(prev.text)) and (short or len(line.text) < 40)
            if gap:
                out.append(None)
        out.append(line)
    return out


# ---------------------------------------------------------------------------------------------------- disclaimers

_DISCLAIMER_HEADING = re.compile(r"^(?:legal\s+)?(?:disclaimer|important (?:notice|information)|legal notice)s?"
                                 r"\s*(?::.*)?$", re.I)
_DISCLAIMER_START = re.compile(r"^(?:note\s*:|disclaimer\s*:|(?:please note that )?this (?:is an? )?(?:transcript|"
                               r"document|report)\b|the (?:information|content)s? (?:contained|provided|in)\b)", re.I)
_LEGAL = [re.compile(p, re.I) for p in (
    r"\btranscripts?\b", r"\baccura(te|cy)\b|\binaccura", r"\berrors?\b", r"\bomissions?\b", r"\bliab(le|ility)\b",
    r"\bwarrant(y|ies)\b", r"\brepresentations?\b", r"\bresponsib(le|ility)\b", r"\bforward[- ]looking\b",
    r"\binvestment (decisions?|advice)\b|\badvice\b", r"\breliance\b|\brely\b", r"\bcompleteness\b",
    r"\bredistribut|\breproduc|\brepubli", r"\bconsent\b", r"\bcopyright\b|\ball rights reserved\b",
    r"\bwithout notice\b", r"\bin no event\b", r"\bdamages\b", r"\bexpress(ly)? or implied\b", r"\bherein\b",
    r"\bedited\b|\bverbatim\b", r"\bdisclaim", r"\bindemni", r"\bthird[- ]part(y|ies)\b", r"\bterms of use\b",
)]


def _legal_score(text: str) -> int:
    return sum(1 for p in _LEGAL if p.search(text))


def _drop_disclaimer(out: list[_Line | None]) -> tuple[list[_Line | None], int]:
    """Drop the blocks at the end that are a vendor or company disclaimer: everything after a disclaimer heading
    in the last part of the text, else the run of legal-sounding blocks that ends it; (remaining, lines dropped)."""
    blocks: list[list[_Line]] = [[]]
    for line in out:
        if line is None:
            blocks.append([])
        else:
            blocks[-1].append(line)
    blocks = [b for b in blocks if b]
    total = sum(len(b) for b in blocks)
    limit = min(max(80, 0.25 * total), 0.5 * total)
    run_cut = heading_cut = len(blocks)
    seen, run_open = 0, True
    for k in range(len(blocks) - 1, -1, -1):
        block = blocks[k]
        seen += len(block)
        if seen > limit:
            break
        first, text = block[0].text.strip(), " ".join(line.text for line in block)
        if _DISCLAIMER_HEADING.match(first) and _legal_score(" ".join(
                line.text for b in blocks[k:] for line in b)) >= 2:
            heading_cut = k
            break
        if run_open and ((_DISCLAIMER_START.match(first) and _legal_score(text) >= 2) or _legal_score(text) >= 4
                         or (len(block) <= 2 and _STAMP.match(first))):
            run_cut = k
        else:
            run_open = False
    cut = min(heading_cut, run_cut)
    if cut == len(blocks):
        return out, 0
    gone = [line for b in blocks[cut:] for line in b]
    for line in gone:
        line.dropped = "disclaimer"
    keep = {id(line) for b in blocks[:cut] for line in b}
    kept = [line for line in out if line is None or id(line) in keep]
    while kept and kept[-1] is None:
        kept.pop()
    return kept, len(gone)
