#!/usr/bin/env python3
"""Fuzz every transcript reader: random bytes, real sample files truncated, spliced and mutated, huge lines, deep
nesting, files of only speaker labels, empty and whitespace files, broken sidecars. Each case is written under
several file names (the suffix chooses PDF / HTML / table handling) and read

  - by detection (`formats.read_file(path, data=...)`), by every reader forced (`format=NAME`) and by a declared
    layout: each must return a transcript (turns numbered from 0, each with a speaker and text) or raise
    InputFileError (a clear refusal); anything else is a crash;
  - by `Archive.inspect` (what `python -m archive inspect FILE` prints, as text and JSON): a report, or a refusal;
  - through the service (`Archive.ingest_file`) into a temporary archive: afterwards the call is either stored
    whole (n_turns and n_chunks of its row match its stored turns and chunks, every turn has chunks, one file row)
    or nothing at all is; a FileOutcome "could not be read (...)" or "too complex to read (...)" is a reader
    crash the service caught. Detection, inspect and ingest must agree on whether the file is a transcript.

Every step runs in a worker process with a time bound (--bound seconds per step, default 10): a step that
exceeds it is a hang (the worker is killed and replaced; faulthandler's stack dump says where it was); a worker
that dies is a crash. Findings are grouped by signature (kind, exception, the innermost frame in archive/, or
for a hang the reader's frame); the smallest reproducer of each is saved under --out (the file, any file beside
it, and case.json), a new crash's shrunk first by deleting byte ranges while its signature holds (--no-reduce:
as found). The summary (also --out/summary.json) gives the cases run, the time, the result of every step, the
crashes, hangs, half-stored calls and invalid readings, and the slowest steps. Exit status 1 when anything was
found.

    scripts/fuzz_readers.py --seconds 600                 # a longer run: as many cases as fit in 10 minutes
    scripts/fuzz_readers.py --cases 500 --seed 7 --json   # a fixed number of cases, reproducible by seed
    scripts/fuzz_readers.py --replay /tmp/fuzz-findings/crash-.../case.json   # rerun one saved file

Case k of a run is made from random.Random(f"{seed}:{k}") alone, so `--seed S --cases N` repeats a run exactly.
The seeds are archive/sample (CC BY-SA 4.0) and files derived from it in memory (CSV, TSV, JSONL, .nlp token
table, HTML, PDF written with fpdf2, speaker-blocks text); nothing from other corpora. tests/test_fuzz_readers.py
runs a bounded number of cases of the same families in the suite.
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import functools
import gc
import hashlib
import io
import json
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import _venv  # noqa: E402,F401  (runs under .venv; puts the repository on sys.path)

from archive import formats  # noqa: E402
from archive.errors import InputFileError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "archive" / "sample"
SUFFIXES = (".txt", ".json", ".jsonl", ".csv", ".tsv", ".html", ".pdf", ".nlp")
BOUND_S = 10.0                       # seconds one step (one read, or the ingest) may take before it is a hang
STORED = ("added", "replaced")

# A layout as a user would declare it (`ingest --layout FILE`): the declared-layout reader is fuzzed with it.
DECLARED = {"name": "fuzz", "speaker": r"^(?P<name>[A-Z][\w .'-]{0,60}?)(?: - (?P<title>[^:]{1,80}))?:\s*(?P<text>.*)$",
            "qa_start": r"^Questions? and Answers", "participants": r"^(?:Call Participants|Executives)$",
            "furniture": [r"^Page \d+ of \d+$"]}


# ---- cases ---------------------------------------------------------------------------------------------------

@dataclass
class Case:
    family: str
    name: str                                        # the file name (its suffix matters)
    data: bytes
    extra: dict = field(default_factory=dict)        # other files beside it: name -> bytes (sidecar, metadata)
    note: str = ""                                   # how it was made
    id: str = ""


@dataclass
class Seed:
    name: str
    data: bytes

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix


def _sample_turns(name: str, n: int | None = None) -> list[tuple[str, str]]:
    d = json.loads((SAMPLE / name).read_text(encoding="utf-8"))
    return [(t["speaker"], t["speech"]) for t in d["turns"][:n]]


def _csv(turns, delimiter=",") -> bytes:
    out = io.StringIO()
    w = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    w.writerow(["speaker", "text", "section"])
    for i, (who, text) in enumerate(turns):
        w.writerow([who, text, "prepared" if i < len(turns) // 2 else "qa"])
    return out.getvalue().encode()


def _nlp(turns) -> bytes:
    ids, rows = {}, ["token|speaker|ts|endTs|punctuation|case|tags|wer_tags"]
    t = 0.0
    for who, text in turns:
        sid = ids.setdefault(who, len(ids))
        for word in text.split():
            core = word.rstrip(".,?!;:")
            if not core:
                continue
            rows.append(f"{core}|{sid}|{t:.2f}|{t + 0.3:.2f}|{word[len(core):]}|LC|[]|[]")
            t += 0.35
    return ("\n".join(rows) + "\n").encode()


def _html(turns, title) -> bytes:
    body = "".join(f"<p><strong>{who}</strong></p>" + "".join(f"<p>{p}</p>" for p in re.split(r"(?<=\.) ", text, 3))
                   for who, text in turns)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<nav><a href='/'>Home</a></nav><main><article><h1>{title}</h1>{body}</article></main>"
            "<footer>Copyright</footer></body></html>").encode()


def _blocks(turns, company) -> bytes:
    names = sorted({w for w, _ in turns if w != "Operator"})
    lines = [f"{company} Q3 2020 Earnings Call", "", "CORPORATE PARTICIPANTS", ""]
    for n in names[:3]:
        lines += [n, f"{company} - Executive", ""]
    lines += ["CONFERENCE CALL PARTICIPANTS", ""]
    for n in names[3:]:
        lines += [n, "Example Securities, Research Division - Analyst", ""]
    lines += ["PRESENTATION", ""]
    for i, (who, text) in enumerate(turns):
        if i == len(turns) // 2:
            lines += ["QUESTIONS AND ANSWERS", ""]
        lines += [who, f"{company} - Executive" if who in names[:3] else "", ""]
        words, line = text.split(), ""
        for w in words:                               # wrapped at 140 characters, as PDF text is
            if len(line) + len(w) + 1 > 140:
                lines.append(line)
                line = w
            else:
                line = f"{line} {w}".strip()
        lines += [line, ""]
    lines += ["DISCLAIMER", "", "The information is provided as is."]
    return "\n".join(lines).encode()


def _pdf(turns, title) -> bytes | None:
    try:
        import fpdf
    except ImportError:
        return None
    pdf = fpdf.FPDF(unit="pt", format=(612, 792))
    pdf.set_auto_page_break(True, margin=60)
    pdf.set_title(title)
    pdf.add_page()
    for who, text in turns:
        pdf.set_font("Helvetica", style="B", size=10)
        pdf.multi_cell(468, 12, who.encode("latin-1", "replace").decode("latin-1"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        pdf.multi_cell(468, 12, text.encode("latin-1", "replace").decode("latin-1"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(12)
    return bytes(pdf.output())


@functools.lru_cache(maxsize=None)
def seeds() -> tuple[Seed, ...]:
    """The real sample files, and files of the other layouts made from them in memory."""
    out = [Seed(f.name, f.read_bytes()) for f in sorted(SAMPLE.glob("*.json")) if not f.name.endswith(".meta.json")]
    out += [Seed(f.name, f.read_bytes()) for f in sorted(SAMPLE.glob("*.txt"))]
    turns = _sample_turns("cumulus-media-inc-2020-q3.json")
    short = [(w, " ".join(t.split()[:60])) for w, t in turns]          # derived files stay small: fast cases
    company = "Cumulus Media Inc"
    lines = "\n\n".join(f"{w}: {t}" for w, t in short)
    out += [
        Seed("cumulus-utterances.csv", _csv(short)),
        Seed("cumulus-utterances.tsv", _csv(short, "\t")),
        Seed("cumulus-utterances.jsonl", "\n".join(json.dumps({"speaker": w, "text": t}) for w, t in short).encode()),
        Seed("cumulus-utterances-list.json", json.dumps([{"speaker": w, "text": t} for w, t in short]).encode()),
        Seed("cumulus-record.json", json.dumps({"symbol": "CMLS", "quarter": 3, "year": 2020, "date": "2020-11-06",
                                                "content": "\n".join(f"{w}: {t}" for w, t in short)}).encode()),
        Seed("cumulus-tokens.nlp", _nlp(short)),
        Seed("cumulus-page.html", _html(short, f"{company} Q3 2020 Earnings Call Transcript")),
        Seed("cumulus-blocks.txt", _blocks(short, company)),
        Seed("cumulus-lines.txt", lines.encode()),
    ]
    pdf = _pdf(short[:8], f"{company} Q3 2020 Earnings Call")
    if pdf:
        out.append(Seed("cumulus-call.pdf", pdf))
    return tuple(out)


INVALID = [b"\x00", b"\x00\x00\x00", b"\xff", b"\xfe", b"\xc3", b"\xe2\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
           b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x1b[0m", b"\x07", b"\x08", b"\x7f", b"\r", b"\x0b", b"\x0c",
           "\u2028".encode(), "\u00a0".encode(), "\u200b".encode(), "\ufeff".encode(), b"\x85", b"\x81\x8d\x8f"]
STRUCT = [b"{", b"}", b"[", b"]", b'"', b",", b":", b"\n", b"\n\n", b"\t", b"|", b"<", b">", b"</", b"/>", b"=",
          b"'", b"\\", b"\\u", b";", b"#", b"*", b"-", b" - ", b"--", b"<p>", b"</p>", b"<div>", b"<!--", b"-->",
          b"<![CDATA[", b"&amp;", b"&#x0;", b"&#99999999;", b"obj", b"endobj", b"stream\n", b"endstream",
          b"<<", b">>", b"/Length 99999", b"xref", b"trailer", b"%%EOF"]
LABELS = [b"Operator", b"Operator:", b"John Smith:", b"Jane Roe - Chief Financial Officer:", b"Q - Sam Poe:",
          b"A - Jane Roe:", b"Unidentified Analyst", b"PRESENTATION", b"QUESTIONS AND ANSWERS",
          b"Questions and Answers:", b"CORPORATE PARTICIPANTS", b"CONFERENCE CALL PARTICIPANTS", b"DISCLAIMER",
          b"Executives", b"Analysts", b"Call Participants", b"EARNINGS CALL TRANSCRIPT 2020 - Q1", b"ALL TRANSCRIPTS",
          b"Duration: 45 minutes", b"Page 1 of 9", b"[Operator Instructions]",
          b"token|speaker|ts|endTs|punctuation|case|tags|wer_tags", b"speaker,text", b"speaker\ttext",
          b"<html>", b"<body>", b"<p><strong>Jane Roe</strong></p>", b"%PDF-1.4", b'{"turns": [',
          b'{"speaker": "A", "speech": "b"}', b'{"content": "', b'"prepared_remarks": [', b'"q_and_a": [',
          b"Welcome to the Example Corp Q3 2020 earnings call.", b"Thank you.", b"2020-11-06", b"Q3 2020"]
WORDS = [b"revenue", b"margin", b"quarter", b"guidance", b"thank", b"you", b"growth", b"the", b"we", b"and"]


def _unicode_text(rng: random.Random, n: int) -> bytes:
    ranges = [(0x20, 0x7e), (0xa0, 0x2ff), (0x370, 0x3ff), (0x400, 0x4ff), (0x590, 0x6ff), (0x2000, 0x206f),
              (0x3000, 0x30ff), (0x4e00, 0x4fff), (0xd800, 0xdfff), (0xfff0, 0xffff), (0x1f300, 0x1f6ff), (0, 0x1f)]
    chars = []
    for _ in range(n):
        lo, hi = rng.choice(ranges)
        chars.append(chr(rng.randint(lo, hi)))
    text = "".join(chars)
    enc = rng.choice(["utf-8", "utf-16", "utf-16-le", "cp1252", "latin-1"])
    return text.encode(enc, errors="surrogatepass" if enc.startswith("utf") else "replace")


def gen_random_bytes(rng: random.Random) -> Case:
    n = rng.choice([rng.randint(0, 64), rng.randint(64, 4096), rng.randint(64, 4096), rng.randint(4096, 65536)])
    mode = rng.choice(["uniform", "ascii", "structural", "tokens", "unicode"])
    if mode == "uniform":
        data = rng.randbytes(n)
    elif mode == "ascii":
        data = bytes(rng.choice(b"\t\n\r" + bytes(range(32, 127))) for _ in range(n))
    elif mode == "structural":
        data = b"".join(rng.choice(STRUCT + WORDS + [b" "]) for _ in range(max(1, n // 3)))
    elif mode == "tokens":
        data = b"".join(rng.choice(LABELS + WORDS + STRUCT + [b"\n", b"\n\n", b" "]) for _ in range(max(1, n // 6)))
    else:
        data = _unicode_text(rng, max(1, n // 2))
    if rng.random() < 0.15:
        data = rng.choice([b"%PDF-1.4\n", b"<html><body>", b"\xef\xbb\xbf", b"\xff\xfe", b"{", b"["]) + data
    return Case("random-bytes", "random" + rng.choice(SUFFIXES), data, note=mode)


def _name_for(rng: random.Random, seed: Seed, other: Seed | None = None) -> str:
    r = rng.random()
    suffix = seed.suffix if r < 0.6 else (other.suffix if other and r < 0.75 else rng.choice(SUFFIXES))
    return Path(seed.name).stem + suffix


def gen_truncated(rng: random.Random) -> Case:
    s = rng.choice(seeds())
    n = len(s.data)
    cut = rng.choice([rng.randint(0, n), rng.randint(0, min(n, 512)), rng.randint(max(0, n - 512), n)])
    mode = rng.choice(["head", "head", "tail", "middle"])
    if mode == "head":
        data = s.data[:cut]
    elif mode == "tail":
        data = s.data[cut:]
    else:
        end = rng.randint(cut, n)
        data = s.data[:cut] + s.data[end:]
    return Case("truncated", _name_for(rng, s), data, note=f"{s.name} {mode} at {cut}")


def gen_spliced(rng: random.Random) -> Case:
    a, b = rng.choice(seeds()), rng.choice(seeds())
    i, j = rng.randint(0, len(a.data)), rng.randint(0, len(b.data))
    data = a.data[:i] + b.data[j:]
    if rng.random() < 0.2:                      # a third piece: a's tail again (one file inside another)
        data += a.data[rng.randint(0, len(a.data)):]
    return Case("spliced", _name_for(rng, a, b), data, note=f"{a.name}[:{i}] + {b.name}[{j}:]")


MUTATIONS = ("flip", "byte", "insert", "delete", "duplicate", "swap", "label", "newline")


def mutate(data: bytes, ops) -> bytes:
    """Apply mutations: each (position, op, payload); positions are taken modulo the current length."""
    buf = bytearray(data)
    for pos, op, payload in ops:
        n = len(buf)
        p = pos % (n + 1)
        if op == "flip" and n:
            buf[p % n] ^= 1 << (pos % 8)
        elif op == "byte" and n:
            buf[p % n] = payload[0] if payload else 0
        elif op in ("insert", "label"):
            buf[p:p] = payload
        elif op == "newline":
            buf[p:p] = b"\n" if not payload else b"\n" * (1 + payload[0] % 3)
        elif op == "delete":
            del buf[p:p + 1 + (payload[0] if payload else 0) * 4]
        elif op == "duplicate" and n:
            k = 1 + (payload[0] if payload else 7) * 16
            buf[p:p] = buf[p:p + k]
        elif op == "swap" and n:
            k = 1 + (payload[0] if payload else 3) * 8
            q = (pos * 7919) % n
            a, b = bytes(buf[p:p + k]), bytes(buf[q:q + k])
            if p + k <= q or q + k <= p:
                buf[p:p + len(a)], buf[q:q + len(b)] = b, a
    return bytes(buf)


def _payload(rng: random.Random, op: str) -> bytes:
    if op == "label":
        return rng.choice(LABELS) + rng.choice([b"\n", b"\n\n", b" ", b""])
    if op == "insert":
        return rng.choice([rng.choice(INVALID), rng.choice(STRUCT), rng.randbytes(rng.randint(1, 8))])
    return rng.randbytes(1)


def gen_mutated(rng: random.Random) -> Case:
    s = rng.choice(seeds())
    data = s.data
    note = s.name
    if rng.random() < 0.1 and not s.name.endswith(".pdf"):
        enc = rng.choice(["utf-16", "utf-16-le", "utf-16-be", "cp1252"])
        bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(enc, b"")
        data = bom + data.decode("utf-8", "replace").encode(enc, "replace")
        note += f" as {enc}"
    ops = []
    for _ in range(rng.choice([1, 2, 4, 8, 16, 32])):
        op = rng.choice(MUTATIONS)
        ops.append((rng.randint(0, 2 ** 31), op, _payload(rng, op)))
    return Case("mutated", _name_for(rng, s), mutate(data, ops), note=f"{note}, {len(ops)} mutations")


def token_table(n: int, speakers: int = 50) -> bytes:
    """A token table of n one-word turns (the speaker changes at every token): about 19 bytes a turn."""
    return b"token|speaker|ts|endTs|punctuation|case|tags|wer_tags\n" + \
        b"".join(b"w|%d|0|1||LC|[]|[]\n" % (i % speakers) for i in range(n))


def huge_cases(size: int = 3_000_000) -> list[Case]:
    """Huge lines (no newline for `size` bytes), huge turns, huge fields, and very many lines."""
    words = b"word " * (size // 5)
    text = words.decode()
    one_line = [
        ("a-run.txt", b"A" * size), ("a-run.html", b"A" * size), ("a-run.csv", b"A" * size),
        ("one-label-huge-turn.txt", b"Operator: " + words),
        ("label-then-huge-line.txt", b"Operator\n\n" + words + b"\n\nJane Roe\n\nThank you.\n"),
        ("labels-on-one-line.txt", b"John Smith: hello. " * (size // 19)),
        ("huge-speaker-name.txt", b"X" * size + b":\nhello there\n\nJane Roe: thanks\n"),
        ("huge-speech.json", json.dumps({"ticker": "BIG", "fiscal_year": 2021, "fiscal_quarter": 1, "turns": [
            {"speaker": "Operator", "speech": "Welcome."}, {"speaker": "Jane Roe", "speech": text}]}).encode()),
        ("huge-key.json", b'{"' + b"k" * size + b'": 1, "turns": []}'),
        ("huge-field.csv", b"speaker,text\nOperator,\"" + words + b"\"\nJane Roe,thanks\n"),
        ("unterminated-quote.csv", b"speaker,text\nOperator,\"" + words),
        ("huge-header.csv", b"speaker,text," + b"c," * (size // 2) + b"\nOperator,hi\n"),
        ("huge-line.jsonl", json.dumps({"speaker": "Operator", "text": text}).encode() + b"\n"
                            + b'{"speaker": "Jane Roe", "text": "hi"}\n'),
        ("huge-paragraph.html", b"<html><body><p><b>Operator</b></p><p>" + words + b"</p></body></html>"),
        ("huge-attribute.html", b"<html><body><p title='" + b"a" * size + b"'>Operator: hi</p></body></html>"),
        ("huge-token.nlp", b"token|speaker|ts|endTs|punctuation|case|tags|wer_tags\n" + b"w" * size + b"|0|0|1|.|LC|[]|[]\n"),
    ]
    many_lines = [
        ("many-label-lines.txt", b"A:\n" * (size // 3)),
        ("many-blank-lines.txt", b"Operator\n" + b"\n" * size + b"Thank you.\n"),
        ("many-tokens.nlp", token_table(size // 20)),
    ]
    return [Case("huge", n, d, note=f"{len(d)} bytes") for n, d in one_line + many_lines]


def nesting_cases(depth: int = 100_000) -> list[Case]:
    """Deep nesting: JSON arrays/objects, HTML elements, CSV with very many columns or quotes, deep PDF arrays."""
    d = depth
    cases = [
        ("open-arrays.json", b"[" * d), ("closed-arrays.json", b"[" * d + b"]" * d),
        ("objects.json", b'{"a":' * d + b"1" + b"}" * d),
        ("deep-turns.json", b'{"turns": [{"speaker": "A", "speech": ' + b"[" * d + b"]" * d + b"}]}"),
        ("deep-content.json", b'{"content": ' + b'{"x":' * d + b'"y"' + b"}" * d + b"}"),
        ("deep-line.jsonl", b'{"speaker": "A", "text": "b"}\n' + b'{"a":' * d + b"1" + b"}" * d + b"\n"),
        ("deep-list.jsonl", b"[" * d + b"\n"),
        ("arrays.txt", b"[" * d), ("arrays.csv", b"[" * d),
        ("divs.html", b"<html><body>" + b"<div>" * d + b"Operator: hi" + b"</div>" * d + b"</body></html>"),
        ("open-divs.html", b"<div>" * d + b"Jane Roe: hello"),
        ("inline.html", b"<p>" + b"<b><i>" * (d // 2) + b"Operator" + b"</i></b>" * (d // 2) + b"</p>"),
        ("tables.html", b"<table><tr><td>" * (d // 3) + b"A: b"),
        ("divs.txt", b"<div>" * d),
        ("many-columns.csv", b"speaker,text," + b",".join(b"c%d" % i for i in range(d)) + b"\n"
                             + b"Operator,hi," + b"x," * d + b"\n"),
        ("many-columns.tsv", b"speaker\ttext" + b"\tc" * d + b"\nOperator\thi" + b"\tx" * d + b"\n"),
        ("quotes.csv", b"speaker,text\n" + b'"' * d + b"\n"),
        ("pdf-arrays.pdf", b"%PDF-1.4\n1 0 obj\n" + b"[" * d + b"]" * d + b"\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF"),
        ("pdf-dicts.pdf", b"%PDF-1.4\n1 0 obj\n" + b"<<" * d + b">>" * d + b"\nendobj\n%%EOF"),
        ("quoted.txt", b"> " * d + b"Operator: hi\n"),
        ("parens.txt", b"(" * d + b"Operator: hi"),
    ]
    return [Case("nesting", n, data, note=f"depth {d}") for n, data in cases]


def gen_huge(rng: random.Random) -> Case:
    size = rng.choice([1, 2, 3, 5]) * 1_000_000
    case = rng.choice(huge_cases(size))
    name = case.name if rng.random() < 0.7 else Path(case.name).stem + rng.choice(SUFFIXES)
    return dataclasses.replace(case, name=name)


def gen_nesting(rng: random.Random) -> Case:
    case = rng.choice(nesting_cases(rng.choice([1_000, 10_000, 100_000])))
    name = case.name if rng.random() < 0.7 else Path(case.name).stem + rng.choice(SUFFIXES)
    return dataclasses.replace(case, name=name)


def labels_only_cases() -> list[Case]:
    return [Case("labels-only", n, d) for n, d in [
        ("operator-only.txt", b"Operator\n"), ("operators.txt", b"Operator\n\n" * 500),
        ("colons.txt", b"John Smith:\nJane Roe:\n" * 200), ("blocks.txt", b"Jane Roe\nAcme Corp - CFO\n\n" * 300),
        ("headings.txt", b"PRESENTATION\n\nQUESTIONS AND ANSWERS\n\nDISCLAIMER\n"),
        ("participants.txt", b"CORPORATE PARTICIPANTS\n\nJane Roe\nAcme - CEO\n\nPRESENTATION\n\nJane Roe\n\n"),
        ("header.csv", b"speaker,text\n"), ("speakers.csv", b"speaker,text\n" + b"Operator,\n" * 100),
        ("header.nlp", b"token|speaker|ts|endTs|punctuation|case|tags|wer_tags\n"),
        ("speakers.jsonl", b'{"speaker": "Operator"}\n' * 50),
        ("no-speech.json", json.dumps({"turns": [{"speaker": "Operator", "speech": ""}] * 20}).encode()),
        ("labels.html", b"<html><body>" + b"<p><strong>Operator</strong></p>" * 100 + b"</body></html>"),
        ("seed-labels.txt", b"EARNINGS CALL TRANSCRIPT 2020 - Q1\nOperator\n\nNicole Shan Investor Relations Officer\n"
                            b"\nALL TRANSCRIPTS\n"),
    ]]


def gen_labels_only(rng: random.Random) -> Case:
    if rng.random() < 0.4:
        case = rng.choice(labels_only_cases())
        return dataclasses.replace(case, name=Path(case.name).stem + rng.choice(SUFFIXES)) if rng.random() < 0.3 \
            else case
    sep = rng.choice([b"\n", b"\n\n", b"\r\n", b" ", b"\n\n\n"])
    data = sep.join(rng.choice(LABELS[:21] + [b"Jane Roe", b"Sam Poe - Example Securities"])
                    for _ in range(rng.choice([1, 3, 10, 100, 2000])))
    return Case("labels-only", "labels" + rng.choice(SUFFIXES), data)


BLANKS = (b"", b" ", b"\n", b"\r\n" * 100, b" \t\n\x0c\x0b\r" * 50, b"\xef\xbb\xbf", b"\xef\xbb\xbf  \n", b"\xff\xfe",
          b"\xff\xfe \x00\n\x00", b"\xfe\xff\x00 ", b"\x00" * 100, "\u00a0\u2003\u3000\u200b\ufeff\n".encode())


def whitespace_cases() -> list[Case]:
    """Empty, whitespace-only, BOM-only and NUL-only files, under every suffix."""
    return [Case("whitespace", "blank" + suffix, d) for suffix in SUFFIXES for d in BLANKS]


def gen_whitespace(rng: random.Random) -> Case:
    return rng.choice(whitespace_cases())


def gen_sidecar(rng: random.Random) -> Case:
    """A readable file with a broken NAME.meta.json beside it (or, for a token table, a broken speaker-metadata.csv)."""
    s = rng.choice([x for x in seeds() if x.suffix in (".txt", ".json", ".nlp")])
    if s.suffix == ".nlp":
        good = b"file_id,speaker_id,speaker_name\ncumulus-tokens,0,Operator\ncumulus-tokens,1,Collin Jones\n"
        extra_name = "speaker-metadata.csv"
    else:
        good = b'{"ticker": "KC", "company": "Kingsoft Cloud", "year": 2020, "quarter": "Q1", "date": "2020-05-27"}'
        extra_name = Path(s.name).stem + ".meta.json"
    ops = [(rng.randint(0, 2 ** 31), op, _payload(rng, op)) for op in rng.choices(MUTATIONS, k=rng.randint(1, 6))]
    side = rng.choice([mutate(good, ops), mutate(good, ops), b"[" * 50_000, b'{"ticker": ' + b"[" * 50_000,
                       b"\xff\xfe\x00", b"", b"null", b'{"year": 1e999}', b'{"quarter": []}', b'{"ticker": {}}',
                       b'{"date": "2020-13-45"}', b'{"company": "' + b"x" * 100_000 + b'"}', rng.randbytes(64)])
    return Case("sidecar", s.name, s.data, extra={extra_name: side}, note=f"{s.name} + {extra_name}")


FAMILIES = {"random-bytes": (gen_random_bytes, 2.0), "truncated": (gen_truncated, 2.0),
            "spliced": (gen_spliced, 1.5), "mutated": (gen_mutated, 3.0), "huge": (gen_huge, 0.15),
            "nesting": (gen_nesting, 0.5), "labels-only": (gen_labels_only, 0.7), "whitespace": (gen_whitespace, 0.2),
            "sidecar": (gen_sidecar, 0.6)}


def make_case(seed: int, k: int, families=None) -> Case:
    rng = random.Random(f"{seed}:{k}")
    names = list(families or FAMILIES)
    family = rng.choices(names, weights=[FAMILIES[n][1] for n in names])[0]
    case = FAMILIES[family][0](rng)
    case.id = f"{seed}:{k}"
    return case


# ---- checks --------------------------------------------------------------------------------------------------

@dataclass
class Finding:
    kind: str                   # crash | hang | half-stored | invalid
    step: str                   # detect, a reader's NAME, declared-layout, inspect, ingest or ingest-check
    error: str
    trace: str = ""
    seconds: float = 0.0

    def signature(self) -> str:
        """kind | exception | where: for a crash the innermost frame in the archive package (one defect,
        whichever step met it), for a hang the reader's own frame it was in (the innermost line varies); a crash
        the service caught has no traceback, so its step stands in."""
        frames = re.findall(r'File "([^"]+)", line (\d+)', self.trace)
        ours = [f"{f[f.rindex('/archive/') + 1:]}:{n}" for f, n in frames if "/archive/" in f] or \
               [f"{Path(f).name}:{n}" for f, n in frames[-1:]]
        if self.kind == "hang":         # faulthandler's dump: most recent call first
            readers = [x for x in reversed(ours) if x.startswith("archive/formats/") and "__init__" not in x]
            ours = readers[:1] or ours[-1:]
        where = ours[-1] if ours else f"step {self.step}"
        return "|".join([self.kind, self.error.split(":")[0].split(" (")[0], where])


class Hang(BaseException):
    """Raised by the in-process time bound (tests); a BaseException so no reader's `except Exception` hides it."""


@functools.lru_cache(maxsize=None)
def _layout():
    from archive.formats.layout import parse_layout
    return parse_layout(DECLARED, "fuzz layout")


def read_steps() -> list[str]:
    return ["detect", *(r.NAME for r in formats.readers()), "declared-layout"]


def steps() -> list[str]:
    return [*read_steps(), "inspect", "ingest"]


def _read(path: Path, data: bytes, step: str):
    if step == "detect":
        return formats.read_file(path, data=data)
    if step == "declared-layout":
        return formats.read_file(path, data=data, layout=_layout())
    return formats.read_file(path, data=data, format=step)


def _reading_problem(reading) -> str | None:
    turns = reading.transcript.turns
    if not turns:
        return "a transcript with no turns"
    for i, t in enumerate(turns):
        if t.position != i or not isinstance(t.text, str) or not t.text.strip() or not t.speaker.strip():
            return f"turn {i} is malformed: {t!r:.200}"
    return None


def check_read(path: Path, data: bytes, step: str, *, raise_errors: bool = False) -> tuple[str, Finding | None]:
    """One read: ("read", None), ("refused", None), or a finding."""
    t0 = time.perf_counter()
    try:
        reading = _read(path, data, step)
    except InputFileError as e:
        if not (e.message and str(e)):
            return "invalid", Finding("invalid", step, "InputFileError without a message")
        return "refused", None
    except Hang:
        raise
    except Exception as e:      # noqa: BLE001 (RecursionError and MemoryError included: a crash of the reader)
        if raise_errors:
            e.add_note(f"fuzz: reading {path.name} ({len(data)} bytes) with step {step!r}")
            raise
        return "crash", Finding("crash", step, f"{type(e).__name__}: {str(e)[:300]}", traceback.format_exc(limit=-12),
                                time.perf_counter() - t0)
    problem = _reading_problem(reading)
    return ("invalid", Finding("invalid", step, problem)) if problem else ("read", None)


def check_inspect(archive, path: Path, *, raise_errors: bool = False) -> tuple[str, Finding | None]:
    """`python -m archive inspect FILE` (text and --json): a report for any file, read or not."""
    from archive.errors import ArchiveError
    from archive.formats.report import render
    t0 = time.perf_counter()
    try:
        report = archive.inspect(path)
        render(report)
        json.dumps(report)
    except ArchiveError as e:
        return "refused", None if e.message else Finding("invalid", "inspect", f"{type(e).__name__} without a message")
    except Hang:
        raise
    except Exception as e:      # noqa: BLE001
        if raise_errors:
            e.add_note(f"fuzz: inspecting {path.name}")
            raise
        return "crash", Finding("crash", "inspect", f"{type(e).__name__}: {str(e)[:300]}",
                                traceback.format_exc(limit=-12), time.perf_counter() - t0)
    return ("read" if report.get("ok") else "refused"), None


def counts(store) -> tuple:
    s = store.stats()
    return s["calls"], s["turns"], s["chunks"], s["files"]


def whole(store) -> list[str]:
    """What is wrong with the calls in a store: every call must be stored whole (its row's n_turns and n_chunks
    are its stored turns and chunks, numbered from 0, every turn has chunks, a file row), and nothing may be
    stored outside a call."""
    problems, totals = [], [0, 0, 0, 0]
    for row in store.calls():
        cid = row["call_id"]
        call, turns, chunks = store.call(cid), store.turns(cid), store.chunks(cid)
        totals = [totals[0] + 1, totals[1] + len(turns), totals[2] + len(chunks), totals[3] + len(call["files"])]
        if call["n_turns"] != len(turns) or not turns:
            problems.append(f"{cid}: n_turns {call['n_turns']}, {len(turns)} turns stored")
        if call["n_chunks"] != len(chunks):
            problems.append(f"{cid}: n_chunks {call['n_chunks']}, {len(chunks)} chunks stored")
        if [t["position"] for t in turns] != list(range(len(turns))):
            problems.append(f"{cid}: turn positions are not 0..n-1")
        missing = {t["turn_id"] for t in turns} - {c["turn_id"] for c in chunks}
        if missing:
            problems.append(f"{cid}: {len(missing)} turns without chunks, e.g. {sorted(missing)[0]}")
        if not call["files"]:
            problems.append(f"{cid}: no file row")
    if list(counts(store)) != totals:
        problems.append(f"rows outside the calls: the store holds {counts(store)}, its calls {tuple(totals)}")
    return problems


def empty(store) -> bool:
    """Delete every call; True when nothing is left."""
    for row in store.calls():
        store.delete_call(row["call_id"])
    return counts(store) == (0, 0, 0, 0)


def check_ingest(archive, path: Path, on_check=None) -> tuple[str, list[Finding]]:
    """Ingest one file into an empty archive; the call is stored whole or not at all. The archive is emptied
    again afterwards. Returns the outcome's status and the findings. on_check: called between the ingest and the
    checks (the worker starts the bound of a step "ingest-check" there: the harness's own time is not the ingest's)."""
    store = archive.store
    before = counts(store)
    if before != (0, 0, 0, 0) and not empty(store):
        return "dirty", [Finding("half-stored", "ingest", f"the archive could not be emptied: {counts(store)}")]
    outcome = archive.ingest_file(path)
    if on_check:
        on_check()
    msg = outcome.message or ""
    out = []
    caught = re.search(r"could not be read \((\w+)|too complex to read \((\w+)\)", msg)
    if caught:                  # the service's safety net caught an exception other than InputFileError
        out.append(Finding("crash", "ingest", f"{caught[1] or caught[2]}: caught by ingest_file: "
                                              f"{msg.split(': ', 1)[-1][:400]}"))
    after, problems = counts(store), whole(store)
    if outcome.status in STORED:
        if after[:3] != (1, outcome.turns, outcome.chunks) or store.call(outcome.call_id) is None:
            problems.append(f"reported {outcome.call_id} with {outcome.turns} turns and {outcome.chunks} chunks; the "
                            f"store holds {after[0]} calls, {after[1]} turns, {after[2]} chunks")
    elif outcome.status == "failed":
        if after != (0, 0, 0, 0):
            problems.append(f"failed ({msg[:200]}) but the store holds {after}")
    else:
        out.append(Finding("invalid", "ingest", f"status {outcome.status!r} in an empty archive: {msg[:200]}"))
    if problems:
        out.append(Finding("half-stored", "ingest", "; ".join(problems)))
    if not empty(store):
        out.append(Finding("half-stored", "ingest", f"rows left after deleting every call: {counts(store)}"))
    return outcome.status, out


def write_case(folder: Path, case: Case) -> Path:
    """The case's files in an empty folder (deep enough that no metadata file above it is found)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, data in case.extra.items():
        (folder / name).write_bytes(data)
    path = folder / case.name
    path.write_bytes(case.data)
    return path


def run_case(case: Case, archive, folder: Path, *, only=None, raise_errors: bool = False, bound: float | None = None,
             on_step=None) -> tuple[list[Finding], dict, dict]:
    """Every step on one case; returns the findings, each step's result (read | refused | crash | invalid, or the
    ingest status) and each step's seconds. bound: an in-process time limit per step (signal timer; tests),
    raising Hang."""
    path = write_case(folder, case)
    findings, results, seconds = [], {}, {}
    for step in only or steps():
        if on_step:
            on_step(step)
        t0 = time.perf_counter()
        with time_bound(bound, step, case):
            if step == "ingest":
                results[step], found = check_ingest(archive, path, (lambda: on_step("ingest-check")) if on_step
                                                    else None)
                findings += found
            elif step == "inspect":
                results[step], f = check_inspect(archive, path, raise_errors=raise_errors)
                findings += [f] if f else []
            else:
                results[step], f = check_read(path, case.data, step, raise_errors=raise_errors)
                findings += [f] if f else []
        seconds[step] = time.perf_counter() - t0
    said = {step: results.get(step) for step in ("detect", "inspect", "ingest")}
    settled = said["detect"] in ("read", "refused") and said["inspect"] in ("read", "refused") and \
        said["ingest"] in (*STORED, "failed") and not findings
    if settled and len({said["detect"] == "read", said["inspect"] == "read", said["ingest"] in STORED}) > 1:
        findings.append(Finding("invalid", "ingest", f"the steps disagree on whether the file is a transcript: "
                                                     f"{said}"))
    return findings, results, seconds


class time_bound:
    """`with time_bound(seconds, step, case):` raises Hang when the block runs longer (SIGALRM; main thread).
    A signal that lands in a finalizer or a gc callback is swallowed ("exception ignored"): the collector is off
    inside the block (reference counting still frees), the timer fires again every second, and a block that ends
    after its bound without a Hang raises one on exit."""

    def __init__(self, bound, step, case):
        self.bound, self.step, self.case = bound, step, case
        self.fired = False

    def _hang(self) -> Hang:
        return Hang(f"step {self.step!r} on {self.case.name} ({len(self.case.data)} bytes, {self.case.note}) ran "
                    f"past {self.bound} s")

    def __enter__(self):
        if self.bound:
            def fire(*_):
                self.fired = True
                raise self._hang()
            self.old = signal.signal(signal.SIGALRM, fire)
            self.collecting = gc.isenabled()
            gc.disable()
            signal.setitimer(signal.ITIMER_REAL, self.bound, 1.0)
        return self

    def __exit__(self, kind, value, tb):
        if self.bound:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)
            if self.collecting:
                gc.enable()
            if self.fired and kind is None:
                raise self._hang()


# ---- the worker process and the run ---------------------------------------------------------------------------

def _worker(conn, home: str, memory_mb: int, bound: float):
    import resource
    from archive.config import Settings
    from archive.service import Archive
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import logging
    logging.getLogger("pdfminer").setLevel(logging.ERROR)     # its warnings on broken PDFs are not findings
    import faulthandler
    archive = Archive.open(Settings(home=Path(home) / "store", encoder="hash"))
    folder = Path(home) / "cases" / "a" / "b" / "c" / "d"
    stacks = open(Path(home) / "hang-stack.txt", "w")       # where a step was when it neared the bound

    def on_step(step):
        faulthandler.cancel_dump_traceback_later()
        stacks.seek(0)
        stacks.truncate()
        faulthandler.dump_traceback_later(bound * 0.9, file=stacks)
        conn.send(("step", step))

    while True:
        msg = conn.recv()
        if msg is None:
            break
        case, only = msg
        findings, results, seconds = run_case(case, archive, folder, only=only, on_step=on_step)
        faulthandler.cancel_dump_traceback_later()
        conn.send(("done", [dataclasses.asdict(f) for f in findings], results, seconds))
    archive.close()


class Runner:
    """Runs cases in a worker process, each step bounded; replaces the worker after a hang or a death."""

    def __init__(self, bound: float, memory_mb: int):
        import multiprocessing
        self.ctx = multiprocessing.get_context("fork")
        self.bound, self.memory_mb = bound, memory_mb
        self.home = Path(tempfile.mkdtemp(prefix="fuzz-readers-"))
        self.proc = self.conn = None
        self.restarts = 0

    def _start(self):
        self.restarts += self.proc is not None
        work = self.home / f"w{self.restarts}"
        parent, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_worker, args=(child, str(work), self.memory_mb, self.bound), daemon=True)
        self.proc.start()
        child.close()
        self.conn = parent

    def _kill(self) -> list[str]:
        """Kill the worker; what is wrong with the store it leaves (a call cut off mid-write must not be there)."""
        problems = []
        if self.proc is not None:
            self.proc.kill()
            self.proc.join(5)
            self.conn.close()
            work = self.home / f"w{self.restarts}"
            if (work / "store" / "archive.sqlite3").exists():
                from archive.store import Store
                store = Store(work / "store" / "archive.sqlite3")
                try:
                    problems = whole(store)
                finally:
                    store.close()
            shutil.rmtree(work, ignore_errors=True)
            self.proc = self.conn = None
        return problems

    def run(self, case: Case, only=None) -> tuple[list[Finding], dict, dict]:
        """The findings, results and seconds of each step (see run_case), a hang or the worker's death a finding."""
        if self.proc is None or not self.proc.is_alive():
            if self.proc is not None:
                self._kill()
            self._start()
        step, t0, seconds, results = "start", time.perf_counter(), {}, {}
        try:
            self.conn.send((case, only))
            while True:
                if not self.conn.poll(self.bound):
                    took = time.perf_counter() - t0
                    try:
                        stack = (self.home / f"w{self.restarts}" / "hang-stack.txt").read_text(errors="replace")
                    except OSError:
                        stack = ""
                    problems = self._kill()
                    results[step] = "hang"
                    found = [Finding("hang", step, f"ran past the bound of {self.bound:g} s", stack, took)]
                    if problems:
                        found.append(Finding("half-stored", step, "killed mid-step: " + "; ".join(problems)))
                    return found, results, {**seconds, step: took}
                kind, *rest = self.conn.recv()
                now = time.perf_counter()
                if kind == "step":
                    if step != "start":
                        seconds[step] = now - t0
                    step, t0 = rest[0], now
                else:               # the seconds as measured here: the worker's would count the checks in
                    seconds[step] = now - t0
                    return [Finding(**f) for f in rest[0]], rest[1], seconds
        except (EOFError, BrokenPipeError, ConnectionResetError, OSError):
            self.proc.join(5)
            code = self.proc.exitcode
            problems = self._kill()
            why = f"signal {signal.Signals(-code).name}" if code and code < 0 else f"exit status {code}"
            results[step] = "crash"
            found = [Finding("crash", step, f"WorkerDied: the worker process died ({why})")]
            if problems:
                found.append(Finding("half-stored", step, "after the worker died: " + "; ".join(problems)))
            return found, results, seconds

    def close(self):
        if self.proc is not None and self.proc.is_alive():
            try:
                self.conn.send(None)
                self.proc.join(5)
            except OSError:
                pass
        self._kill()
        shutil.rmtree(self.home, ignore_errors=True)


def reduce_case(runner: Runner, case: Case, finding: Finding, budget_s: float) -> Case:
    """Delete byte ranges (halving their size) from the file and from each file beside it while the same
    signature still shows in the same step; at most budget_s seconds."""
    want = finding.signature()
    deadline = time.perf_counter() + budget_s

    def still(c: Case) -> bool:
        found, _, _ = runner.run(c, only=[finding.step])
        return any(f.signature() == want for f in found)

    def shrink(c: Case, get, put) -> Case:
        data = get(c)
        size = max(1, len(data) // 2)
        while size >= 1 and data and time.perf_counter() < deadline:
            i, shrunk = 0, False
            while i < len(data) and time.perf_counter() < deadline:
                candidate = data[:i] + data[i + size:]
                if still(put(c, candidate)):
                    data, shrunk = candidate, True
                else:
                    i += size
            if not shrunk:
                size //= 2
        return put(c, data)

    small = shrink(case, lambda c: c.data, lambda c, d: dataclasses.replace(c, data=d))
    for name in case.extra:
        small = shrink(small, lambda c: c.extra[name],
                       lambda c, d: dataclasses.replace(c, extra={**c.extra, name: d}))
    sizes = lambda c: "+".join(str(len(d)) for d in (c.data, *c.extra.values()))
    return dataclasses.replace(small, note=case.note + f"; reduced from {sizes(case)} to {sizes(small)} bytes")


def _size(case: Case) -> int:
    return len(case.data) + sum(map(len, case.extra.values()))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-")[:80]


def save(out: Path, case: Case, finding: Finding) -> Path:
    sig = finding.signature()
    what = sig.split("|")[1] if finding.kind == "crash" else Path(sig.split("|")[2]).name
    folder = out / f"{finding.kind}-{_slug(what)}-{hashlib.sha1(sig.encode()).hexdigest()[:8]}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / case.name).write_bytes(case.data)
    for name, data in case.extra.items():
        (folder / name).write_bytes(data)
    (folder / "case.json").write_text(json.dumps({
        "case": case.id, "family": case.family, "file": case.name, "bytes": len(case.data), "note": case.note,
        "extra": sorted(case.extra), "finding": dataclasses.asdict(finding), "signature": sig,
        "head": case.data[:400].decode("latin-1")}, indent=1))
    return folder


def replay(path: Path, bound: float) -> int:
    """Run every step on one saved file (a case.json folder or a plain file) and print what it finds."""
    if path.name == "case.json":
        note = json.loads(path.read_text())
        folder = path.parent
        case = Case(note["family"], note["file"], (folder / note["file"]).read_bytes(),
                    {n: (folder / n).read_bytes() for n in note["extra"]}, note["note"], note["case"])
    else:
        case = Case("replay", path.name, path.read_bytes(), id=str(path))
    runner = Runner(bound, 4096)
    try:
        findings, results, seconds = runner.run(case)
    finally:
        runner.close()
    print(f"{case.name}: {len(case.data)} bytes")
    for step, result in results.items():
        print(f"  {step:16} {result:9} {seconds.get(step, 0):.2f} s")
    for f in findings:
        print(f"  {f.kind} in {f.step}: {f.error}\n{f.trace}")
    print("  no findings" if not findings else f"  {len(findings)} findings")
    return 1 if findings else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Fuzz every transcript reader; report crashes, hangs and half-stored "
                                             "calls.", formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--cases", type=int, default=None, help="stop after this many cases (default: 2000 unless "
                                                            "--seconds is given)")
    ap.add_argument("--seconds", type=float, default=None, help="stop after this many seconds")
    ap.add_argument("--seed", type=int, default=1, help="seed of the run (case k is made from seed and k alone)")
    ap.add_argument("--bound", type=float, default=BOUND_S, help="seconds one step may take before it is a hang")
    ap.add_argument("--family", action="append", choices=sorted(FAMILIES), help="only these families (repeatable)")
    ap.add_argument("--memory-mb", type=int, default=4096, help="address-space limit of the worker (0: none)")
    ap.add_argument("--out", type=Path, default=Path("/tmp/fuzz-findings"), help="folder for reproducers")
    ap.add_argument("--reduce-seconds", type=float, default=30.0, help="time to shrink each new crash's reproducer")
    ap.add_argument("--no-reduce", action="store_true", help="save reproducers as found")
    ap.add_argument("--replay", type=Path, help="run every step on one saved file (or case.json) and exit")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    args = ap.parse_args(argv)
    if args.replay:
        return replay(args.replay, args.bound)
    limit = args.cases if args.cases is not None else (None if args.seconds else 2000)
    seeds()                                                   # built once, before the worker forks
    runner = Runner(args.bound, args.memory_mb)
    args.out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    families, tally, findings = {}, {}, {}
    slowest: list[tuple[float, str, str, str]] = []
    k = 0
    try:
        while (limit is None or k < limit) and (args.seconds is None or time.perf_counter() - t_start < args.seconds):
            case = make_case(args.seed, k, args.family)
            k += 1
            families[case.family] = families.get(case.family, 0) + 1
            found, results, seconds = runner.run(case)
            for step, result in results.items():
                tally.setdefault(step, {}).setdefault(result, 0)
                tally[step][result] += 1
            for step, s in seconds.items():
                slowest.append((s, step, case.id, f"{case.family} {case.name} ({len(case.data)} bytes)"))
            slowest = sorted(slowest, reverse=True)[:8]
            for f in found:
                sig = f.signature()
                entry = findings.setdefault(sig, {"signature": sig, "kind": f.kind, "error": f.error, "count": 0,
                                                  "steps": [], "first_case": case.id, "bytes": None, "saved": None})
                entry["count"] += 1
                if f.step not in entry["steps"]:
                    entry["steps"].append(f.step)
                if entry["bytes"] is None or _size(case) < entry["bytes"]:
                    small = case
                    if f.kind == "crash" and entry["bytes"] is None and not args.no_reduce:
                        small = reduce_case(runner, case, f, args.reduce_seconds)
                    entry["bytes"], entry["saved"] = _size(small), str(save(args.out, small, f))
                if not args.quiet:
                    print(f"  [{case.id}] {f.kind} in {f.step}: {f.error[:160]} ({case.family} {case.name}, "
                          f"{len(case.data)} bytes)", file=sys.stderr)
            if not args.quiet and k % 250 == 0:
                print(f"  {k} cases, {time.perf_counter() - t_start:.0f} s, {len(findings)} signatures",
                      file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        runner.close()
    elapsed = time.perf_counter() - t_start
    kinds = {kind: sum(e["count"] for e in findings.values() if e["kind"] == kind)
             for kind in ("crash", "hang", "half-stored", "invalid")}
    summary = {"cases": k, "seconds": round(elapsed, 1), "cases_per_second": round(k / elapsed, 2) if elapsed else 0,
               "seed": args.seed, "bound_s": args.bound, "families": families, "results": tally, **kinds,
               "worker_restarts": runner.restarts, "findings": list(findings.values()), "out": str(args.out),
               "slowest_steps": [{"seconds": round(s, 2), "step": st, "case": c, "what": w} for s, st, c, w in slowest]}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        print(f"{k} cases in {elapsed:.1f} s ({summary['cases_per_second']} cases/s), seed {args.seed}, "
              f"each of {len(steps())} steps bounded at {args.bound:g} s")
        print("  families: " + ", ".join(f"{n} {c}" for n, c in sorted(families.items())))
        for step, counts in tally.items():
            print(f"  {step:16} " + ", ".join(f"{r} {c}" for r, c in sorted(counts.items())))
        print(f"  crashes {kinds['crash']}, hangs {kinds['hang']}, half-stored {kinds['half-stored']}, "
              f"invalid readings {kinds['invalid']} ({len(findings)} distinct)")
        for e in findings.values():
            print(f"  - {e['kind']} x{e['count']} ({e['signature']}; steps {', '.join(e['steps'])}): "
                  f"{e['error'][:200]}\n    reproducer ({e['bytes']} bytes): {e['saved']}")
        print("  slowest steps: " + "; ".join(f"{s:.1f}s {st} [{c}] {w}" for s, st, c, w in slowest[:4]))
        print(f"  summary: {args.out / 'summary.json'}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
