"""Bytes -> text for every reader: encoding detection and the checks that turn junk into a clear refusal."""
from __future__ import annotations

import codecs

from ..errors import InputFileError

# Control characters other than tab, newline, carriage return and form feed.
_STRIP = {c: None for c in list(range(0, 9)) + [11] + list(range(14, 32)) + [127]}
_CONTROL = bytes(list(range(0, 9)) + [11] + list(range(14, 32)) + [127])


def decode(data: bytes, name: str) -> str:
    """Decode a transcript file: UTF-8 (with or without BOM), UTF-16 with a BOM, else cp1252 (Seeking Alpha's
    older files). Raises InputFileError for empty, binary or undecodable files."""
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
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError as e:
                raise InputFileError(f"{name}: undecodable text: neither UTF-8 nor cp1252 "
                                     f"(byte 0x{data[e.start]:02x} at offset {e.start})",
                                     "re-export the file as UTF-8") from None
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    text = text.translate(_STRIP)          # stray NUL and control characters (a few) are dropped
    if not text.strip():
        raise InputFileError(f"{name}: empty file (only whitespace or a byte-order mark)",
                             "nothing to ingest; check the export that wrote it")
    return text
