"""Bad input: one clear line per file naming the file and the reason; the batch goes on; exit status 1;
nothing already stored changes."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from archive.cli import main
from archive.config import Settings
from archive.service import Archive

from .conftest import SEED
from .test_ingest import _call_json, snapshot, write

GOOD = json.dumps(_call_json())

CASES = {
    "empty.txt": (b"", "empty file"),
    "blank.txt": (b"  \n\n\t \n", "empty file"),
    "bom-only.txt": (b"\xef\xbb\xbf", "empty file"),
    "binary.txt": (bytes(range(256)) * 40, "binary file"),
    "prose.txt": (b"This is a shopping list.\nEggs, milk and bread.\nNothing else.\n", "not a transcript"),
    "truncated.json": (GOOD[: len(GOOD) // 2].encode(), "truncated JSON"),
    "malformed.json": (b'{"prepared_remarks": [ {"speaker": "Operator", "speech": "hi"} }', "malformed JSON"),
    "wrong-shape.json": (b'[1, 2, 3]', "JSON of the wrong shape"),
    "no-lists.json": (b'{"title": "nothing here"}', "JSON of the wrong shape"),
    "undecodable.txt": (b"Operator\nWelcome \x81\x8d\x9d to the call.\nOperator\n", "undecodable text"),
    "no-turns.txt": (b"EARNINGS CALL TRANSCRIPT 2020 - Q1\n\nJust a paragraph of text that nobody says, really.\n",
                     "no speaker turns found"),
    "deep.json": (b"[" * 100_000 + b"]" * 100_000, None),
}


@pytest.fixture
def loaded(tmp_path):
    a = Archive.open(Settings(home=tmp_path / "home", max_file_mb=1))
    a.ingest([SEED], meta={"ticker": "KC"})
    yield a
    a.close()


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_kind_of_bad_file(loaded, tmp_path, name):
    data, reason = CASES[name]
    f = tmp_path / name
    f.write_bytes(data)
    before = snapshot(loaded)
    report = loaded.ingest([f])
    [outcome] = report.files
    assert outcome.status == "failed" and not report.ok
    assert outcome.message.startswith(str(f)), outcome.message
    if reason:
        assert reason in outcome.message, outcome.message
    assert "\n" not in outcome.message and "Traceback" not in outcome.message
    assert snapshot(loaded) == before


def test_over_the_size_cap(loaded, tmp_path):
    f = tmp_path / "huge.txt"
    f.write_bytes(b"Operator\n" + b"word " * 300_000)           # 1.5 MB, the cap here is 1 MB
    before = snapshot(loaded)
    [outcome] = loaded.ingest([f]).files
    assert outcome.status == "failed" and "file too large" in outcome.message and "ARCHIVE_MAX_FILE_MB" in outcome.message
    assert snapshot(loaded) == before


def test_missing_path(loaded, tmp_path):
    report = loaded.ingest([tmp_path / "nope.txt"])
    assert report.files[0].status == "failed" and "no such file" in report.files[0].message


def test_the_batch_goes_on_and_the_cli_exits_non_zero(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("empty.txt", "binary.txt", "truncated.json"):
        (folder / name).write_bytes(CASES[name][0])
    write(folder / "good.json", _call_json())
    home = tmp_path / "home"
    result = CliRunner().invoke(main, ["--home", str(home), "ingest", str(folder)])
    assert result.exit_code == 1
    lines = [l for l in result.stderr.splitlines() if l.startswith("failed:")]
    assert len(lines) == 3
    assert any("empty.txt: empty file" in l for l in lines)
    assert any("binary.txt: binary file" in l for l in lines)
    assert any("truncated.json: truncated JSON" in l for l in lines)
    assert "1 added" in result.stdout and "3 failed" in result.stdout
    result = CliRunner().invoke(main, ["--home", str(home), "calls", "--json"])
    assert [c["call_id"] for c in json.loads(result.stdout)] == ["ACME-2021Q2"]


def test_bad_metadata_is_refused_before_anything_is_read(tmp_path):
    result = CliRunner().invoke(main, ["--home", str(tmp_path), "ingest", str(SEED), "--quarter", "7"])
    assert result.exit_code == 2
    assert "quarter '7' is not 1-4" in result.stderr and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["--home", str(tmp_path), "ingest", str(SEED), "--format", "pdf"])
    assert result.exit_code == 2 and "unknown format 'pdf'" in result.stderr
