#!/usr/bin/env python3
"""Which PDF library reads transcripts: pages per second of pdfplumber and pypdf, and whether each gets two-column
pages in reading order (left column, then right). By default it measures on generated transcript PDFs (invented
text, written with fpdf2; every fourth page in two columns whose content stream interleaves the columns row by row,
as many producers write them); --folder measures speed on your own PDFs instead.

    scripts/bench_pdf.py [--pages 40] [--docs 3] [--repeat 1] [--json]
    scripts/bench_pdf.py --folder path/to/pdfs [--json]

Candidates: pdfplumber words (positions of every word: what columns and gaps need) and its extract_text;
pdfminer.six characters with their boxes (the engine under pdfplumber, without its per-character dicts); the
archive's whole pdf_to_text (pdfminer.six characters -> words -> columns, furniture, gaps); pypdf extract_text
(plain and layout mode) and pypdf's text visitor (start points of text runs, no widths). A candidate whose library
is not installed is skipped.
"""
from __future__ import annotations

import argparse
import io
import json
import re
import sys
import time
from pathlib import Path

import _venv  # noqa: E402,F401  (runs under .venv; puts the repository on sys.path)

W, H, LEFT, PITCH = 612, 792, 72, 12


_NAMES = ["Operator", "Marta Quill", "Oren Vasko", "Ida Brum", "Pal Ostrava", "Lee Tamm", "Rina Solt"]
_WORDS = ("volumes prices margins freight plant orders backlog guidance quarter demand cash capital pricing "
          "inventory customers region outlook costs supply growth contracts shipments rates retail").split()


def _sentence(rng, n: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n)).capitalize() + "."


def generate(pages: int, seed: int) -> tuple[bytes, list[int]]:
    """A transcript PDF of `pages` pages and the 0-based numbers of its two-column pages."""
    import random
    try:
        import fpdf
    except ImportError:
        sys.exit("generating PDFs needs fpdf2 (pip install -r requirements.txt), or pass --folder")
    rng = random.Random(seed)
    pdf = fpdf.FPDF(unit="pt", format=(W, H))
    pdf.set_auto_page_break(False)
    pdf.set_title(f"Q{seed % 4 + 1} 2031 Bench Widgets Earnings Call")
    two = []
    for p in range(pages):
        pdf.add_page()
        pdf.set_font("Helvetica", size=9)
        pdf.text(LEFT, 40, f"Bench Widgets Q{seed % 4 + 1} 2031 Earnings Call")
        pdf.text(460, 40, "March 3, 2031")
        pdf.text(LEFT, 760, "(c) 2031 Benchmark Data. All rights reserved.")
        pdf.text(290, 775, f"Page {p + 1} of {pages}")
        if p % 4 == 3:
            two.append(p)
            y = 80
            for k in range(45):                                      # rows: left then right, interleaved
                pdf.text(LEFT, y, f"alpha{k:02d} {_sentence(rng, 4)}")
                pdf.text(320, y, f"omega{k:02d} {_sentence(rng, 4)}")
                y += PITCH * (2 if k % 9 == 8 else 1)                # a paragraph gap now and then
            continue
        y = 80
        while y < 720:
            pdf.text(LEFT, y, rng.choice(_NAMES))
            y += PITCH
            for _ in range(rng.randint(2, 8)):
                if y >= 720:
                    break
                pdf.text(LEFT, y, _sentence(rng, rng.randint(12, 16)))
                y += PITCH
            y += PITCH
    return bytes(pdf.output()), two


def in_order(text: str) -> bool:
    """Do the two-column markers come left column first, each column in sequence?"""
    marks = re.findall(r"\b(alpha|omega)(\d\d)\b", text)
    want = [("alpha", f"{k:02d}") for k in range(45)] + [("omega", f"{k:02d}") for k in range(45)]
    return marks == want


def pdfplumber_words(data: bytes) -> list[str]:
    import pdfplumber
    out = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            words = page.extract_words(x_tolerance=2, y_tolerance=2)
            out.append(" ".join(w["text"] for w in words))      # content order of positioned words
            page.close()
    return out


def pdfplumber_text(data: bytes) -> list[str]:
    import pdfplumber
    out = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            out.append(page.extract_text() or "")
            page.close()
    return out


def pdfminer_chars(data: bytes) -> list[str]:
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LTChar, LTContainer
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage

    def chars(container):
        for obj in container:
            if isinstance(obj, LTChar):
                yield obj
            elif isinstance(obj, LTContainer):
                yield from chars(obj)
    resources = PDFResourceManager(caching=True)
    device = PDFPageAggregator(resources, laparams=None)        # characters and boxes, no layout analysis
    interpreter = PDFPageInterpreter(resources, device)
    out = []
    for page in PDFPage.get_pages(io.BytesIO(data)):
        interpreter.process_page(page)
        out.append("".join(c.get_text() for c in chars(device.get_result())))
    return out


def archive_pdf_to_text(data: bytes) -> list[str]:
    from archive.formats.pdf_text import pdf_to_text
    got = pdf_to_text(data, "bench.pdf")
    return [got.text]                                           # the whole document, in reading order


def pypdf_plain(data: bytes) -> list[str]:
    import pypdf
    return [page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def pypdf_layout(data: bytes) -> list[str]:
    import pypdf
    return [page.extract_text(extraction_mode="layout") or "" for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def pypdf_visitor(data: bytes) -> list[str]:
    import pypdf
    out = []
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        runs = []
        page.extract_text(visitor_text=lambda text, cm, tm, font, size: runs.append((tm[5], tm[4], text)))
        out.append(" ".join(t for _, _, t in runs))
    return out


CANDIDATES = {
    "pdfplumber-words": pdfplumber_words, "pdfplumber-text": pdfplumber_text, "pdfminer-chars": pdfminer_chars,
    "archive-pdf_to_text": archive_pdf_to_text, "pypdf-plain": pypdf_plain, "pypdf-layout": pypdf_layout,
    "pypdf-visitor": pypdf_visitor,
}


_LIBRARY = {"pdfplumber-words": "pdfplumber", "pdfplumber-text": "pdfplumber", "pdfminer-chars": "pdfminer.six",
            "archive-pdf_to_text": "pdfminer.six", "pypdf-plain": "pypdf", "pypdf-layout": "pypdf",
            "pypdf-visitor": "pypdf"}


def measure(docs: list[tuple[str, bytes, list[int]]], names: list[str], repeat: int = 1) -> dict:
    """Per candidate: pages read, seconds (best of `repeat` per file), pages/s, two-column pages in order."""
    results = {}
    for name in names:
        fn, pages, seconds, good, total, failed = CANDIDATES[name], 0, 0.0, 0, 0, []
        for label, data, two in docs:
            best = None
            try:
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    texts = fn(data)
                    best = min(best or 1e9, time.perf_counter() - t0)
            except Exception as e:                                  # a library that cannot read one file
                failed.append(f"{label}: {type(e).__name__}: {str(e)[:80]}")
                continue
            seconds += best
            pages += _count_pages(data)
            if two:
                if len(texts) == 1:                                 # one document text: split where pages start
                    texts_two = re.split(r"(?=\balpha00\b)", texts[0])[1:len(two) + 1]
                else:
                    texts_two = [texts[p] for p in two]
                good += sum(in_order(t) for t in texts_two)
                total += len(two)
        results[name] = {"pages": pages, "seconds": round(seconds, 3),
                         "pages_per_s": round(pages / seconds, 1) if seconds else None,
                         "two_column_pages_in_order": f"{good}/{total}" if total else None, "failed": failed}
    return results


def _count_pages(data: bytes) -> int:
    """Pages in the PDF (0 when pdfminer cannot open it)."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    try:
        return sum(1 for _ in PDFPage.create_pages(PDFDocument(PDFParser(io.BytesIO(data)))))
    except Exception:
        return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folder", type=Path, help="measure on the *.pdf files in this folder instead")
    ap.add_argument("--pages", type=int, default=40, help="pages per generated PDF (default 40)")
    ap.add_argument("--docs", type=int, default=3, help="generated PDFs (default 3)")
    ap.add_argument("--repeat", type=int, default=1, help="time each candidate this many times, keep the best")
    ap.add_argument("--only", nargs="+", choices=sorted(CANDIDATES), help="measure these candidates only")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = ap.parse_args(argv)
    if args.folder:
        files = sorted(args.folder.glob("*.pdf"))
        if not files:
            ap.error(f"no *.pdf files in {args.folder}")
        docs = [(f.name, f.read_bytes(), []) for f in files]
    else:
        docs = [(f"generated-{i}", *generate(args.pages, i)) for i in range(args.docs)]
    versions = {}
    for lib, module in (("pdfplumber", "pdfplumber"), ("pdfminer.six", "pdfminer"), ("pypdf", "pypdf")):
        try:
            versions[lib] = __import__(module).__version__
        except ImportError:
            versions[lib] = None
    if not versions["pdfminer.six"]:
        sys.exit("pdfminer.six is missing: .venv/bin/pip install -r requirements.txt (and pdfplumber pypdf to "
                 "compare them)")
    names = [n for n in args.only or CANDIDATES if versions[_LIBRARY[n]]]
    results = measure(docs, names, max(1, args.repeat))
    report = {"docs": len(docs), "pages": sum(_count_pages(d) for _, d, _ in docs), "versions": versions,
              "results": results}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{len(docs)} PDFs, {report['pages']} pages; " + ", ".join(f"{k} {v or 'not installed'}"
                                                                   for k, v in versions.items()))
    print(f"{'candidate':22} {'pages':>6} {'seconds':>8} {'pages/s':>8}  two-column pages in order")
    for name, r in results.items():
        print(f"{name:22} {r['pages']:>6} {r['seconds']:>8} {r['pages_per_s'] or '-':>8}  "
              f"{r['two_column_pages_in_order'] or '-'}" + (f"  failed: {len(r['failed'])}" if r["failed"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
