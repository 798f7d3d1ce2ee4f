"""Turns -> chunks: word windows inside one turn (never across turns or speakers), sized for the embedding
model's 256-word-piece window, overlapping, deterministic. Pure functions."""
from __future__ import annotations

import re

from .models import Chunk, Transcript, chunk_id, turn_id

_WORD = re.compile(r"\S+")


def windows(n_words: int, size: int, overlap: int) -> list[tuple[int, int]]:
    """Word ranges [start, end) covering n_words: one window when the turn is short; else windows of `size`
    words every `size - overlap` words, the last one aligned to the end (so no tiny tail)."""
    if n_words <= size:
        return [(0, n_words)]
    stride = max(1, size - overlap)
    out = []
    start = 0
    while start + size < n_words:
        out.append((start, start + size))
        start += stride
    out.append((n_words - size, n_words))
    return out


def chunk_turn(text: str, call: str, position: int, size: int, overlap: int) -> list[Chunk]:
    words = list(_WORD.finditer(text))
    tid = turn_id(call, position)
    chunks = []
    for i, (a, b) in enumerate(windows(len(words), size, overlap)):
        start, end = words[a].start(), words[b - 1].end()
        chunks.append(Chunk(chunk_id(tid, i), tid, call, position, i, text[start:end], start, end))
    return chunks


def chunk_transcript(t: Transcript, size: int, overlap: int) -> list[Chunk]:
    cid = t.call_id
    return [c for turn in t.turns for c in chunk_turn(turn.text, cid, turn.position, size, overlap)]
