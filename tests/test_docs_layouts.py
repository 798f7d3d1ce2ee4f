"""The layout example in docs/layouts.md is the file in docs/layouts/, it is valid, and it reads the shared files of
that layout the way the inference reader does."""
from __future__ import annotations

import pytest

from archive.formats import read_file
from archive.formats.layout import load_layout

from .conftest import ROOT, corpus_dir

EXAMPLE = ROOT / "docs" / "layouts" / "motley-fool-page-2025.toml"


def test_the_docs_show_the_example_file_and_it_loads():
    doc = (ROOT / "docs" / "layouts.md").read_text()
    assert EXAMPLE.read_text().strip() in doc
    lay = load_layout(EXAMPLE)
    assert lay.name == "motley-fool-page-2025" and lay.start.pattern == "^Full Conference Call Transcript$"


@pytest.mark.corpus
def test_the_example_layout_reads_the_shared_files_of_its_layout():
    folder = corpus_dir("more-layouts") / "motley-fool-text"
    lay = load_layout(EXAMPLE)
    files = [f for f in sorted(folder.glob("*.txt")) if "Full Conference Call Transcript" in f.read_text()]
    assert len(files) >= 5
    for f in files:
        declared, inferred = read_file(f, layout=lay).transcript, read_file(f).transcript
        assert [t.speaker for t in declared.turns] == [t.speaker for t in inferred.turns], f.name
