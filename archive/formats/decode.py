"""Bytes -> text for every reader: encoding detection and repair, and the checks that turn junk into a clear refusal.

Nothing is changed silently: `decode_with_warnings` returns, beside the text, one sentence for each kind of repair
it made (lines read as cp1252, control characters removed, replacement characters found). `decode` is the same
without the sentences.

Encodings (the standard library's codecs; no detection library is needed for the two encodings transcripts come in):

- UTF-16 with a byte-order mark: the whole file.
- Otherwise UTF-8 (with or without a BOM), LINE BY LINE: a line that is valid UTF-8 is read as UTF-8; a line that is
  not is read as cp1252 (Seeking Alpha's older files, and the stray b"\\x92" apostrophe an editor leaves in an
  otherwise UTF-8 file), except the unmistakable UTF-8 characters it also holds (a multi-byte sequence that cp1252
  could only read as mojibake such as 'â€™' or 'Ã©'), which stay UTF-8. So one stray byte costs one line nothing,
  and the rest of the file keeps its UTF-8. A file that is all cp1252 reads as it did when it was decoded whole,
  except a line whose bytes happen to be valid UTF-8 (rare: an accented capital before a curly quote and nothing
  else outside ASCII).
- The five bytes cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) in such a line would be C1 control
  characters read as latin-1, which are not text: they are removed and counted. More of them than one in a thousand
  bytes of the file means it is in some other encoding, and it is refused as undecodable.
- Control characters other than tab, newline, carriage return and form feed (C0, DEL and C1) are removed and
  counted; more than a few in the file's head means a binary file, refused.
"""
from __future__ import annotations

import codecs
import re

from ..errors import InputFileError

# Control characters other than tab, newline, carriage return and form feed: C0, DEL and C1.
_STRIP = {c: None for c in list(range(0, 9)) + [11] + list(range(14, 32)) + list(range(127, 160))}
_STRIP_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_CONTROL = bytes(list(range(0, 9)) + [11] + list(range(14, 32)) + [127])
_CP1252_UNDEFINED = b"\x81\x8d\x8f\x90\x9d"
_MAX_UNDEFINED_SHARE = 0.001        # more cp1252-undefined bytes than this share of the file: another encoding
_LINES = re.compile(rb"(\r\n|\r|\n)")
# UTF-8 sequences that cp1252 can only read as mojibake: a 3- or 4-byte sequence ('â€™' for ’), or a 2-byte one led
# by 0xC2 or 0xC3 ('Â£' for £, 'Ã©' for é). A 2-byte sequence with another lead is left to cp1252: an accented
# capital before a curly quote (b"\xc9\x92", 'É’') is valid UTF-8 by chance.
_UTF8_CHAR = re.compile(rb"[\xc2\xc3][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _drop_undefined(e: UnicodeDecodeError):
    """cp1252's five undefined bytes: latin-1 would make them C1 control characters, which are not text."""
    return "", e.end


codecs.register_error("_archive_cp1252_undefined", _drop_undefined)


def _cp1252(b: bytes) -> tuple[str, int]:
    """cp1252 -> (text, bytes undefined in cp1252, which are removed)."""
    undefined = len(b) - len(b.translate(None, _CP1252_UNDEFINED))
    return b.decode("cp1252", errors="_archive_cp1252_undefined" if undefined else "strict"), undefined


def _repair_line(line: bytes) -> tuple[str, int]:
    """A line that is not valid UTF-8 -> (text, bytes undefined in cp1252): cp1252 (its five undefined bytes
    removed), keeping the unmistakable UTF-8 characters the line holds."""
    if not _UTF8_CHAR.search(line):
        return _cp1252(line)
    out, at, undefined = [], 0, 0
    for m in _UTF8_CHAR.finditer(line):
        try:
            char = m.group().decode("utf-8")
        except UnicodeDecodeError:           # e.g. an overlong or surrogate sequence: cp1252 bytes after all
            continue
        text, n = _cp1252(line[at:m.start()])
        out += [text, char]
        undefined, at = undefined + n, m.end()
    text, n = _cp1252(line[at:])
    out.append(text)
    return "".join(out), undefined + n


def _mixed(data: bytes, name: str, warnings: list[str]) -> str:
    """A file that is not valid UTF-8 as a whole, read line by line (module docstring)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    parts = _LINES.split(data)               # line, separator, line, separator, ..., line
    out, repaired, undefined, first_undefined = [], [], 0, None
    for i in range(0, len(parts), 2):
        line = parts[i]
        try:
            out.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            text, n = _repair_line(line)
            out.append(text)
            repaired.append(i // 2 + 1)
            if n and first_undefined is None:
                first_undefined = i // 2 + 1
            undefined += n
        if i + 1 < len(parts):
            out.append(parts[i + 1].decode("ascii"))
    if undefined > len(data) * _MAX_UNDEFINED_SHARE:
        raise InputFileError(f"{name}: undecodable text: neither UTF-8 nor cp1252 ({undefined} bytes undefined "
                             f"in cp1252, the first on line {first_undefined})", "re-export the file as UTF-8")
    n = len(repaired)
    if n:
        warnings.append(f"{_plural(n, 'line was', 'lines were')} not UTF-8 and {'was' if n == 1 else 'were'} "
                        f"read as cp1252 ({'line' if n == 1 else 'first: line'} {repaired[0]})")
    if undefined:
        warnings.append(f"{_plural(undefined, 'byte', 'bytes')} undefined in cp1252 (0x81, 0x8D, 0x8F, 0x90, 0x9D) "
                        f"removed (first: line {first_undefined}): "
                        f"{'the character it stood for is' if undefined == 1 else 'the characters they stood for are'} "
                        "unknown")
    return "".join(out)


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def decode_with_warnings(data: bytes, name: str) -> tuple[str, list[str]]:
    """Decode a transcript file (module docstring) -> (text, warnings: one sentence per kind of repair made).
    Raises InputFileError for empty, binary or undecodable files."""
    warnings: list[str] = []
    if not data.strip():
        raise InputFileError(f"{name}: empty file", "nothing to ingest; check the scraper or export that wrote it")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise InputFileError(f"{name}: undecodable UTF-16 text ({e.reason} at byte {e.start})",
                                 "re-export the file as UTF-8") from None
    else:
        sample = data[:65536]
        nul = sample.count(0)
        controls = len(sample) - len(sample.translate(None, _CONTROL))
        if nul > len(sample) * 0.001 or controls > len(sample) * 0.01:
            raise InputFileError(f"{name}: binary file, not text ({nul} NUL and {controls} control bytes "
                                 f"in the first {len(sample)} bytes)",
                                 "give a plain-text or JSON transcript")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = _mixed(data, name, warnings)
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    first = _STRIP_RE.search(text)
    if first:
        before = len(text)
        line = _line_of(text, first.start())
        text = text.translate(_STRIP)
        warnings.append(f"{_plural(before - len(text), 'control character', 'control characters')} removed "
                        f"(first: line {line})")
    if not text.strip():
        raise InputFileError(f"{name}: empty file (only whitespace or a byte-order mark)",
                             "nothing to ingest; check the export that wrote it")
    lost = text.count("\ufffd")
    if lost:
        warnings.append(f"{_plural(lost, 'replacement character', 'replacement characters')} (U+FFFD) in the text "
                        f"(first: line {_line_of(text, text.index(chr(0xFFFD)))}): some characters were lost "
                        "before this file was made")
    return text, warnings


def decode(data: bytes, name: str) -> str:
    """The text of `decode_with_warnings`, for callers that do not report repairs."""
    return decode_with_warnings(data, name)[0]
