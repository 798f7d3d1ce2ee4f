"""Seeking Alpha text (speaker-lines family): headers, participant blocks, cp1252/UTF-8, Q&A markers."""
from __future__ import annotations

import csv
import re

import pytest

from archive.formats import read_transcript
from archive.models import ANALYST, EXECUTIVE, OPERATOR, PREPARED, QA

from .conftest import corpus_dir

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def corpus():
    folder = corpus_dir("seeking-alpha")
    with open(folder / "MANIFEST.csv", newline="") as fh:
        manifest = {r["file"].split("/")[-1]: r for r in csv.DictReader(fh)}
    return folder, manifest, {f.name: read_transcript(f) for f in sorted(folder.glob("*.txt"))}


def test_every_file_reads_with_both_sections_and_real_speakers(corpus):
    folder, manifest, calls = corpus
    assert len(calls) == 136
    for name, t in calls.items():
        assert t.source.format == "speaker-lines"
        sections = {x.section for x in t.turns}
        qa_marker = int(manifest[name]["qa_marker_lines"])
        assert PREPARED in sections and (QA in sections or not qa_marker), name
        for x in t.turns:
            assert "\ufffd" not in x.text and "\ufffd" not in x.speaker, name
            # a name, not a sentence: short, no sentence punctuation at the end
            assert len(x.speaker.split()) <= 5 and not re.search(r"[.?!,;:]$", x.speaker), (name, x.speaker)
            assert x.speaker not in ("Question-and-Answer Session", "Executives", "Analysts")
        assert t.ticker and t.year and t.quarter, name
        assert sum(x.role == OPERATOR for x in t.turns) >= 1, name


def test_cp1252_text_is_decoded(corpus):
    folder, manifest, calls = corpus
    cp1252 = [n for n, r in manifest.items() if r["encoding"] == "cp1252"]
    assert len(cp1252) >= 100
    # curly quotes and dashes survive as real characters
    assert any("’" in x.text for x in calls[cp1252[0]].turns)


def test_duplicate_file_is_caught(tmp_path, corpus):
    from archive.config import Settings
    from archive.service import Archive
    folder = corpus[0]
    with Archive.open(Settings(home=tmp_path)) as a:
        report = a.ingest([folder / "CT_GOOGL_2018_q4.txt", folder / "CT_GOOG_2018_q4.txt"])
        statuses = [f.status for f in report.files]
        assert statuses == ["added", "duplicate"]
        assert "already stored from" in report.files[1].message and "--replace" in report.files[1].message
        assert a.stats()["calls"] == 1


def test_golden_abt_q1_2018(corpus):
    t = corpus[2]["CT_ABT_2018_q1.txt"]
    assert (t.company, t.ticker, t.exchange, t.year, t.quarter, t.date) == (
        "Abbott Laboratories", "ABT", "NYSE", 2018, 1, "2018-04-18")
    assert len(t.turns) == 46
    assert [(x.speaker, x.role, x.section) for x in t.turns[:6]] == [
        ("Operator", OPERATOR, PREPARED), ("Scott Leinenweber", EXECUTIVE, PREPARED),
        ("Miles White", EXECUTIVE, PREPARED), ("Brian Yoor", EXECUTIVE, PREPARED),
        ("Operator", OPERATOR, QA), ("Mike Weinstein", ANALYST, QA)]
    assert t.turns[5].title == "JPMorgan"
    assert t.turns[2].title == "Chairman, Chief Executive Officer"
    assert t.turns[2].text.startswith("Okay. Thanks, Scott.")
    assert t.turns[-1].speaker == "Operator" and t.turns[-1].text.endswith("Everyone have a great day.")


def test_header_variants(corpus):
    calls = corpus[2]
    psx = calls["CT_PSX_2018_q4.txt"]        # 'Call Start:' junk line, then a three-line title
    assert (psx.company, psx.ticker, psx.year, psx.quarter, psx.date) == ("Phillips 66", "PSX", 2018, 4, "2019-02-08")
    fdx = calls["CT_FDX_2018_q1.txt"]        # 'A - Fred Smith' prefix; fiscal year ahead of the calendar
    assert (fdx.year, fdx.quarter, fdx.date) == (2018, 1, "2017-09-19")
    assert all(not x.speaker.startswith(("A -", "Q -")) for x in fdx.turns)
    jpm = calls["CT_JPM_2019_q1.txt"]        # 'Company Representatives' heading
    assert {p.name for p in jpm.participants if p.role == EXECUTIVE} >= {"Jamie Dimon", "Marianne Lake"}
