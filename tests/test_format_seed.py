"""The customer's seed layout (speaker-lines family): every turn, in order, with the right role and section."""
from __future__ import annotations

import shutil

from archive.formats import read_transcript
from archive.models import ANALYST as A, EXECUTIVE as E, OPERATOR as O, PREPARED as P, QA as Q

from .conftest import SEED

# (speaker, title, role, section) for all 28 turns, read off the file by hand.
EXPECTED = [
    ("Operator", None, O, P),
    ("Nicole Shan", "Investor Relations Officer", E, P),
    ("Yulin Wang", "Chief Executive Officer", E, P),
    ("Haijian He", "Chief Financial Officer", E, P),
    ("Nicole Shan", "Investor Relations Officer", E, P),
    ("Operator", None, O, Q),
    ("Alexia Quadrani", "JPMorgan", A, Q),
    ("Yulin Wang", "Chief Executive Officer", E, Q),
    ("Operator", None, O, Q),
    ("Kenneth Fong", "Credit Suisse", A, Q),
    ("Haijian He", "Chief Financial Officer", E, Q),
    ("Kenneth Fong", "Credit Suisse", A, Q),
    ("Operator", None, O, Q),
    ("Thompson Wu", "UBS", A, Q),
    ("Yulin Wang", "Chief Executive Officer", E, Q),
    ("Haijian He", "Chief Financial Officer", E, Q),
    ("Nicole Shan", "Investor Relations Officer", E, Q),
    ("Operator", None, O, Q),
    ("Leping Huang", "CICC", A, Q),
    ("Yulin Wang", "Chief Executive Officer", E, Q),
    ("Haijian He", "Chief Financial Officer", E, Q),
    ("Operator", None, O, Q),
    ("Ziyi Chen", "Goldman Sachs", A, Q),
    ("Haijian He", "Chief Financial Officer", E, Q),
    ("Ziyi Chen", "Goldman Sachs", A, Q),
    ("Operator", None, O, Q),
    ("Nicole Shan", "Investor Relations Officer", E, Q),
    ("Operator", None, O, Q),
]
FURNITURE = ["image", "Market Cap", "P/E", "$ 5.05", "8.6 %", "$ 1.28 B", "EARNINGS CALL TRANSCRIPT",
             "ALL TRANSCRIPTS", "Q-4 Q-3", "Technology - Software"]


def test_every_turn_in_order():
    t = read_transcript(SEED)
    got = [(x.speaker, x.title, x.role, x.section) for x in t.turns]
    assert got == EXPECTED
    assert [x.position for x in t.turns] == list(range(28))


def test_metadata_from_the_page(tmp_path):
    bare = tmp_path / SEED.name                            # without the bundled sidecar that names the ticker
    shutil.copy(SEED, bare)
    t = read_transcript(bare)
    assert (t.company, t.exchange, t.year, t.quarter, t.ticker) == ("Kingsoft Cloud", "NASDAQ", 2020, 1, None)
    assert t.call_id == "KINGSOFT-CLOUD-2020Q1"           # no ticker in the file: a stable id from company+period
    assert read_transcript(bare, meta={"ticker": "kc"}).call_id == "KC-2020Q1"
    assert read_transcript(SEED).call_id == "KC-2020Q1"    # the sample's sidecar gives it


def test_no_page_furniture_in_any_turn():
    t = read_transcript(SEED)
    for turn in t.turns:
        for bit in FURNITURE:
            assert bit not in turn.text, (turn.position, bit)
        assert ".." not in turn.text.replace("...", "")   # the page's '..' paragraph ends are read as one stop


def test_first_and_last_words_and_paragraphs():
    t = read_transcript(SEED)
    assert t.turns[0].text.startswith("Ladies and gentlemen, thank you for standing by")
    assert t.turns[0].text.endswith("Please go ahead.")
    assert t.turns[2].text.startswith("[Foreign Language] Thank you, Nicole")
    assert t.turns[24].text == "Thank you."
    assert t.turns[27].text.endswith("You may now disconnect. Thank you.")
    assert t.turns[1].text.count("\n\n") >= 5              # paragraph breaks kept
    assert t.turns[11].text == "Thank you very clear. Congrats again."


def test_participants_with_titles_and_firms():
    t = read_transcript(SEED)
    people = {p.name: (p.title, p.role) for p in t.participants}
    assert people["Haijian He"] == ("Chief Financial Officer", E)
    assert people["Alexia Quadrani"] == ("JPMorgan", A)
    assert len(people) == 8
