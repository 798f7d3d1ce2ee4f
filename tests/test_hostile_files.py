"""Hostile and odd files, generated here (no corpus text): each has a documented outcome, and the archive stays
intact."""
from __future__ import annotations

import codecs
import json
import os

import pytest

from archive.config import Settings
from archive.service import Archive

from .conftest import SEED
from .test_ingest import snapshot

SEED_TEXT = SEED.read_text(encoding="utf-8")


@pytest.fixture
def arch(tmp_path):
    a = Archive.open(Settings(home=tmp_path / "home", max_file_mb=8))
    yield a
    a.close()


def one(a, path, **kw):
    [o] = a.ingest([path], **kw).files
    return o


def test_encodings_and_line_endings_are_read_the_same(arch, tmp_path):
    variants = {
        "bom.txt": codecs.BOM_UTF8 + SEED_TEXT.encode("utf-8"),
        "utf16.txt": SEED_TEXT.encode("utf-16"),
        "crlf.txt": SEED_TEXT.replace("\n", "\r\n").encode("utf-8"),
        "cr.txt": SEED_TEXT.replace("\n", "\r").encode("utf-8"),
        "mixed.txt": "".join(l + ("\r\n" if i % 2 else "\n") for i, l in enumerate(SEED_TEXT.split("\n"))).encode(),
        "nul.txt": SEED_TEXT.replace("Thank you", "Thank\x00 you", 3).replace("Operator", "Oper\x07ator", 1).encode(),
    }
    for name, data in variants.items():
        f = tmp_path / name
        f.write_bytes(data)
        o = one(arch, f, meta={"ticker": "KC"}, replace=True)
        assert o.status in ("added", "replaced") and o.turns == 28, (name, o)
        turns = arch.get_call("KC-2020Q1")["turns"]
        assert turns[0]["speaker"] == "Operator" and "\x00" not in turns[1]["text"] and "\r" not in turns[1]["text"]


def test_cp1252_and_mojibake(arch, tmp_path):
    f = tmp_path / "cp.txt"
    f.write_bytes(SEED_TEXT.replace("’", "\u2019").encode("cp1252", errors="replace"))
    assert one(arch, f, meta={"ticker": "KC"}).status == "added"
    assert "’" in arch.get_call("KC-2020Q1")["turns"][0]["text"]
    # double-encoded UTF-8 ('â€™') is text: stored as it is, searchable, displayed escaped
    g = tmp_path / "moji.txt"
    g.write_text(SEED_TEXT.replace("’", "â€™"), encoding="utf-8")
    assert one(arch, g, meta={"ticker": "KCM"}).status == "added"


@pytest.mark.slow
def test_one_huge_turn_without_newlines(arch, tmp_path):
    f = tmp_path / "huge.json"
    f.write_text(json.dumps({"ticker": "BIG", "fiscal_year": 2021, "fiscal_quarter": 1, "turns": [
        {"speaker": "Operator", "speech": "Welcome."},
        {"speaker": "Jane Roe", "speech": "word " * 1_000_000}]}))        # 5 MB, one line
    o = one(arch, f)
    assert o.status == "added" and o.turns == 2 and o.chunks > 8000


def test_markup_and_giant_speaker_names_are_text(arch, tmp_path):
    f = tmp_path / "markup.json"
    f.write_text(json.dumps({"ticker": "HTML", "fiscal_year": 2021, "fiscal_quarter": 2, "turns": [
        {"speaker": "<script>alert(1)</script>", "speech": "Hello <b onclick=\"x()\">there</b>."},
        {"speaker": "A" * 10_000, "speech": "Long name."}]}))
    o = one(arch, f)
    assert o.status == "added"
    turns = arch.get_call("HTML-2021Q2")["turns"]
    assert turns[0]["speaker"] == "<script>alert(1)</script>"       # kept verbatim, escaped wherever shown
    assert len(turns[1]["speaker"]) == 200                          # names are cut at 200 characters


def test_an_html_page_is_not_a_transcript(arch, tmp_path):
    f = tmp_path / "page.txt"
    f.write_text("<html><body><script>alert(1)</script><p onload='x()'>Quarterly results are great.</p></body></html>")
    o = one(arch, f)
    assert o.status == "failed" and "not a transcript" in o.message


def test_symlinks_outside_the_folder_are_skipped(arch, tmp_path):
    inside, outside = tmp_path / "in", tmp_path / "out"
    inside.mkdir(), outside.mkdir()
    (outside / "secret.txt").write_text(SEED_TEXT)
    os.symlink(outside / "secret.txt", inside / "link.txt")
    (inside / "seed.txt").write_text(SEED_TEXT)
    report = arch.ingest([inside], meta={"ticker": "KC"})
    assert [os.path.basename(f.path) for f in report.files] == ["seed.txt"]


def test_same_name_in_two_folders(arch, tmp_path):
    for d, ticker in (("a", "AAA"), ("b", "BBB")):
        (tmp_path / d).mkdir()
        (tmp_path / d / "call.txt").write_text(SEED_TEXT)
        (tmp_path / d / "call.meta.json").write_text(json.dumps({"ticker": ticker}))
    report = arch.ingest([tmp_path / "a", tmp_path / "b"])
    assert [(f.status, f.call_id) for f in report.files] == [("added", "AAA-2020Q1"), ("added", "BBB-2020Q1")]


def test_a_file_deleted_during_a_bulk_ingest(arch, tmp_path):
    for i in range(3):
        (tmp_path / f"c{i}.txt").write_text(SEED_TEXT)
        (tmp_path / f"c{i}.meta.json").write_text(json.dumps({"ticker": f"T{i}"}))

    def progress(outcome):
        if outcome.path.endswith("c0.txt"):
            (tmp_path / "c1.txt").unlink()
    report = arch.ingest([tmp_path], progress=progress)
    statuses = [f.status for f in report.files]
    assert statuses == ["added", "failed", "added"]
    assert "cannot read" in report.files[1].message
    assert [c["call_id"] for c in arch.calls()] == ["T0-2020Q1", "T2-2020Q1"]


def test_nothing_stored_changes_when_a_hostile_batch_fails(arch, tmp_path):
    arch.ingest([SEED], meta={"ticker": "KC"})
    before = snapshot(arch)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.json").write_bytes(b"[" * 100_000)
    (bad / "b.txt").write_bytes(os.urandom(5000))
    (bad / "c.json").write_text('{"turns": 5}')
    report = arch.ingest([bad])
    assert [f.status for f in report.files] == ["failed"] * 3
    assert snapshot(arch) == before
