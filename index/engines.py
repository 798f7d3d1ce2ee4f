"""The two legs of a search, as the Searcher sees them: an engine implements one of these (Whoosh in
index.lexical and FAISS in index.vector today). Both take the same filters (index.filters: {field: value,
[values] or (low, high)}) and return [(passage id, score)] best first."""
from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np

from .filters import Filters
from .query import ParsedQuery


class LexicalEngine(Protocol):
    def search(self, parsed: ParsedQuery, filters: Filters | None = None, limit: int = 100, *, prune: bool = True,
               fields: Sequence[str] = ("text", "context")) -> list[tuple[str, float]]:
        """Top passages by BM25 for the parsed query; prune=False counts every word (for trends)."""

    def terms_by_position(self, text: str) -> list[list[str]]:
        """The analysed terms of a text, grouped by position (for highlighting)."""

    def word_share_outside(self, word: str, field: str, value: str) -> float:
        """The share of passages holding the word, not counting those whose field has value."""

    def close(self) -> None: ...


class VectorEngine(Protocol):
    def search(self, query: np.ndarray, filters: Filters | None = None, limit: int = 100) -> list[tuple[str, float]]:
        """Top passages by inner product with the unit-length query vector."""
