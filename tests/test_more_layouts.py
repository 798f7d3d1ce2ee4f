"""../shared/data/more-layouts: three layouts no reader was written for, read by the general mechanisms (inference,
records). At least 90% of each folder's files within max(2, 10%) of the reference turn count, with names,
sections and no page furniture in the speech."""
from __future__ import annotations

import csv
import re

import pytest

from archive.formats import read_file
from archive.models import OPERATOR

from .conftest import corpus_dir

pytestmark = pytest.mark.corpus

FURNITURE = re.compile(r"Download PDF|AI Insights|Stocks Mentioned|All earnings call transcripts|"
                       r"This article is a transcript|Duration: \d+ minutes|Call participants:|INDUSTRY GLOSSARY|"
                       r"Full Conference Call Transcript|^Fiscal Year \(FY\)", re.M)


@pytest.fixture(scope="module")
def more():
    return corpus_dir("more-layouts")


@pytest.mark.parametrize("folder", ["fmp-json-content", "utterance-csv", "motley-fool-text"])
def test_each_folder_reads_right(more, folder):
    d = more / folder
    with open(d / "turns.csv", newline="") as fh:
        ref = {r["file"]: int(r["turns"]) for r in csv.DictReader(fh)}
    right = 0
    for name, n in ref.items():
        r = read_file(d / name)
        t = r.transcript
        assert r.reader in ("inferred", "records"), name          # no reader written for these folders
        got = len(t.turns)
        right += abs(got - n) <= max(2, 0.1 * n)
        assert t.ticker == name.split("_")[0], name
        assert t.year and t.quarter, name
        assert {x.section for x in t.turns} == {"prepared", "qa"}, name
        assert any(x.role == OPERATOR for x in t.turns), name
        for x in t.turns:
            assert len(x.speaker.split()) <= 5 and not re.search(r"[.?!,;:]$|\d{4}", x.speaker), (name, x.speaker)
            assert not FURNITURE.search(x.text), (name, x.position, FURNITURE.search(x.text)[0])
    assert right >= 0.9 * len(ref), f"{folder}: {right} of {len(ref)} within tolerance"


def test_a_record_followed_by_its_text_copy_is_stored_once(more):
    d = more / "fmp-json-content"
    with open(d / "turns.csv", newline="") as fh:
        ref = {r["file"]: int(r["turns"]) for r in csv.DictReader(fh)}
    for name in ("NVDA_2025_Q2.txt", "META_2025_Q2.txt"):
        r = read_file(d / name)
        assert len(r.transcript.turns) <= ref[name]          # not doubled by the page text after the JSON
        assert any("same call follows as text" in n for n in r.draft.explain["notes"])


def test_page_furniture_and_takeaways_are_not_turns(more):
    r = read_file(more / "motley-fool-text" / "TAL_Q1_2026_earnings_call.txt")
    t = r.transcript
    assert t.turns[0].speaker == "Zhuangzhuang Peng"       # the takeaways and glossary above are not the call
    assert {p.name: p.title for p in t.participants}["Jackson Ding"] == "Chief Financial Officer"
    assert t.date == "2025-07-31" and t.company == "TAL Education"
