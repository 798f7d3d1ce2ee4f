"""Token tables (Earnings-21/22 `.nlp`): runs of one speaker id become turns, tokens join with their punctuation,
speaker ids become names; and the bundled sample reads as a finished archive needs it."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from archive.errors import InputFileError
from archive.formats import detect, read_transcript, token_table
from archive.models import ANALYST, EXECUTIVE, OPERATOR, PREPARED, QA
from archive.roles import name_key
from archive.service import expand

from .conftest import SAMPLE, corpus_dir

HEADER = "token|speaker|ts|endTs|punctuation|case|tags|wer_tags"


def table(*runs: tuple[int, str]) -> str:
    """A token table from (speaker id, text) runs: trailing punctuation of a word goes to the punctuation column,
    '<tag>' words stay tokens."""
    lines = [HEADER]
    for speaker, text in runs:
        for word in text.split():
            m = re.fullmatch(r"(.+?)([.,?!…]?)", word)
            lines.append(f"{m[1]}|{speaker}|||{m[2]}|LC|[]|[]")
    return "\r\n".join(lines) + "\r\n"


OPENING = "Good morning, and welcome to the Zorblax first quarter 2031 earnings call. Please go ahead."
CALL = [
    (0, OPENING),
    (1, "Thanks. Zorblax sold more flumberries than ever, and the grelk plant <inaudible> is busy."),
    (0, "We will now begin the question-and-answer session. Our first question comes from Brin Toller with "
        "Glimmer Capital. Please go ahead."),
    (2, "Hi. How are flumberries selling in Vexmoor?"),
    (1, "Very well."),
    (3, "<crosstalk>"),              # a run without a spoken word: not a turn; the two runs of 1 become one
    (1, "Mm-hmm <affirmative>. Vexmoor grew."),
    (0, "Our next question comes from Ona Pell with Drift Partners. Please go ahead."),
    (4, "Thanks. What about grelk?"),
    (1, "Grelk is steady."),
]


@pytest.fixture
def call_dir(tmp_path):
    """A call in tmp_path/calls with its speaker names and file metadata one folder up."""
    (tmp_path / "calls").mkdir()
    (tmp_path / "speaker-metadata.csv").write_text(
        "file_id,speaker_id,speaker_name\r\n900001,0,Speaker 1\r\n900001,1,Quilla  Varn\r\n"
        "900001,4,Ona Pell\r\n900002,2,Not This One\r\n", encoding="utf-8")
    (tmp_path / "earnings21-file-metadata.csv").write_text(
        "file_id,audio_length,sample_rate,company_name,financial_quarter,sector\r\n"
        "900001,60.0,16000,Zorblax Inc,1,Technology\r\n", encoding="utf-8")
    path = tmp_path / "calls" / "900001.nlp"
    path.write_text(table(*CALL), encoding="utf-8")
    return path


def test_runs_become_turns_with_punctuation_and_names(call_dir):
    t = read_transcript(call_dir)
    assert t.source.format == "token-table"
    assert [turn.speaker for turn in t.turns] == [
        "Operator", "Quilla Varn", "Operator", "Speaker 2", "Quilla Varn", "Operator", "Ona Pell", "Quilla Varn"]
    assert t.turns[0].text == OPENING
    assert t.turns[1].text == ("Thanks. Zorblax sold more flumberries than ever, and the grelk plant [inaudible] "
                               "is busy.")
    assert t.turns[3].text == "Hi. How are flumberries selling in Vexmoor?"
    # the '<crosstalk>' run of speaker 3 is gone, the answers around it are one turn; '<affirmative>' is dropped
    # and its full stop kept
    assert t.turns[4].text == "Very well. Mm-hmm. Vexmoor grew."
    assert "Speaker 3" not in {turn.speaker for turn in t.turns}


def test_metadata_roles_and_sections(call_dir):
    t = read_transcript(call_dir)
    assert (t.company, t.quarter, t.year, t.ticker) == ("Zorblax Inc", 1, 2031, None)
    assert [turn.role for turn in t.turns] == [OPERATOR, EXECUTIVE, OPERATOR, ANALYST, EXECUTIVE, OPERATOR,
                                               ANALYST, EXECUTIVE]
    assert [turn.section for turn in t.turns] == [PREPARED, PREPARED] + [QA] * 6


def test_speaker_n_without_metadata(tmp_path):
    path = tmp_path / "900009.nlp"
    path.write_text(table(*CALL), encoding="utf-8")
    t = read_transcript(path)
    assert {turn.speaker for turn in t.turns} == {"Operator", "Speaker 1", "Speaker 2", "Speaker 4"}
    assert t.company == "Zorblax" and t.quarter == 1      # from the operator's welcome, not from any metadata


def test_named_operator_keeps_the_name(tmp_path):
    (tmp_path / "speaker-metadata.csv").write_text("file_id,speaker_id,speaker_name\n900003,0,Brandon\n",
                                                   encoding="utf-8")
    path = tmp_path / "900003.nlp"
    path.write_text(table(*CALL), encoding="utf-8")
    t = read_transcript(path)
    assert [(turn.speaker, turn.role) for turn in t.turns if turn.role == OPERATOR] == [("Brandon", OPERATOR)] * 3


def test_long_pause_starts_a_paragraph(tmp_path):
    rows = [("Alpha", 0.0, 0.4, ""), ("beta", 0.5, 0.9, "."), ("Gamma", 4.0, 4.3, ""), ("delta", 4.4, 4.8, ".")]
    path = tmp_path / "x.nlp"
    path.write_text(HEADER + "\n" + "".join(f"{w}|0|{a}|{b}|{p}|UC|[]|[]\n" for w, a, b, p in rows))
    assert read_transcript(path).turns[0].text == "Alpha beta.\n\nGamma delta."


def test_earnings22_header_with_prepunctuation(tmp_path):
    path = tmp_path / "y.nlp"
    path.write_text("token|speaker|ts|endTs|punctuation|prepunctuation|case|tags\n"
                    "quoted|0|||,|\"|LC|[]\nword|0|||.||LC|[]\n")
    assert read_transcript(path).turns[0].text == '"quoted, word.'


def test_sniff_by_content(call_dir, tmp_path):
    assert token_table.sniff(call_dir.read_text(), call_dir)
    renamed = tmp_path / "table.txt"
    renamed.write_text(call_dir.read_text())
    assert detect(renamed.read_text(), renamed) is token_table
    assert not token_table.sniff(json.dumps({"turns": [{"speaker": "A", "speech": "token|speaker"}]}), renamed)
    text = "Operator\n\nGood morning, and welcome.\n\nJane Roe\n\nThank you. token|speaker|ts\n"
    assert not token_table.sniff(text, renamed)
    assert not token_table.sniff((SAMPLE / "kingsoft-cloud-2020-q1.txt").read_text(encoding="utf-8"), renamed)


@pytest.mark.parametrize("body, reason", [
    (HEADER + "\n", "no tokens"),
    (HEADER + "\n" + "\n".join(f"word{i}|0|||" for i in range(20)) + "\n", "columns"),
    (HEADER + "\n<unk>|0||||LC|[]|[]\n<crosstalk>|1||||LC|[]|[]\n", "no speaker turns"),
    (HEADER + "\nword||||.|LC|[]|[]\n", "no speaker id"),
])
def test_malformed_tables_are_refused(tmp_path, body, reason):
    path = tmp_path / "bad.nlp"
    path.write_text(body)
    with pytest.raises(InputFileError) as e:
        read_transcript(path)
    assert str(path) in e.value.message and reason in e.value.message


# ---- the Earnings-21/22 corpus --------------------------------------------------------------------------------

def _raw_runs(path: Path) -> list[tuple[str, bool]]:
    """(speaker id, has a spoken word) per run of one speaker id, read straight from the table."""
    runs: list[list] = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        if not line.strip():
            continue
        token, speaker = line.split("|")[:2]
        spoken = not re.fullmatch(r"<\w+>", token)
        if runs and runs[-1][0] == speaker:
            runs[-1][1] |= spoken
        else:
            runs.append([speaker, spoken])
    return [(s, bool(k)) for s, k in runs]


@pytest.fixture(scope="module")
def corpus():
    folder = corpus_dir("earnings21-22")
    manifest = list(csv.DictReader(open(folder / "MANIFEST.csv", encoding="utf-8", newline="")))
    return folder, [(row, folder / row["file"], read_transcript(folder / row["file"])) for row in manifest]


@pytest.mark.corpus
def test_every_table_reads(corpus):
    folder, calls = corpus
    assert len(calls) == 169 == len(list(folder.rglob("*.nlp")))
    assert all(t.source.format == "token-table" and t.turns for _row, _path, t in calls)


@pytest.mark.corpus
def test_turns_are_the_manifest_runs_less_runs_without_speech(corpus):
    """The manifest counts raw speaker runs. A run holding only markup (<unk>, <crosstalk>, <inaudible>...) is not
    a turn, and the runs on either side of it become one turn when they share a speaker; nothing else changes."""
    _folder, calls = corpus
    total = dropped_total = merged_total = 0
    for row, path, t in calls:
        runs = _raw_runs(path)
        assert len(runs) == int(row["n_turns"]), path
        kept = [s for s, spoken in runs if spoken]
        merged = sum(1 for a, b in zip(kept, kept[1:]) if a == b)
        assert len(t.turns) == len(runs) - (len(runs) - len(kept)) - merged, path
        total += len(runs)
        dropped_total += len(runs) - len(kept)
        merged_total += merged
    assert (total, dropped_total, merged_total) == (11099, 430, 351)
    assert sum(len(t.turns) for _r, _p, t in calls) == 11099 - 430 - 351


@pytest.mark.corpus
def test_earnings21_speakers_are_named_from_the_metadata(corpus):
    folder, calls = corpus
    names: dict[tuple[str, str], str] = {}
    for r in csv.DictReader(open(folder / "earnings21" / "speaker-metadata.csv", encoding="utf-8", newline="")):
        names[(r["file_id"], r["speaker_id"])] = r["speaker_name"]
    meta = {r["file_id"]: r for r in csv.DictReader(
        open(folder / "earnings21" / "earnings21-file-metadata.csv", encoding="utf-8", newline=""))}
    checked = 0
    for row, path, t in calls:
        if row["dataset"] != "earnings21":
            continue
        assert (t.company, t.quarter) == (meta[row["file_id"]]["company_name"],
                                          int(meta[row["file_id"]]["financial_quarter"]))
        speakers = {name_key(turn.speaker) for turn in t.turns}
        for speaker_id in {s for s, spoken in _raw_runs(path) if spoken}:
            name = names.get((row["file_id"], speaker_id), "")
            if re.fullmatch(r"(?i)speaker \d+|", name.strip()):
                continue                  # a placeholder: 'Speaker N' or 'Operator'
            if name in ("Operator", "Meeting Host"):
                assert "operator" in speakers, (path, name)
            else:
                assert name_key(name) in speakers, (path, name)
            checked += 1
        assert not any(re.fullmatch(r"Speaker \d+", turn.speaker) and
                       not re.fullmatch(r"(?i)speaker \d+|",
                                        names.get((row["file_id"], turn.speaker.split()[1]), "").strip())
                       for turn in t.turns), path
    assert checked == 420                 # named ids that speak, of the 466 rows in speaker-metadata.csv


@pytest.mark.corpus
def test_earnings22_tickers_from_the_metadata(corpus):
    folder, calls = corpus
    tickers = {r["File ID"]: r["Ticker Symbol"] for r in csv.DictReader(
        open(folder / "earnings22" / "metadata.csv", encoding="utf-8", newline=""))}
    e22 = [(row, t) for row, _p, t in calls if row["dataset"] == "earnings22"]
    assert len(e22) == 125
    for row, t in e22:
        assert t.ticker == tickers[row["file_id"]] == row["ticker"]


@pytest.mark.corpus
def test_operators_are_found(corpus):
    """Every Earnings-21 call with a question-and-answer session has an operator turn and both sections."""
    _folder, calls = corpus
    for row, path, t in calls:
        if row["dataset"] != "earnings21" or row["file_id"] == "4374910":   # American Express: no Q&A, no operator
            continue
        assert any(turn.role == OPERATOR for turn in t.turns), path
        assert {turn.section for turn in t.turns} == {PREPARED, QA}, path


# ---- the bundled sample ---------------------------------------------------------------------------------------

def test_sample_calls_read_with_metadata_sections_and_roles():
    files = expand([SAMPLE])
    assert len(files) == 11
    for f in files:
        t = read_transcript(f)
        assert t.company and t.year and t.quarter, f
        assert {turn.section for turn in t.turns} == {PREPARED, QA}, f
        roles = {turn.role for turn in t.turns}
        assert EXECUTIVE in roles and ANALYST in roles, f
    seed = read_transcript(SAMPLE / "kingsoft-cloud-2020-q1.txt")
    assert (seed.ticker, seed.company, seed.year, seed.quarter) == ("KC", "Kingsoft Cloud", 2020, 1)


def test_sample_is_small_and_attributed():
    attribution = (SAMPLE / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "CC BY-SA 4.0" in attribution and (SAMPLE / "LICENSE-CC-BY-SA-4.0.md").is_file()
    assert sum(f.stat().st_size for f in SAMPLE.iterdir()) < 1_000_000
    converted = [f for f in expand([SAMPLE]) if f.suffix == ".json"]
    assert len(converted) == 10
    for f in converted:
        data = json.loads(f.read_text(encoding="utf-8"))
        file_id = re.search(r"file (\d+)", data["source"])[1]
        assert data["license"] == "CC BY-SA 4.0"
        assert f"`{f.name}` | {file_id} | {data['company']} |" in attribution, f
        assert not any("section" in turn for turn in data["turns"])   # roles.py infers the Q&A start
