"""Text repair before any layout is read (issue 13): mixed encodings repaired line by line, control characters and
replacement characters reported, <script>/<style>/comment markup removed from plain text, and every repair named
in `PageText.warnings`. The transcripts below are made up."""
from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from archive.errors import InputFileError
from archive.formats import read_file
from archive.formats.decode import decode, decode_with_warnings
from archive.formats.extract import PageText, to_text

TXT = Path("x.txt")

LINES = [
    "Operator: Good morning, and welcome to the Acme Corp first quarter 2021 earnings call.",
    "Jane Roe: Thank you. Revenue rose 5% to €12 million, and the café unit did well.",
    "John Smith: Our margin was <10% of revenue, and we’re pleased with that.",
    "Operator: Our first question comes from Ann Lee with Example Securities.",
    "Ann Lee: What about costs? Revenue < cost last year, wasn’t it?",
    "Jane Roe: Costs fell. Thank you all for joining.",
]


def transcript(lines=LINES) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def stray_byte_file() -> bytes:
    """UTF-8, except one line whose apostrophe is the cp1252 byte 0x92."""
    data = transcript()
    bad = "Ann Lee: What about costs? It".encode() + b"\x92" + b"s a fair question."
    return data.replace(LINES[4].encode(), bad)


# ---- encodings ---------------------------------------------------------------------------------------------------

def test_one_stray_cp1252_byte_costs_nothing_else():
    page = to_text(stray_byte_file(), TXT)
    assert "Ann Lee: What about costs? It’s a fair question." in page.text       # 0x92 -> ’
    assert "€12 million" in page.text and "café" in page.text and "we’re" in page.text    # UTF-8 elsewhere intact
    assert "â€" not in page.text and "Ã©" not in page.text                          # no mojibake
    assert page.warnings == ["1 line was not UTF-8 and was read as cp1252 (line 5)"]


def test_a_line_holding_both_keeps_its_utf8():
    data = "Jane Roe: The café’s menu".encode() + b" \x96 " + "€5 – cheap".encode() + b"\n" + transcript()
    text, warnings = decode_with_warnings(data, "x.txt")
    assert text.startswith("Jane Roe: The café’s menu – €5 – cheap\n")
    assert warnings == ["1 line was not UTF-8 and was read as cp1252 (line 1)"]


def test_many_lines_counted_first_named():
    data = transcript()
    for i in (1, 2):
        data = data.replace(LINES[i].encode(), LINES[i].encode("cp1252"))
    text, warnings = decode_with_warnings(data, "x.txt")
    assert text == transcript().decode()
    assert warnings == ["2 lines were not UTF-8 and were read as cp1252 (first: line 2)"]


def test_a_cp1252_file_reads_as_before():
    data = transcript().decode().encode("cp1252")
    text, warnings = decode_with_warnings(data, "x.txt")
    assert text == transcript().decode()
    assert len(warnings) == 1 and warnings[0].startswith("3 lines were not UTF-8")


def test_line_endings_are_kept_apart_while_repairing():
    data = stray_byte_file().replace(b"\n", b"\r")
    page = to_text(data, TXT)
    assert page.text.count("\n") == len(LINES) and "It’s a fair" in page.text and "café" in page.text
    assert page.warnings == ["1 line was not UTF-8 and was read as cp1252 (line 5)"]


def test_a_byte_cp1252_leaves_undefined_is_removed_and_named():
    data = transcript() * 20 + b"Operator: Thank you\x81 for joining\x92s.\n"
    text, warnings = decode_with_warnings(data, "x.txt")
    assert text.endswith("Operator: Thank you for joining’s.\n") and "\x81" not in text
    assert warnings[0] == "1 line was not UTF-8 and was read as cp1252 (line 121)"
    assert warnings[1].startswith("1 byte undefined in cp1252") and "line 121" in warnings[1]
    assert len(warnings) == 2                       # not counted again as a control character


def test_many_undefined_bytes_mean_another_encoding():
    with pytest.raises(InputFileError, match="undecodable text: neither UTF-8 nor cp1252"):
        decode(b"Operator\nWelcome \x81\x8d\x9d to the call.\nOperator\n", "x.txt")


def test_utf8_with_bom_and_utf16_are_clean():
    for data in (codecs.BOM_UTF8 + transcript(), transcript().decode().encode("utf-16")):
        text, warnings = decode_with_warnings(data, "x.txt")
        assert text == transcript().decode() and warnings == []


def test_binary_is_still_refused():
    with pytest.raises(InputFileError, match="binary file"):
        decode(bytes(range(256)) * 40, "x.bin")


def test_decode_still_returns_text():
    assert decode(stray_byte_file(), "x.txt") == to_text(stray_byte_file(), TXT).text


# ---- control and replacement characters --------------------------------------------------------------------------

def test_control_characters_are_counted():
    data = transcript() * 20
    data = data.replace(b"Thank you", b"Thank\x00 you", 3).replace(b"Operator", b"Oper\x07ator", 1)
    data += "Operator: NEL\u0085 too.\n".encode()           # a C1 control, valid UTF-8
    page = to_text(data, TXT)
    assert "\x00" not in page.text and "\x07" not in page.text and "\x85" not in page.text
    assert page.text.startswith("Operator: Good morning") and "Thank you" in page.text
    assert page.warnings == ["5 control characters removed (first: line 1)"]


def test_replacement_characters_are_reported():
    data = transcript().replace("café".encode(), "caf\ufffd".encode()).replace(b"we", "w\ufffd".encode(), 1)
    page = to_text(data, TXT)
    assert "caf\ufffd" in page.text                                 # kept: the reader sees where text was lost
    assert page.warnings == ["2 replacement characters (U+FFFD) in the text (first: line 1): some characters were "
                             "lost before this file was made"]


def test_clean_text_has_no_warnings():
    page = to_text(transcript(), TXT)
    assert isinstance(page, PageText) and page.warnings == [] and PageText("x").warnings == []


# ---- markup in plain text ----------------------------------------------------------------------------------------

SCRIPTED = (LINES[:2] + ['<script type="text/javascript">', "  var trackingPixel = load('beacon');",
                         "  if (a < b) { sendBeacon(); }", "</script>"] + LINES[2:4]
            + ["<STYLE>.speaker { colour: red }</STYLE>", "<!-- advertisement slot -->"] + LINES[4:])


def test_script_style_and_comments_are_not_text():
    page = to_text(transcript(SCRIPTED), TXT)
    for junk in ("trackingPixel", "sendBeacon", "colour", "advertisement", "<script", "</style", "<!--"):
        assert junk not in page.text, junk
    assert page.text == transcript().decode()                       # whole lines removed, nothing else touched
    assert page.warnings == ["2 script/style blocks and 1 HTML comment removed (markup, not speech; first: line 3)"]


def test_angle_brackets_in_speech_survive():
    text = "Jane Roe: Margins were <10% of revenue; revenue < cost; <b>bold</b> and a -> b.\n"
    page = to_text(text.encode(), TXT)
    assert page.text == text and page.warnings == []


def test_inline_and_self_closing_and_unclosed_blocks():
    text = ("Jane Roe: Revenue <script>track()</script>rose.\n"
            "John Smith: Costs <sCrIpT\n>multi\nline</script > fell.\n"
            '<script src="app.js" />\n'
            "Operator: Thank you.\n"
            "<script>var tail = 1;\nmore();\n")
    page = to_text(text.encode(), TXT)
    assert page.text == "Jane Roe: Revenue  rose.\nJohn Smith: Costs \n fell.\nOperator: Thank you.\n"
    assert page.warnings[0] == "4 script/style blocks removed (markup, not speech; first: line 1)"
    assert page.warnings[1].startswith("an unclosed <script> (line 7) was removed to the end of the file (2 lines)")


def test_a_file_of_markup_only_is_refused():
    with pytest.raises(InputFileError, match="no text outside"):
        to_text(b"<script>only()</script>\n<!-- nothing -->\n", TXT)


def test_json_values_are_left_as_they_are():
    data = json.dumps({"turns": [{"speaker": "<script>alert(1)</script>", "speech": "Hi <!-- x -->"}]}).encode()
    assert to_text(data, Path("x.json")).text == data.decode()
    assert to_text(data, TXT).text == data.decode()                 # JSON by its content, whatever the name


def test_a_real_web_page_still_goes_to_the_page_reader():
    html = ("<!doctype html><html><head><script>var x = 1;</script></head><body>"
            + "".join(f"<p>{line}</p>" for line in LINES) + "</body></html>").encode()
    page = to_text(html, TXT)
    assert page.kind == "html" and "var x" not in page.text and "Jane Roe" in page.text


# ---- end to end: the repaired text is what the turns hold --------------------------------------------------------

def test_read_file_turns_hold_the_repaired_text(tmp_path):
    f = tmp_path / "call.txt"
    lines = [line.encode() for line in LINES]
    lines[1] = lines[1].replace(b"rose 5%", b"rose\x07 5%")                        # a BEL
    lines[4] = b"Ann Lee: What about costs? Revenue < cost, wasn\x92t it?"          # a cp1252 apostrophe
    lines[2:2] = [b"<script>", b"var spy = document.cookie;", b"</script>"]          # markup between turns
    f.write_bytes(b"\n".join(lines) + b"\n")
    reading = read_file(f)
    turns = [(t.speaker, t.text) for t in reading.transcript.turns]
    assert [s for s, _ in turns] == ["Operator", "Jane Roe", "John Smith", "Operator", "Ann Lee", "Jane Roe"]
    texts = "\n".join(t for _, t in turns)
    assert "Revenue < cost, wasn’t it?" in texts and "€12 million" in texts and "café" in texts
    assert "we’re pleased" in texts and "<10% of revenue" in texts
    assert "spy" not in texts and "cookie" not in texts and "\x07" not in texts and "rose 5%" in texts
    assert reading.page.warnings == [
        "1 line was not UTF-8 and was read as cp1252 (line 8)",
        "1 control character removed (first: line 2)",
        "1 script/style block removed (markup, not speech; first: line 3)"]


def test_ingest_reports_the_repairs_never_silently(tmp_path):
    """The warnings reach the ingest report, its JSON and the command's output."""
    import json as _json

    from click.testing import CliRunner

    from archive.cli import main
    f = tmp_path / "call.txt"
    lines = ["Operator: Good morning and welcome to the call.", "Jane Roe: Revenue grew five percent.",
             "John Poe: What about margins next year?", "Jane Roe: Margins should improve as costs fall.",
             "John Poe: Thank you.", "Operator: That concludes the call."]
    data = "\n".join(lines).encode("utf-8").replace(b"Revenue grew", b"Revenue grew \x92strongly\x92")
    f.write_bytes(data)
    r = CliRunner().invoke(main, ["--home", str(tmp_path / "h"), "ingest", "--no-index", "--json", str(f)])
    report = _json.loads(r.output)
    assert report["summary"]["with_warnings"] == 1
    assert any("read as cp1252" in w for w in report["files"][0]["warnings"])
    r = CliRunner().invoke(main, ["--home", str(tmp_path / "h2"), "ingest", "--no-index", str(f)])
    assert "warning: " in r.output and "read as cp1252" in r.output


def test_inspect_shows_the_repairs(tmp_path):
    from archive.config import Settings
    from archive.formats.report import render
    from archive.service import Archive
    f = tmp_path / "call.txt"
    lines = ["Operator: Good morning and welcome to the call.", "Jane Roe: Revenue grew five percent.",
             "John Poe: What about margins next year?", "Jane Roe: Margins should improve as costs fall.",
             "John Poe: Thank you.", "Operator: That concludes the call."]
    f.write_bytes("\n".join(lines).encode("utf-8").replace(b"Revenue grew", b"Revenue grew \x92strongly\x92"))
    with Archive.open(Settings(home=tmp_path / "h", encoder="hash")) as a:
        d = a.inspect(f)
    assert d["ok"] and any("read as cp1252" in w for w in d["warnings"])
    assert "warning   1 line was not UTF-8" in render(d)
