"""The inference reader: speaker-labelled text in layouts no reader knows, read from the file's own evidence.
Every text here is invented."""
from __future__ import annotations

from pathlib import Path

import pytest

from archive.errors import InputFileError
from archive.formats import read_file, read_transcript
from archive.formats.labels import parse
from archive.models import ANALYST, EXECUTIVE, OPERATOR, PREPARED, QA


@pytest.mark.parametrize("line, name, title, company", [
    ("Jane Roe", "Jane Roe", None, None),
    ("JANE ROE", "Jane Roe", None, None),
    ("Jane Roe - Chief Financial Officer", "Jane Roe", "Chief Financial Officer", None),
    ("Jane Roe, Acme Corp - CFO", "Jane Roe", "CFO", "Acme Corp"),
    ("JANE ROE, CFO, ACME CORP:", "Jane Roe", "CFO", "ACME CORP"),
    ("Jane Roe – Acme – Chief Executive Officer", "Jane Roe", "Chief Executive Officer", "Acme"),
    ("Jane Roe--Vice President, Investor Relations", "Jane Roe", "Vice President, Investor Relations", None),
    ("Peter Smyth--Big Bank -- Analyst", "Peter Smyth", "Analyst", "Big Bank"),
    ("Chief Executive Officer — Jane Roe", "Jane Roe", "Chief Executive Officer", None),
    ("Jane Roe [00:01:23]", "Jane Roe", None, None),
    ("Jane Roe (12:03)", "Jane Roe", None, None),
    ("Q - John A. Smith", "John A. Smith", None, None),
])
def test_label_shapes(line, name, title, company):
    lab = parse(line)
    assert lab is not None, line
    assert (lab.name, lab.title, lab.company) == (name, title, company)


@pytest.mark.parametrize("line", ["Thank you.", "Net Revenue-- $575 million, up 38% from last year.",
                                  "Prepared Remarks", "Thursday, July 31, 2025 at 8 a.m. ET", "Great, thanks",
                                  "We grew revenue by 12% in the quarter", "Stocks Mentioned", ""])
def test_not_labels(line):
    assert parse(line) is None


def _write(tmp_path, text, name="call.txt"):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


INLINE = """Acme Widgets Inc. (ACMW) Q2 2024 Earnings Call
July 30, 2024

Key takeaways
Revenue Growth: revenue rose 12% on strong demand.
Margin: gross margin was 41%.

Transcript
Operator: Good afternoon and welcome to the Acme Widgets second quarter 2024 earnings call. I will now turn the call over to Jane Roe, Chief Financial Officer.
Jane Roe: Thank you. Revenue was $120 million, up 12%. Gross margin expanded to 41%.
Our outlook for the year is unchanged. I will hand over to Tom Baker.
Tom Baker: Thanks, Jane. Demand for widgets stayed strong across every region.
Operator: We will now begin the question-and-answer session. Our first question comes from the line of Ann Lee with Big Bank.
Ann Lee: Thanks for taking my question. How should we think about pricing in the second half?
Jane Roe: Thanks, Ann. We expect pricing to hold. Operator: Our next question comes from Raj Patel with Small Securities.
Raj Patel: Can you talk about inventory levels?
Tom Baker: Inventory is in good shape. Thank you all for joining.
Operator: This concludes today's call.

Disclaimer
This transcript may contain errors. Copyright 2024 Example Transcripts. All rights reserved.
"""


def test_inline_labels_with_takeaways_before_and_disclaimer_after(tmp_path):
    r = read_file(_write(tmp_path, INLINE))
    t = r.transcript
    assert r.reader == "inferred"
    speakers = [x.speaker for x in t.turns]
    # 'Revenue Growth:' and 'Margin:' above the transcript are not speakers; the mid-line 'Operator:' is one.
    assert speakers == ["Operator", "Jane Roe", "Tom Baker", "Operator", "Ann Lee", "Jane Roe", "Operator",
                        "Raj Patel", "Tom Baker", "Operator"]
    assert (t.ticker, t.company, t.year, t.quarter, t.date) == ("ACMW", "Acme Widgets Inc.", 2024, 2, "2024-07-30")
    assert "Disclaimer" not in t.turns[-1].text and "Copyright" not in t.turns[-1].text
    assert {x.role for x in t.turns if x.speaker == "Ann Lee"} == {ANALYST}
    assert {x.role for x in t.turns if x.speaker == "Jane Roe"} == {EXECUTIVE}
    assert t.turns[0].section == PREPARED and t.turns[-1].section == QA
    assert "Our outlook for the year is unchanged." in t.turns[1].text          # a second paragraph, unlabelled
    assert r.draft.sources["ticker"].startswith("title line")


ALONE = """ACME WIDGETS Q3 2024 RESULTS CALL

Call participants
Jane Roe - Chief Financial Officer
Tom Baker - Chief Executive Officer
Ann Lee - Big Bank - Analyst

Presentation

OPERATOR
Good morning. Welcome to the Acme Widgets third quarter call. Please go ahead, Mr. Baker.

TOM BAKER
Thank you. We had a record quarter.

We also opened two new plants.

JANE ROE
Revenue was up 9%.

Questions and Answers

OPERATOR
Our first question is from Ann Lee of Big Bank.

ANN LEE
What drove the margin?

TOM BAKER
Mostly pricing. Thank you.
"""


def test_label_lines_alone_upper_case_with_roster_and_headings(tmp_path):
    t = read_transcript(_write(tmp_path, ALONE))
    assert [x.speaker for x in t.turns] == ["Operator", "Tom Baker", "Jane Roe", "Operator", "Ann Lee", "Tom Baker"]
    assert [x.section for x in t.turns] == [PREPARED] * 3 + [QA] * 3
    titles = {x.speaker: x.title for x in t.turns}
    assert titles["Jane Roe"] == "Chief Financial Officer" and titles["Tom Baker"] == "Chief Executive Officer"
    assert {p.name for p in t.participants} >= {"Jane Roe", "Tom Baker", "Ann Lee"}
    assert "We also opened two new plants." in t.turns[1].text


AFFILIATION = """Q1 2023 Example Holdings Earnings Call

Operator
Welcome to the Example Holdings first quarter 2023 call.

Mary Jones
Example Holdings - Head of Investor Relations
Thank you, operator. With me is our CEO, Bill Smith.

Bill Smith
Example Holdings - Chief Executive Officer
Thanks, Mary. Sales grew 5% in the quarter.

Operator
Our first question comes from Kim Park with Alpha Capital.

Kim Park
Alpha Capital - Analyst
How is demand trending?

Bill Smith
Example Holdings - Chief Executive Officer
Demand is steady.
"""


def test_label_followed_by_an_affiliation_line(tmp_path):
    t = read_transcript(_write(tmp_path, AFFILIATION))
    assert [x.speaker for x in t.turns] == ["Operator", "Mary Jones", "Bill Smith", "Operator", "Kim Park", "Bill Smith"]
    assert t.turns[2].title.endswith("Chief Executive Officer")
    assert not any("Example Holdings -" in x.text for x in t.turns)
    assert (t.year, t.quarter) == (2023, 1)


TIMESTAMPS = """Speaker 1 (00:00:05): Welcome everyone to the call.
Speaker 2 (00:00:12): Thanks. Results were good this quarter.
Speaker 1 (00:01:40): Any questions?
Speaker 3 (00:01:45): Yes, on costs.
Speaker 2 (00:02:10): Costs were flat.
"""


def test_generic_labels_with_timestamps(tmp_path):
    t = read_transcript(_write(tmp_path, TIMESTAMPS))
    assert [x.speaker for x in t.turns] == ["Speaker 1", "Speaker 2", "Speaker 1", "Speaker 3", "Speaker 2"]
    assert t.turns[1].text == "Thanks. Results were good this quarter."


def test_a_pattern_that_explains_few_lines_is_rejected(tmp_path):
    prose = "\n".join(["Quarterly letter to shareholders", "", "Dear Shareholders: we had a good year.",
                       "Our Strategy: we keep investing in widgets and in our people.", ""] +
                      [f"Paragraph {i} of ordinary prose about the business, with no speakers at all." for i in range(30)])
    f = _write(tmp_path, prose)
    with pytest.raises(InputFileError, match="no speaker structure"):
        read_transcript(f)


def test_inspect_on_a_failing_file_shows_label_like_lines_and_the_next_step(tmp_path):
    from click.testing import CliRunner
    from archive.cli import main
    f = _write(tmp_path, "Minutes of the meeting\n\nAttendees were present.\nThe board approved the budget.\n")
    res = CliRunner().invoke(main, ["--home", str(tmp_path / "h"), "inspect", str(f)])
    assert res.exit_code == 1
    assert "could not be read" in res.output and "--layout" in res.output
    assert "Minutes of the meeting" in res.output         # the likeliest label-like line is shown
    res = CliRunner().invoke(main, ["--home", str(tmp_path / "h"), "inspect", "--json", str(f)])
    import json
    d = json.loads(res.output)
    assert d["ok"] is False and d["likeliest_labels"] and "layout" in d["next_step"]


def test_inspect_shows_layout_evidence_metadata_sources_and_dropped_lines(tmp_path):
    from click.testing import CliRunner
    from archive.cli import main
    import json
    f = _write(tmp_path, INLINE)
    res = CliRunner().invoke(main, ["--home", str(tmp_path / "h"), "inspect", "--json", str(f)])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["reader"] == "inferred" and d["evidence"]["taken"] == ["inline label"]
    assert d["metadata"]["ticker"] == {"value": "ACMW", "from": d["metadata"]["ticker"]["from"]}
    assert "title line" in d["metadata"]["ticker"]["from"]
    assert d["turns"] == 10 and d["turns_per_section"]["qa"] > 0
    assert any("Copyright" in x["text"] for x in d["dropped"])
    assert d["first_turns"][0]["speaker"] == "Operator"
    text = CliRunner().invoke(main, ["--home", str(tmp_path / "h"), "inspect", str(f)]).output
    assert "inline label" in text and "taken" in text and "from title line" in text


def test_ingest_explain_and_calls_json_name_the_source_file(tmp_path):
    from click.testing import CliRunner
    from archive.cli import main
    import json
    f = _write(tmp_path, ALONE, "acme_q3_2024.txt")
    home = str(tmp_path / "h")
    res = CliRunner().invoke(main, ["--home", home, "ingest", "--explain", str(f), "--ticker", "ACMW"])
    assert res.exit_code == 0, res.output
    assert "label line" in res.output and "taken" in res.output
    rows = json.loads(CliRunner().invoke(main, ["--home", home, "calls", "--json"]).output)
    assert rows[0]["source_files"][0]["path"].endswith("acme_q3_2024.txt")
    assert rows[0]["source_files"][0]["format"] == "inferred"


def test_a_short_page_with_speakers_heard_once(tmp_path):
    text = ("Operator: Good morning and welcome.\nJane Roe: Thank you. Sales rose.\nMark Twain: Costs fell.\n"
            "Operator: Questions now.\nLinda Park: What about margins?\nJane Roe: Margins rose.\n"
            "Operator: That ends the call.\n")
    t = read_transcript(_write(tmp_path, text), meta={"ticker": "EXC", "year": 2024, "quarter": 1})
    assert [x.speaker for x in t.turns] == ["Operator", "Jane Roe", "Mark Twain", "Operator", "Linda Park",
                                            "Jane Roe", "Operator"]


def test_an_operator_labelled_by_name_is_the_operator(tmp_path):
    text = ("Christa Mole: Good afternoon. My name is Christa, and I will be your conference operator today. "
            "Please go ahead, Jane Roe.\nJane Roe: Thank you. Sales rose.\n"
            "Christa Mole: Our first question comes from Sam Poe with Big Bank.\nSam Poe: What about costs?\n"
            "Jane Roe: Costs fell.\nChrista Mole: That ends the call.\n")
    t = read_transcript(_write(tmp_path, text), meta={"ticker": "EXC", "year": 2024, "quarter": 1})
    assert [x.role for x in t.turns if x.speaker == "Christa Mole"] == [OPERATOR] * 3
    assert t.turns[3].role == ANALYST and t.turns[3].section == QA
