"""Ids that never collide, duplicates by content and metadata (never only a name), and ingest that never blocks
on a special file."""
from __future__ import annotations

import os
import threading

import pytest

from archive.config import Settings
from archive.service import Archive

CALL_A = ("Operator: Good morning and welcome.\nJane Roe: Revenue rose five percent on strong demand.\n"
          "John Poe: What about margins next year?\nJane Roe: Margins should improve as costs fall.\n"
          "Operator: That concludes the call.\n")
CALL_B = ("Operator: Hello everyone.\nMary Major: Services grew twelve percent this quarter.\n"
          "Richard Miles: How is China doing?\nMary Major: China was down slightly year over year.\n"
          "Operator: Thank you all.\n")


@pytest.fixture
def archive(tmp_path):
    a = Archive.open(Settings(home=tmp_path / "home", encoder="hash"))
    yield a
    a.close()


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_two_different_calls_with_one_file_name_are_both_stored(archive, tmp_path):
    a = write(tmp_path / "a" / "AAPL_Q1.txt", CALL_A)
    b = write(tmp_path / "b" / "AAPL_Q1.txt", CALL_B)
    report = archive.ingest([tmp_path / "a", tmp_path / "b"])
    assert [f.status for f in report.files] == ["added", "added"], report.to_dict()
    ids = [f.call_id for f in report.files]
    assert len(set(ids)) == 2 and ids[0] == "AAPL-Q1" and ids[1].startswith("AAPL-Q1-")
    assert {t["speaker"] for t in archive.get_call(ids[1])["turns"]} >= {"Mary Major", "Richard Miles"}
    # ingesting both again changes nothing, and keeps each id
    again = archive.ingest([a, b])
    assert [(f.status, f.call_id) for f in again.files] == [("unchanged", ids[0]), ("unchanged", ids[1])]


def test_the_same_bytes_under_another_name_are_one_call(archive, tmp_path):
    write(tmp_path / "a" / "AAPL_Q1.txt", CALL_A)
    write(tmp_path / "copy" / "apple call.txt", CALL_A)
    report = archive.ingest([tmp_path / "a", tmp_path / "copy"])
    assert [f.status for f in report.files] == ["added", "duplicate"]
    assert "the same bytes as AAPL-Q1" in report.files[1].message
    assert archive.stats()["calls"] == 1


def test_calls_that_say_who_and_when_are_duplicates_by_that(archive, tmp_path):
    """Two files that both say they are Acme's Q1 2021 call are one call, whatever their names and bytes."""
    head = "Acme Corp (ACME) Q1 2021 Earnings Call\n"
    write(tmp_path / "x" / "one.txt", head + CALL_A)
    write(tmp_path / "y" / "two.txt", head + CALL_A.replace("five", "5"))
    report = archive.ingest([tmp_path / "x", tmp_path / "y"])
    assert [f.status for f in report.files] == ["added", "duplicate"]
    assert report.files[0].call_id == "ACME-2021Q1"


def test_existing_ids_are_kept(archive, tmp_path):
    f = write(tmp_path / "a" / "AAPL_Q1.txt", CALL_A)
    first = archive.ingest([f]).files[0].call_id
    write(f, CALL_A.replace("five", "six"))            # the file changes: same id, replaced
    again = archive.ingest([f]).files[0]
    assert (again.status, again.call_id) == ("replaced", first)


def test_a_named_pipe_never_blocks_ingest(archive, tmp_path):
    folder = tmp_path / "in"
    write(folder / "a.txt", CALL_A)
    os.mkfifo(folder / "x.txt")
    out = {}
    worker = threading.Thread(target=lambda: out.update(report=archive.ingest([folder, folder / "x.txt"])),
                              daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "ingest blocked on a named pipe"
    by_path = {os.path.basename(f.path): f for f in out["report"].files}
    assert by_path["a.txt"].status == "added"
    assert by_path["x.txt"].status == "failed" and "not a regular file (a named pipe)" in by_path["x.txt"].message


def test_inspect_refuses_a_pipe_at_once(archive, tmp_path):
    os.mkfifo(tmp_path / "p.txt")
    from archive.errors import InputFileError
    with pytest.raises(InputFileError, match="not a regular file"):
        archive.inspect(tmp_path / "p.txt")
