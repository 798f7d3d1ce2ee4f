"""The speaker-blocks reader (header-with-affiliation layouts: Refinitiv PDF text and its kin).

Corpus tests read the third-party files from the git-ignored .data/ folder at run time and skip when it is absent;
no corpus text is stored here. The synthetic transcripts below are made up."""
from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

import pytest

from archive.formats import detect, read_transcript
from archive.formats import speaker_blocks
from archive.formats.decode import decode

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / ".data"
REFINITIV = DATA / "refinitiv-pdf"
GOLDEN = "Q3 2022 AG Mortgage Investment Trust Inc Earnings Call.txt"


def _data() -> Path:
    """.data/, unpacked from ../shared/data when that script exists and the folder is missing."""
    unpack = REPO.parent / "shared" / "data" / "unpack"
    if not REFINITIV.is_dir() and unpack.is_file():
        subprocess.run([str(unpack), ".data"], cwd=REPO, capture_output=True, timeout=300, check=False)
    return DATA


def _refinitiv_files() -> list[Path]:
    _data()
    if not REFINITIV.is_dir():
        pytest.skip(f"{REFINITIV} is absent (unpack ../shared/data into .data to run the corpus tests)")
    files = sorted(REFINITIV.glob("*.txt"))
    if not files:
        pytest.skip(f"{REFINITIV} holds no .txt files")
    return files


@pytest.fixture(scope="module")
def corpus():
    """name -> (Transcript, raw text) for every Refinitiv file."""
    out = {}
    for path in _refinitiv_files():
        out[path.name] = (read_transcript(path), path.read_text(encoding="utf-8"))
    return out


@pytest.fixture(scope="module")
def manifest():
    _refinitiv_files()
    rows = {}
    with open(REFINITIV / "MANIFEST.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rows[Path(row["file"]).name] = row
    return rows


def _listed(raw: str) -> dict[str, tuple[str, list[str]]]:
    """An independent look at the participant lists: name -> ('corp'|'analyst', affiliation lines)."""
    out: dict[str, tuple[str, list[str]]] = {}
    kind = None
    group: list[str] = []

    def close():
        if kind and group:
            first = group[0]
            if ";" in first:                      # 'Name;Firm;Title' on one line
                out[first.split(";")[0].strip()] = (kind, [first])
            else:
                out[first] = (kind, group[1:])

    for line in raw.split("\n"):
        s = line.strip()
        if s.endswith("CORPORATE PARTICIPANTS") or s == "CONFERENCE CALL PARTICIPANTS":
            close()
            group = []
            kind = "corp" if "CORPORATE" in s else "analyst"
        elif s in ("PRESENTATION", "QUESTIONS AND ANSWERS"):
            close()
            break
        elif not s:
            close()
            group = []
        elif kind and not re.fullmatch(r"\d{1,4}", s):
            group.append(s)
    return out


# ---- the whole corpus ------------------------------------------------------------------------------------------

@pytest.mark.corpus
def test_every_file_reads_as_speaker_blocks(corpus):
    assert len(corpus) == 148
    for name, (t, _) in corpus.items():
        assert t.source.format == "speaker-blocks", name
        assert len(t.turns) >= 5, name
        assert (t.year, t.quarter) == (2022, 3), name
        assert t.company and t.ticker is None, name
        assert t.call_id.endswith("-2022Q3"), name
    assert sum(len(t.turns) for t, _ in corpus.values()) > 7000


@pytest.mark.corpus
def test_sniff_claims_every_file_by_structure(corpus, tmp_path):
    for name, (_, raw) in corpus.items():
        assert speaker_blocks.sniff(raw, tmp_path / "anything.txt"), name
        assert detect(raw, tmp_path / "anything.txt") is speaker_blocks, name


@pytest.mark.corpus
def test_both_sections_where_the_manifest_has_both(corpus, manifest):
    for name, (t, _) in corpus.items():
        row = manifest[name]
        sections = {turn.section for turn in t.turns}
        if row["has_PRESENTATION"] == "1" and row["has_QUESTIONS_AND_ANSWERS"] == "1":
            assert sections == {"prepared", "qa"}, name
            # Sections follow the file's headings: prepared remarks first, then Q&A to the end.
            first_qa = next(i for i, turn in enumerate(t.turns) if turn.section == "qa")
            assert all(turn.section == "qa" for turn in t.turns[first_qa:]), name
        elif row["has_PRESENTATION"] == "1":
            assert sections == {"prepared"}, name


@pytest.mark.corpus
def test_speakers_are_names(corpus):
    for name, (t, raw) in corpus.items():
        affiliation_lines = {a for _, affs in _listed(raw).values() for a in affs}
        for turn in t.turns:
            s = turn.speaker
            assert 2 <= len(s) <= 40 and len(s.split()) <= 6, (name, turn.position, s)
            assert not re.search(r"[?!;:,\"]|\s-\s|\.$|\d", s), (name, turn.position, s)
            assert s not in affiliation_lines, (name, turn.position, s)
            assert "\ufffd" not in s


@pytest.mark.corpus
def test_turn_text_is_clean(corpus):
    furniture = ("DISCLAIMER", "Refinitiv", "All Rights Reserved", "CORPORATE PARTICIPANTS",
                 "CONFERENCE CALL PARTICIPANTS", "QUESTIONS AND ANSWERS", "\ufffd")
    for name, (t, raw) in corpus.items():
        listed = _listed(raw)
        for turn in t.turns:
            text = turn.text
            assert text.strip(), (name, turn.position)
            assert not re.search(r"(?m)^\s*\d{1,4}\s*$", text), (name, turn.position, "page number")
            for bad in furniture:
                assert bad not in text, (name, turn.position, bad)
            _, affs = listed.get(turn.speaker, ("", []))
            for a in affs:
                if len(a) >= 15:
                    assert a not in text, (name, turn.position, "affiliation line in text")
                assert not text.startswith(a + " ") and text != a, (name, turn.position, "affiliation line opens text")


@pytest.mark.corpus
def test_roles(corpus):
    for name, (t, raw) in corpus.items():
        listed = _listed(raw)
        assert listed, name
        for turn in t.turns:
            if turn.speaker == "Operator":
                assert turn.role == "operator", (name, turn.position)
            elif turn.speaker in listed:
                want = "executive" if listed[turn.speaker][0] == "corp" else "analyst"
                assert turn.role == want, (name, turn.position, turn.speaker)
            elif turn.speaker == "Unidentified Analyst":
                assert turn.role == "analyst", (name, turn.position)
            elif turn.speaker == "Unidentified Company Representative":
                assert turn.role == "executive", (name, turn.position)
        by_name = {p.name: p for p in t.participants}
        for person, (kind, _) in listed.items():
            assert by_name[person].role == ("executive" if kind == "corp" else "analyst"), (name, person)


@pytest.mark.corpus
def test_seeking_alpha_and_seed_are_not_claimed():
    data = _data()
    files = sorted((data / "seeking-alpha").glob("*.txt")) + sorted((data / "seed").glob("*.txt"))
    if not files:
        pytest.skip("no seeking-alpha or seed files under .data")
    for path in files:
        text = decode(path.read_bytes(), str(path))
        assert not speaker_blocks.sniff(text, path), path.name


# ---- one file, verified by reading it --------------------------------------------------------------------------

@pytest.mark.corpus
def test_golden_file(corpus):
    t, _ = corpus[GOLDEN]
    turns = t.turns
    assert len(turns) == 30
    assert [x.section for x in turns].count("prepared") == 5
    assert [x.section for x in turns].count("qa") == 25
    assert t.company == "AG Mortgage Investment Trust, Inc."
    assert t.call_id == "AG-MORTGAGE-INVESTMENT-TRUST-INC-2022Q3"
    assert t.title == "Q3 2022 AG Mortgage Investment Trust Inc Earnings Call"

    assert (turns[0].speaker, turns[0].role, turns[0].section) == ("Operator", "operator", "prepared")
    assert turns[0].text.startswith("Good day,") and turns[0].text.endswith("Please go ahead.")
    assert (turns[-1].speaker, turns[-1].role, turns[-1].section) == ("Operator", "operator", "qa")
    assert turns[-1].text.endswith("You may now disconnect.")

    jenny = turns[1]
    assert (jenny.speaker, jenny.role, jenny.title) == ("Jenny B. Neslin", "executive", "General Counsel & Secretary")
    assert jenny.text.startswith("Thank you, Katie.")
    assert jenny.text.endswith("turn the call over to T.J.")
    assert len(jenny.text.split("\n\n")) == 6          # six paragraphs in the PDF text

    cfo = turns[4]
    assert (cfo.speaker, cfo.role, cfo.section) == ("Anthony W. Rossiello", "executive", "prepared")
    assert cfo.title == "CFO, Treasurer & Principal Accounting Officer"
    assert cfo.text.startswith("Thank you, Nick.") and cfo.text.endswith("open the call for questions.")

    assert (turns[5].speaker, turns[5].section) == ("Operator", "qa")
    analyst = turns[6]
    assert (analyst.speaker, analyst.role, analyst.section) == ("Douglas Michael Harter", "analyst", "qa")
    assert analyst.title == "Crédit Suisse AG"
    assert analyst.text.startswith("I was hoping") and analyst.text.endswith("lately?")

    assert (turns[28].speaker, turns[28].role, turns[28].section) == ("Jenny B. Neslin", "executive", "qa")
    assert turns[28].text.endswith("next quarter. Thank you.")

    roles = {p.name: (p.role, p.title) for p in t.participants}
    assert roles["Thomas J. Durkin"] == ("executive", "CEO, President & Executive Director")
    assert roles["Eric J. Hagen"] == ("analyst", "BTIG, LLC")
    assert sum(1 for r, _ in roles.values() if r == "executive") == 4
    assert sum(1 for r, _ in roles.values() if r == "analyst") == 4


# ---- made-up transcripts in the layout -------------------------------------------------------------------------

_WRAPPED_TITLE = ("Widget Holdings, Inc. - President, Chief Executive Officer, Chairman of the Board of Directors & "
                  "Head of Strategic")
_SYNTHETIC = "\n".join([
    "©2021 Example Vendor. All Rights Reserved.CORPORATE PARTICIPANTS",
    " ",
    "Jane Q. Example",
    _WRAPPED_TITLE,
    "Planning",
    " ",
    "John Sample",
    "Widget Holdings, Inc. - CFO",
    "CONFERENCE CALL PARTICIPANTS",
    " ",
    "Alexandra Quill",
    "Quill Brothers Securities, LLC, Research Division - Senior Research Analyst",
    "PRESENTATION",
    " ",
    "Operator",
    "Good morning, and welcome to the Widget Holdings third quarter 2021 results call. (Operator Instructions)",
    "I would now like to hand the call over to Jane Example. Please go ahead.",
    " ",
    "Jane Q. Example",
    _WRAPPED_TITLE,
    "Planning",
    "Thank you, operator. Good morning, everyone. Our widget volumes grew again this quarter, and our teams delivered "
    "steady results across",
    "every region we serve. Demand for the blue widget line stayed strong through the summer, while the green line "
    "recovered after a slow",
    "2",
    "spring. Let me walk you through the highlights before John covers the numbers in more detail.",
    "Before we begin, please remember that today's remarks include forward-looking statements and that actual results "
    "may differ. Our forward-",
    "looking statements are described in the filings we made this morning.",
    "With that, I will turn the call over to John.",
    " ",
    "John Sample",
    "Widget Holdings, Inc. - CFO",
    "Thanks, Jane. Revenue was up 12% and margins improved by 80 basis points.",
    "QUESTIONS AND ANSWERS",
    " ",
    "Operator",
    "(Operator Instructions) Our first question comes from Alexandra Quill with Quill Brothers.",
    " ",
    "Alexandra Quill",
    "Quill Brothers Securities, LLC, Research Division - Senior Research Analyst",
    "Congratulations on the quarter. How should we think about widget pricing next year?",
    " ",
    "Jane Q. Example",
    _WRAPPED_TITLE,
    "Planning",
    "We expect pricing to stay firm.",
    " ",
    "Unidentified Analyst",
    "One follow-up on the green line: is the recovery broad-based?",
    " ",
    "John Sample",
    "Widget Holdings, Inc. - CFO",
    "It is, yes.",
    " ",
    "Operator",
    "This concludes today's call. You may now disconnect.",
    "DISCLAIMER",
    "Example Vendor reserves the right to make changes to documents, content, or other information without notice.",
    "©2021 Example Vendor. All Rights Reserved.",
])


def _read_synthetic(text: str, tmp_path: Path):
    path = tmp_path / "Q3 2021 Widget Holdings Inc Earnings Call.txt"
    return read_transcript(path, data=text.encode("utf-8"))


def _check_synthetic(t):
    assert t.source.format == "speaker-blocks"
    assert [(x.speaker, x.role, x.section) for x in t.turns] == [
        ("Operator", "operator", "prepared"),
        ("Jane Q. Example", "executive", "prepared"),
        ("John Sample", "executive", "prepared"),
        ("Operator", "operator", "qa"),
        ("Alexandra Quill", "analyst", "qa"),
        ("Jane Q. Example", "executive", "qa"),
        ("Unidentified Analyst", "analyst", "qa"),
        ("John Sample", "executive", "qa"),
        ("Operator", "operator", "qa"),
    ]
    assert (t.company, t.ticker, t.year, t.quarter) == ("Widget Holdings, Inc.", None, 2021, 3)
    assert t.call_id == "WIDGET-HOLDINGS-INC-2021Q3"
    jane = t.turns[1]
    assert jane.title == ("President, Chief Executive Officer, Chairman of the Board of Directors & Head of "
                          "Strategic Planning")
    paragraphs = jane.text.split("\n\n")
    assert len(paragraphs) == 3
    # The wrapped lines join into one paragraph, the page number between them gone.
    assert "delivered steady results across every region we serve." in paragraphs[0]
    assert "after a slow spring. Let me walk" in paragraphs[0]
    assert paragraphs[0].endswith("in more detail.")
    # A compound word broken at the line end joins without a space.
    assert "Our forward-looking statements are described" in paragraphs[1]
    assert paragraphs[2] == "With that, I will turn the call over to John."
    assert t.turns[0].text.split("\n\n")[0].endswith("(Operator Instructions)")
    assert t.turns[4].title == "Quill Brothers Securities, LLC"
    assert t.turns[7].text == "It is, yes."
    for x in t.turns:
        assert "Planning" not in x.text and "Widget Holdings, Inc. -" not in x.text
        assert not re.search(r"(?m)^\s*\d+\s*$", x.text)
        assert "DISCLAIMER" not in x.text and "Reserved" not in x.text and "reserves" not in x.text
    people = {p.name: (p.role, p.title) for p in t.participants}
    assert people["John Sample"] == ("executive", "CFO")
    assert people["Alexandra Quill"] == ("analyst", "Quill Brothers Securities, LLC")


def test_synthetic_transcript(tmp_path):
    assert speaker_blocks.sniff(_SYNTHETIC, tmp_path / "x.txt")
    _check_synthetic(_read_synthetic(_SYNTHETIC, tmp_path))


def test_synthetic_with_leading_page_number_and_plain_heading(tmp_path):
    text = "2\n" + _SYNTHETIC.replace("©2021 Example Vendor. All Rights Reserved.CORPORATE", "CORPORATE", 1)
    _check_synthetic(_read_synthetic(text, tmp_path))


def test_synthetic_one_line_blocks(tmp_path):
    """'Name;Firm;Title' blocks, and one glued to its speech with '^' where the blank line was lost."""
    text = "\n".join([
        "CORPORATE PARTICIPANTS",
        " ",
        "Jane Q. Example",
        "Widget Holdings, Inc. - CEO",
        " ",
        "Pat Relations;Senior Director of Investor Relations",
        "CONFERENCE CALL PARTICIPANTS",
        " ",
        "Sam Ledger;Ledger Partners LLC, Research Division;Analyst",
        "PRESENTATION",
        " ",
        "Operator",
        "Welcome to the call. I will hand over to Pat Relations.",
        " ",
        "Pat Relations;Senior Director of Investor Relations",
        "Thank you. Jane will now speak.",
        " ",
        "Jane Q. Example",
        "Widget Holdings, Inc. - CEO",
        "Thanks, Pat. It was a good quarter.",
        "QUESTIONS AND ANSWERS",
        " ",
        "Operator",
        "Our first question comes from Sam Ledger.",
        "Sam Ledger;Ledger Partners LLC, Research Division;Analyst^ How was demand?",
        " ",
        "Jane Q. Example",
        "Widget Holdings, Inc. - CEO",
        "Demand was steady.",
    ])
    t = _read_synthetic(text, tmp_path)
    assert [(x.speaker, x.role, x.section) for x in t.turns] == [
        ("Operator", "operator", "prepared"),
        ("Pat Relations", "executive", "prepared"),
        ("Jane Q. Example", "executive", "prepared"),
        ("Operator", "operator", "qa"),
        ("Sam Ledger", "analyst", "qa"),
        ("Jane Q. Example", "executive", "qa"),
    ]
    assert t.turns[1].title == "Senior Director of Investor Relations"
    assert t.turns[3].text == "Our first question comes from Sam Ledger."
    assert (t.turns[4].title, t.turns[4].text) == ("Ledger Partners LLC", "How was demand?")


def test_synthetic_page_furniture_and_title_block(tmp_path):
    """A StreetEvents-style export: title block with the event date, page headers and footers inside the speech."""
    header = "OCTOBER 25, 2022 / 12:30PM GMT, WDG.N - Q3 2022 Widget Holdings Inc Earnings Call"
    footer = "REFINITIV STREETEVENTS | www.refinitiv.com | Contact Us"
    notice = "©2022 Example Vendor. All rights reserved. Republication or redistribution of its content is prohibited."
    running = "Widget Holdings Q3 2022 Earnings Call Transcript"
    text = "\n".join([
        "Q3 2022 Widget Holdings Inc Earnings Call", "EVENT DATE/TIME: OCTOBER 25, 2022 / 12:30PM GMT",
        footer, notice, "1",
        "CORPORATE PARTICIPANTS", " ", "Jane Q. Example", "Widget Holdings, Inc. - CEO",
        "CONFERENCE CALL PARTICIPANTS", " ", "Sam Ledger", "Ledger Partners LLC, Research Division - Analyst",
        "PRESENTATION", " ", "Operator", "Welcome to the call.",
        " ", "Jane Q. Example", "Widget Holdings, Inc. - CEO",
        "Thanks. Our widget volumes grew again this quarter, and our teams delivered steady results across every "
        "region we serve, as",
        footer, notice, "Page 2 of 3", header, running,
        "planned. Demand stayed strong through the summer.",
        "QUESTIONS AND ANSWERS", " ", "Operator", "First question from Sam Ledger.",
        " ", "Sam Ledger", "Ledger Partners LLC, Research Division - Analyst", "How was demand?",
        footer, notice, "3", header, running,
        " ", "Jane Q. Example", "Widget Holdings, Inc. - CEO", "Steady.", running,
        "DISCLAIMER", "Example Vendor reserves the right to make changes.", notice,
    ])
    t = read_transcript(tmp_path / "export.txt", data=text.encode("utf-8"))
    assert t.source.format == "speaker-blocks"
    assert (t.company, t.year, t.quarter, t.date) == ("Widget Holdings, Inc.", 2022, 3, "2022-10-25")
    assert t.title == "Q3 2022 Widget Holdings Inc Earnings Call"
    assert [(x.speaker, x.role, x.section, x.text) for x in t.turns] == [
        ("Operator", "operator", "prepared", "Welcome to the call."),
        ("Jane Q. Example", "executive", "prepared",
         "Thanks. Our widget volumes grew again this quarter, and our teams delivered steady results across every "
         "region we serve, as planned. Demand stayed strong through the summer."),
        ("Operator", "operator", "qa", "First question from Sam Ledger."),
        ("Sam Ledger", "analyst", "qa", "How was demand?"),
        ("Jane Q. Example", "executive", "qa", "Steady."),
    ]


def test_sniff_rejects_other_layouts(tmp_path):
    seeking_alpha_like = "\n".join([
        "Widget Holdings (NYSE:WDG) Q3 2021 Earnings Conference Call October 1, 2021 9:00 AM ET",
        "Company Participants", "Jane Example - CEO", "John Sample - CFO",
        "Conference Call Participants", "Alexandra Quill - Quill Brothers",
        "Presentation", "Operator", "Welcome to the call.", "Jane Example", "Thanks. A good quarter.",
        "Question-and-Answer Session", "Operator", "First question, please.", "Alexandra Quill - Quill Brothers",
        "How was demand?", "John Sample", "Steady.",
    ])
    assert not speaker_blocks.sniff(seeking_alpha_like, tmp_path / "CT_WDG_2021_q3.txt")
    assert detect(seeking_alpha_like, tmp_path / "CT_WDG_2021_q3.txt").NAME == "speaker-lines"
    table = ("token|speaker|ts|endTs|punctuation|case|tags|wer_tags\n"
             "Good|1|0.1|0.2||UC|[]|[]\nmorning|1|0.2|0.3|.|LC|[]|[]\n")
    assert not speaker_blocks.sniff(table, tmp_path / "x.nlp")
    assert not speaker_blocks.sniff('{"participants": ["CORPORATE PARTICIPANTS"], "prepared_remarks": []}',
                                    tmp_path / "x.txt")
    assert not speaker_blocks.sniff("Operator\nGood day.\n\nJane Example\nThanks.\n", tmp_path / "x.txt")
