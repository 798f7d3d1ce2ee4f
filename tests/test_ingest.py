"""Ingest into the SQLite store: idempotence, replacement, duplicates, metadata from sidecars and the caller,
one transaction per call."""
from __future__ import annotations

import json
import shutil

from archive.chunk import windows
from archive.service import Archive

from .conftest import SEED


def _call_json(ticker="ACME", year=2021, quarter=2, answer="Revenue grew nicely this quarter."):
    return {
        "ticker": ticker, "company": "Acme Corp", "fiscal_year": year, "fiscal_quarter": quarter,
        "prepared_remarks": [
            {"speaker": "Operator", "speech": "Welcome to the Acme second quarter call."},
            {"speaker": "Jane Roe", "speech": "Thanks. " + answer + "\nSecond paragraph here."},
            {"speaker": "Duration: 30 minutes", "speech": ""}],
        "q_and_a": [
            {"speaker": "Operator", "speech": "Our first question comes from Sam Poe with Big Bank."},
            {"speaker": "Sam Poe", "speech": "What about margins?"},
            {"speaker": "Jane Roe", "speech": "They rose."}],
        "participants": ["Jane Roe--Chief Executive Officer", "Sam Poe--Big Bank -- Analyst"],
    }


def write(path, data):
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def snapshot(a: Archive):
    db = a.store.db
    return [db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in ("calls", "turns", "chunks", "files")]


def test_ingest_stores_call_turns_chunks_and_file(archive, tmp_path):
    f = write(tmp_path / "acme.json", _call_json())
    report = archive.ingest([f])
    assert report.summary()["added"] == 1 and report.ok
    call = archive.get_call("ACME-2021Q2")
    assert (call["company"], call["fiscal_year"], call["fiscal_quarter"]) == ("Acme Corp", 2021, 2)
    assert [t["turn_id"] for t in call["turns"]] == [f"ACME-2021Q2:t00{i}" for i in range(5)]
    assert [(t["speaker"], t["role"], t["section"]) for t in call["turns"]] == [
        ("Operator", "operator", "prepared"), ("Jane Roe", "executive", "prepared"),
        ("Operator", "operator", "qa"), ("Sam Poe", "analyst", "qa"), ("Jane Roe", "executive", "qa")]
    assert call["turns"][1]["text"].endswith("\n\nSecond paragraph here.")
    assert call["files"][0]["sha256"] and call["files"][0]["format"] == "json-turns"
    assert archive.store.chunks("ACME-2021Q2")[0]["chunk_id"] == "ACME-2021Q2:t000:c00"
    mode = archive.store.db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_reingesting_an_unchanged_file_is_a_noop(archive, tmp_path):
    f = write(tmp_path / "acme.json", _call_json())
    archive.ingest([f])
    before = snapshot(archive)
    report = archive.ingest([f])
    assert [x.status for x in report.files] == ["unchanged"]
    assert snapshot(archive) == before


def test_changed_file_replaces_its_call(archive, tmp_path):
    f = write(tmp_path / "acme.json", _call_json())
    archive.ingest([f])
    write(f, _call_json(answer="Revenue fell sharply this quarter."))
    report = archive.ingest([f])
    assert [x.status for x in report.files] == ["replaced"]
    assert archive.stats()["calls"] == 1
    assert "fell sharply" in archive.get_call("ACME-2021Q2")["turns"][1]["text"]
    # the file now says another period: the old call goes, the new one comes
    write(f, _call_json(quarter=3))
    archive.ingest([f])
    assert [c["call_id"] for c in archive.calls()] == ["ACME-2021Q3"]


def test_same_call_from_two_files_is_reported_not_stored_twice(archive, tmp_path):
    a = write(tmp_path / "a.json", _call_json())
    b = write(tmp_path / "b.json", _call_json(answer="A second vendor's version."))
    report = archive.ingest([a, b])
    assert [x.status for x in report.files] == ["added", "duplicate"]
    assert report.ok                         # reported, not a failure
    assert "ACME-2021Q2" in report.files[1].message and str(a.resolve()) in report.files[1].message
    assert archive.stats()["calls"] == 1
    report = archive.ingest([b], replace=True)
    assert [x.status for x in report.files] == ["replaced"]
    call = archive.get_call("ACME-2021Q2")
    assert "second vendor" in call["turns"][1]["text"]
    assert [f["path"] for f in call["files"]] == [str(b.resolve())]


def test_ticker_from_the_command_line_and_id_without_one(archive, tmp_path):
    bare = tmp_path / SEED.name                            # without the bundled sidecar that names the ticker
    shutil.copy(SEED, bare)
    report = archive.ingest([bare])
    assert report.files[0].call_id == "KINGSOFT-CLOUD-2020Q1"
    report = archive.ingest([bare], meta={"ticker": "KC"})
    assert report.files[0].call_id == "KC-2020Q1" and report.files[0].status == "replaced"
    assert [c["call_id"] for c in archive.calls()] == ["KC-2020Q1"]


def test_sidecar_metadata(archive, tmp_path):
    f = tmp_path / "call.txt"
    shutil.copy(SEED, f)
    (tmp_path / "call.meta.json").write_text(json.dumps({"ticker": "KC", "date": "2020-05-27"}))
    report = archive.ingest([tmp_path])             # a folder: the sidecar is not ingested as a transcript
    assert [(x.status, x.call_id) for x in report.files] == [("added", "KC-2020Q1")]
    assert archive.get_call("KC-2020Q1")["call_date"] == "2020-05-27"


def test_a_failure_while_storing_leaves_the_old_version_intact(archive, tmp_path, monkeypatch):
    f = write(tmp_path / "acme.json", _call_json())
    archive.ingest([f])
    before = snapshot(archive)
    write(f, _call_json(answer="New text that will never be stored."))
    import archive.service as service
    from archive.models import Chunk

    def broken(t, size, overlap):  # two chunks with one id: the INSERT fails midway through the transaction
        c = Chunk("X", f"{t.call_id}:t000", t.call_id, 0, 0, "x", 0, 1)
        return [c, c]
    monkeypatch.setattr(service, "chunk_transcript", broken)
    report = archive.ingest([f])
    assert [x.status for x in report.files] == ["failed"]
    assert snapshot(archive) == before


def test_folder_walk_is_recursive_and_sorted(archive, tmp_path):
    (tmp_path / "b").mkdir()
    write(tmp_path / "b" / "two.json", _call_json(quarter=2))
    write(tmp_path / "one.json", _call_json(quarter=1))
    (tmp_path / "notes.md").write_text("not a transcript")
    report = archive.ingest([tmp_path])
    assert [x.call_id for x in report.files] == ["ACME-2021Q2", "ACME-2021Q1"]  # b/ sorts before one.json


def test_chunk_ids_and_windows(archive, tmp_path):
    long = " ".join(f"word{i}" for i in range(400))
    f = write(tmp_path / "long.json", _call_json(answer=long))
    archive.ingest([f])
    chunks = [c for c in archive.store.chunks("ACME-2021Q2") if c["turn_id"].endswith("t001")]
    assert [c["chunk_id"] for c in chunks] == [f"ACME-2021Q2:t001:c0{i}" for i in range(len(chunks))]
    assert all(len(c["text"].split()) <= archive.settings.chunk_words for c in chunks)
    # 'Thanks.', the 400 words and 'Second paragraph here.': 404 words in windows of 120 sharing 30
    turn = archive.get_call("ACME-2021Q2")["turns"][1]["text"]
    assert len(turn.split()) == 404
    assert len(chunks) == len(windows(404, archive.settings.chunk_words, archive.settings.chunk_overlap)) == 5
