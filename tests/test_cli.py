"""The command line: help, ingest summary, and --json on every read command."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from click.testing import CliRunner

from archive.chunk import chunk_transcript
from archive.cli import main
from archive.config import Settings
from archive.formats import read_transcript

from .conftest import ROOT, SEED


def run(*args, home):
    return CliRunner().invoke(main, ["--home", str(home), *args])


def test_help_lists_every_command():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for cmd in ("ingest", "stats", "calls", "show"):
        assert cmd in result.output
    assert "--replace" in CliRunner().invoke(main, ["ingest", "--help"]).output


def test_ingest_then_read_commands(tmp_path):
    r = run("ingest", str(SEED), "--ticker", "KC", home=tmp_path)
    assert r.exit_code == 0, r.output
    assert "1 added" in r.stdout and "28 turns" in r.stdout
    stats = json.loads(run("stats", "--json", home=tmp_path).stdout)
    settings = Settings.from_env(home=tmp_path)                          # what the command ran with
    chunks = len(chunk_transcript(read_transcript(SEED), settings.chunk_words, settings.chunk_overlap))
    assert (stats["calls"], stats["turns"], stats["chunks"]) == (1, 28, chunks) and chunks > 28   # long turns split
    assert "calls     1" in run("stats", home=tmp_path).stdout
    calls = json.loads(run("calls", "--json", "--ticker", "kc", home=tmp_path).stdout)
    assert [c["call_id"] for c in calls] == ["KC-2020Q1"]
    assert json.loads(run("calls", "--json", "--year", "2019", home=tmp_path).stdout) == []
    assert "KC-2020Q1" in run("calls", home=tmp_path).stdout
    call = json.loads(run("show", "KC-2020Q1", "--json", home=tmp_path).stdout)
    assert call["company"] == "Kingsoft Cloud" and len(call["turns"]) == 28
    assert call["turns"][6]["role"] == "analyst" and call["turns"][6]["section"] == "qa"
    text = run("show", "KC-2020Q1", home=tmp_path).stdout
    assert "== Q&A ==" in text and "Haijian He (Chief Financial Officer) [executive]" in text
    report = json.loads(run("ingest", str(SEED), "--ticker", "KC", "--json", home=tmp_path).stdout)
    assert report["summary"]["unchanged"] == 1 and report["files"][0]["call_id"] == "KC-2020Q1"


def test_unknown_call_is_a_clear_error(tmp_path):
    r = run("show", "NOPE-2020Q1", home=tmp_path)
    assert r.exit_code == 2
    assert "no call 'NOPE-2020Q1'" in r.stderr and "python -m archive calls" in r.stderr


def test_archive_home_from_the_environment(tmp_path):
    env = {**os.environ, "ARCHIVE_HOME": str(tmp_path / "h")}
    out = subprocess.run([sys.executable, "-m", "archive", "ingest", str(SEED), "--quiet"], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "h" / "archive.sqlite3").is_file()
