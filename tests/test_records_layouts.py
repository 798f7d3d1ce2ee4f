"""Tables and records (CSV/TSV, JSON, JSONL), a file holding one call twice, and layouts a user describes.
Every text here is invented."""
from __future__ import annotations

import json

import pytest

from archive.errors import BadRequestError, InputFileError
from archive.formats import read_file, read_transcript
from archive.formats.layout import load_layout, parse_layout
from archive.models import ANALYST, EXECUTIVE, OPERATOR, QA

LINES = [("Operator", "Welcome to the Example Corp first quarter 2024 call. I will hand over to Jane Roe."),
         ("Jane Roe", "Thanks. Revenue grew 7% to $80 million."),
         ("Jane Roe", "Margins were stable."),
         ("Operator", "Our first question comes from Ann Lee with Big Bank."),
         ("Ann Lee", "What about pricing?"),
         ("Jane Roe", "Pricing held up well."),
         ("Operator", "That concludes the call.")]


def test_csv_rows_by_header_with_furniture_row_and_merged_speaker_rows(tmp_path):
    f = tmp_path / "EXC_2024_Q1.csv"
    rows = [["seq", "Speaker Name", "Utterance"], ["1", "March 5, 2024", "Download PDF"]]
    rows += [[str(i + 2), s, t] for i, (s, t) in enumerate(LINES)]
    import csv
    with open(f, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    r = read_file(f)
    t = r.transcript
    assert r.reader == "records"
    # consecutive rows of one speaker are one turn; the date row is furniture and gives the call date
    assert [x.speaker for x in t.turns] == ["Operator", "Jane Roe", "Operator", "Ann Lee", "Jane Roe", "Operator"]
    assert "Margins were stable." in t.turns[1].text
    assert t.date == "2024-03-05" and (t.ticker, t.year, t.quarter) == ("EXC", 2024, 1)
    assert t.turns[3].role == ANALYST and t.turns[3].section == QA


def test_tsv_with_section_role_and_title_columns(tmp_path):
    f = tmp_path / "call.tsv"
    body = ["speaker\ttitle\trole\tsection\ttext"]
    body += ["Operator\t\toperator\tPresentation\tWelcome to the call.",
             "Jane Roe\tCFO\texecutive\tPresentation\tRevenue grew.",
             "Ann Lee\tBig Bank\tanalyst\tQ&A\tA question on costs?",
             "Jane Roe\tCFO\texecutive\tQ&A\tCosts were flat."]
    f.write_text("\n".join(body) + "\n")
    t = read_transcript(f, meta={"ticker": "EXC", "year": 2024, "quarter": 1})
    assert [(x.speaker, x.role, x.section) for x in t.turns] == [
        ("Operator", OPERATOR, "prepared"), ("Jane Roe", EXECUTIVE, "prepared"), ("Ann Lee", ANALYST, "qa"),
        ("Jane Roe", EXECUTIVE, "qa")]
    assert t.turns[1].title == "CFO"


def _content():
    return "\n".join(f"{s}: {t}" for s, t in LINES)


def test_json_record_with_content_string_followed_by_a_text_copy_is_stored_once(tmp_path):
    f = tmp_path / "EXC_2024_Q1.txt"
    record = {"symbol": "EXC", "quarter": 1, "year": 2024, "date": "2024-03-05 17:00:00",
              "content": _content() + "\n" + "Jane Roe: " + "More detail on the quarter. " * 10}
    tail = "\n".join(["Fiscal Year (FY) 2024, Quarter 1", "March 5, 2024"] +
                     [x for s, t in LINES for x in (s, t)])
    f.write_text(json.dumps(record) + "\n" + tail + "\n")
    r = read_file(f)
    t = r.transcript
    assert [x.speaker for x in t.turns] == ["Operator", "Jane Roe", "Operator", "Ann Lee", "Jane Roe", "Operator",
                                            "Jane Roe"]
    assert (t.ticker, t.year, t.quarter, t.date) == ("EXC", 2024, 1, "2024-03-05")
    assert any("same call follows as text" in n for n in r.draft.explain["notes"])


def test_jsonl_utterances_and_a_json_list_of_records(tmp_path):
    f = tmp_path / "call.jsonl"
    f.write_text("\n".join(json.dumps({"speaker": s, "text": t, "start": i}) for i, (s, t) in enumerate(LINES)))
    t = read_transcript(f, meta={"ticker": "EXC", "year": 2024, "quarter": 1})
    assert len(t.turns) == 6 and t.turns[3].speaker == "Ann Lee"
    g = tmp_path / "call.json"
    g.write_text(json.dumps({"utterances": [{"speaker_name": s, "transcript": t} for s, t in LINES]}))
    assert [x.speaker for x in read_transcript(g, meta={"ticker": "EXC"}).turns] == [x.speaker for x in t.turns]


def test_a_json_file_with_several_calls_says_how_to_split_it(tmp_path):
    f = tmp_path / "dump.json"
    f.write_text(json.dumps([{"symbol": "A", "content": _content() * 3}, {"symbol": "B", "content": _content() * 3}]))
    with pytest.raises(InputFileError, match="holds 2 calls"):
        read_transcript(f)


def test_a_table_without_speaker_columns_is_refused_and_skipped_in_folder_walks(tmp_path):
    from archive.service import expand
    (tmp_path / "MANIFEST.csv").write_text("file,turns\na.txt,3\n")
    (tmp_path / "call.csv").write_text("speaker,text\nOperator,Hello there.\nJane Roe,Hi.\n")
    assert [p.name for p in expand([tmp_path])] == ["call.csv"]
    with pytest.raises(InputFileError):
        read_transcript(tmp_path / "MANIFEST.csv")


LAYOUT_TEXT = """Example IR transcript | page 1
Speaker list
Jane Roe >> CFO
Tom Baker >> CEO
=== BEGIN ===
[Operator] Welcome to the Example Corp call.
[Jane Roe >> CFO] Revenue grew 7%.
Example IR transcript | page 2
[Tom Baker >> CEO] Thanks, Jane. Demand was strong.
--- Q and A ---
[Operator] First question, Ann Lee.
[Ann Lee >> Big Bank] What about pricing?
[Tom Baker >> CEO] Pricing held.
=== END ===
Legal notice: nothing here is advice.
"""

LAYOUT = """
name = "example-ir"
speaker = '^\\[(?P<name>[^\\]>]+?)(?: >> (?P<title>[^\\]]+))?\\]\\s*(?P<text>.*)$'
start = '^=== BEGIN ===$'
end = '^=== END ===$'
qa_start = '^--- Q and A ---$'
furniture = ['^Example IR transcript \\| page \\d+$']
"""


def test_a_described_layout_reads_what_inference_would_not_guess(tmp_path):
    f = tmp_path / "call.txt"
    f.write_text(LAYOUT_TEXT)
    lay = tmp_path / "layout.toml"
    lay.write_text(LAYOUT)
    r = read_file(f, layout=load_layout(lay), meta={"ticker": "EXC", "year": 2024, "quarter": 1})
    t = r.transcript
    assert r.reader == "declared-layout"
    assert [x.speaker for x in t.turns] == ["Operator", "Jane Roe", "Tom Baker", "Operator", "Ann Lee", "Tom Baker"]
    assert [x.section for x in t.turns] == ["prepared"] * 3 + ["qa"] * 3
    assert t.turns[1].title == "CFO" and t.turns[4].role == ANALYST
    assert not any("page 2" in x.text or "Legal notice" in x.text for x in t.turns)


@pytest.mark.parametrize("data, problem", [
    ({"speakr": "^(?P<name>x)"}, "unknown key 'speakr'"),
    ({"name": "x"}, "'speaker' is missing"),
    ({"speaker": "^(?P<name>[A-Z"}, "not a valid regular expression"),
    ({"speaker": "^(?P<who>[A-Z]+):"}, "no group named 'name'"),
    ({"speaker": "^(?P<name>[A-Z]+):(?P<speech>.*)"}, "unknown groups"),
    ({"speaker": "^(?P<name>[A-Z]+):", "furniture": "^Page"}, "'furniture' must be a list"),
    ({"speaker": "^(?P<name>[A-Z]+):", "end": "("}, "'end' is not a valid regular expression"),
    ({"speaker": "(?P<name>[A-Z]*)"}, "matches an empty line"),
])
def test_a_bad_layout_names_the_bad_key_or_pattern(data, problem):
    with pytest.raises(BadRequestError, match=problem.replace("(", r"\(").replace("[", r"\[")):
        parse_layout(data, "my.toml")


def test_a_layout_file_that_is_not_toml_is_refused_with_the_file_named(tmp_path):
    lay = tmp_path / "bad.toml"
    lay.write_text("speaker = '^(?P<name>x)\n")
    with pytest.raises(BadRequestError, match="bad.toml: not valid TOML"):
        load_layout(lay)


def test_ingest_with_a_bad_layout_is_a_usage_error(tmp_path):
    from click.testing import CliRunner
    from archive.cli import main
    f = tmp_path / "call.txt"
    f.write_text(LAYOUT_TEXT)
    lay = tmp_path / "layout.json"
    lay.write_text(json.dumps({"speaker": "^(?P<nam>x)"}))
    res = CliRunner().invoke(main, ["--home", str(tmp_path / "h"), "ingest", "--layout", str(lay), str(f)])
    assert res.exit_code == 2 and "no group named 'name'" in res.output
    lay.write_text(json.dumps({"speaker": r"^\[(?P<name>[^\]>]+?)(?: >> (?P<title>[^\]]+))?\]\s*(?P<text>.*)$",
                               "start": "^=== BEGIN ===$"}))
    res = CliRunner().invoke(main, ["--home", str(tmp_path / "h"), "ingest", "--ticker", "EXC", "--year", "2024",
                                    "--quarter", "1", "--layout", str(lay), str(f)])
    assert res.exit_code == 0, res.output
    assert "6 turns" in res.output or "turns" in res.output
