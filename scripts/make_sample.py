#!/usr/bin/env python3
"""Convert Earnings-21 calls (Rev.com token tables, CC BY-SA 4.0) into the JSON layout of the bundled sample.

Each call is read through archive.formats.read_transcript (the token-table reader: runs of one speaker id become
turns, tokens are joined with their punctuation, speaker ids become names from speaker-metadata.csv), then written
as archive/sample/<company>-<year>-q<quarter>.json: company, fiscal_year, fiscal_quarter, title and a flat "turns"
list of {speaker, speech[, role]}. Sections are left out on purpose, so archive/roles.py infers the Q&A start when
the sample is read; only the operator's role is written, because a named operator ('Danny') cannot be told from
the name alone.

The fiscal year comes from the call's own words (archive.formats.meta.period_in on the opening turns, then on the
whole call); the quarter from the dataset's metadata, checked against the words. A call whose text names no year
is refused unless --year FILE_ID=YYYY is given after reading it.

    .venv/bin/python scripts/make_sample.py                 # the ten bundled calls
    .venv/bin/python scripts/make_sample.py 4386541 --dry-run
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
import _venv  # noqa: E402,F401  (runs under .venv; puts the repository on sys.path)

from archive.errors import ArchiveError  # noqa: E402
from archive.formats import read_transcript  # noqa: E402
from archive.formats.meta import period_in  # noqa: E402
from archive.models import OPERATOR, QA, slug  # noqa: E402

DATA = ROOT / ".data" / "earnings21-22"
OUT = ROOT / "archive" / "sample"

# Ten calls, nine sectors (the dataset has nine), each with named speakers and a question-and-answer session.
SAMPLE = {
    "4385388": "Consumer Goods",
    "4384198": "Industrial Goods",
    "4344338": "Conglomerate",
    "4360674": "Utilities",
    "4386541": "Services",
    "4392809": "Services",
    "4360366": "Financial",
    "4366522": "Healthcare",
    "4366893": "Basic Materials",
    "4394084": "Technology",
}
# The dataset's company_name, spelled as the company spells itself where the metadata does not.
COMPANY = {"4385388": "YETI Holdings", "4360674": "NextEra Energy Inc", "4392809": "Lands' End Inc"}
# Listed tickers (the dataset names none; these are the companies' exchange tickers at the time of the call).
TICKER = {"4385388": "YETI", "4384198": "NWHM", "4344338": "DHR", "4360674": "NEE", "4386541": "CMLS",
          "4392809": "LE", "4360366": "TRV", "4366522": "ALDX", "4366893": "ESTE", "4394084": "ISSC"}
LICENSE = "CC BY-SA 4.0"


def source_path(data: Path, file_id: str) -> Path:
    return data / "earnings21" / "transcripts" / "nlp_references" / f"{file_id}.nlp"


def fiscal_year(transcript, quarter: int, given: int | None) -> tuple[int, str]:
    """(year, where it came from). The opening turns first (what finish() reads), then the whole call."""
    opening = "\n".join(t.text for t in transcript.turns[:4])
    year, q = period_in(opening)
    if year:
        return year, f"opening: Q{q} {year}"
    whole = "\n".join(t.text for t in transcript.turns)
    year, q = period_in(whole)
    if year and q == quarter:
        return year, f"body: Q{q} {year}"
    m = re.search(r"\bquarter ended \w+ \d{1,2}(?:st|nd|rd|th)?,? (\d{4})", whole)
    if m:
        return int(m[1]), f"body: '{m[0]}'"
    if given:
        return given, "given with --year"
    raise SystemExit(f"no fiscal year in the text of {transcript.source.path}: read it and pass --year ID=YYYY")


def convert(file_id: str, data: Path, out: Path, years: dict[str, int], dry_run: bool) -> dict:
    path = source_path(data, file_id)
    if not path.is_file():
        raise SystemExit(f"{path}: not found (unpack the corpora: ../shared/data/unpack .data)")
    tr = read_transcript(path)
    if tr.source.format != "token-table":
        raise SystemExit(f"{path}: read as {tr.source.format}, expected token-table")
    company = COMPANY.get(file_id, tr.company)
    quarter = tr.quarter
    if not (company and quarter):
        raise SystemExit(f"{path}: no company or quarter in the Earnings-21 metadata")
    year, where = fiscal_year(tr, quarter, years.get(file_id))
    record = {
        "company": company,
        **({"ticker": TICKER[file_id]} if file_id in TICKER else {}),
        "fiscal_year": year,
        "fiscal_quarter": quarter,
        "title": f"{company} Q{quarter} {year} Earnings Call",
        "source": f"Earnings-21 (Rev.com), file {file_id}",
        "license": LICENSE,
        "turns": [{"speaker": t.speaker, "speech": t.text.replace("\n\n", "\n"),
                   **({"role": OPERATOR} if t.role == OPERATOR else {})} for t in tr.turns],
    }
    name = f"{slug(company).lower()}-{year}-q{quarter}.json"
    target = out / name
    qa_at = next((t.position for t in tr.turns if t.section == QA), None)
    print(f"{file_id}  {company:<38} FY{year} Q{quarter} ({where})  {len(tr.turns)} turns, Q&A from turn {qa_at}"
          f"  -> {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    if dry_run:
        return record
    out.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    # The sample must read back as the table did: same turns, roles and sections.
    back = read_transcript(target)
    same = [(t.speaker, t.role, t.section, t.text) for t in back.turns] == \
           [(t.speaker, t.role, t.section, t.text) for t in tr.turns]
    if not same or (back.year, back.quarter, back.company, back.ticker) != (year, quarter, company,
                                                                           TICKER.get(file_id)):
        raise SystemExit(f"{target}: does not read back like its source table")
    return record


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="Default calls: " + ", ".join(f"{k} ({v})" for k, v in SAMPLE.items()))
    ap.add_argument("ids", nargs="*", help="Earnings-21 file ids to convert (default: the ten bundled calls)")
    ap.add_argument("--data", type=Path, default=DATA, help=f"the unpacked earnings21-22 folder (default: {DATA})")
    ap.add_argument("--out", type=Path, default=OUT, help=f"where the JSON files go (default: {OUT})")
    ap.add_argument("--year", action="append", default=[], metavar="ID=YYYY",
                    help="fiscal year for a call whose text does not state it (after reading it)")
    ap.add_argument("--dry-run", action="store_true", help="convert and report, write nothing")
    args = ap.parse_args(argv)
    years = {}
    for item in args.year:
        file_id, _, year = item.partition("=")
        if not year.isdigit():
            ap.error(f"--year {item!r}: expected ID=YYYY")
        years[file_id] = int(year)
    try:
        for file_id in args.ids or list(SAMPLE):
            convert(file_id, args.data, args.out, years, args.dry_run)
    except ArchiveError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
