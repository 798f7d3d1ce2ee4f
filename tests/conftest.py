"""Shared fixtures. Corpus tests read ../shared/data (unpacked into the git-ignored .data/) and skip cleanly
when it is absent, as in a user's clone."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from archive.config import Settings
from archive.service import Archive

# Commands the tests run (in process or as subprocesses) embed with the small deterministic test encoder unless
# a test asks for the real model (Settings(encoder="minilm")).
os.environ.setdefault("ARCHIVE_ENCODER", "hash")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".data"
UNPACK = ROOT.parent / "shared" / "data" / "unpack"
SAMPLE = ROOT / "archive" / "sample"
SEED = SAMPLE / "kingsoft-cloud-2020-q1.txt"


def corpus_dir(name: str) -> Path:
    """Path to an unpacked corpus folder, unpacking ../shared/data once; skips the test when it is absent."""
    if not (DATA / name).is_dir() and UNPACK.is_file():
        subprocess.run([str(UNPACK), str(DATA)], check=True, capture_output=True)
    if not (DATA / name).is_dir():
        pytest.skip(f"corpus {name} not available (needs ../shared/data)")
    return DATA / name


@pytest.fixture
def archive(tmp_path):
    a = Archive.open(Settings(home=tmp_path / "home"))
    yield a
    a.close()
