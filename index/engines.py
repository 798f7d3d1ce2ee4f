"""The two legs of a search, as the Searcher sees them: an engine implements one of these (Whoosh in
index.lexical or tantivy in index.tantivy_lexical; FAISS in index.vector). Both take the same filters
(index.filters: {field: value, [values] or (low, high)}) and return [(passage id, score)] best first.

A lexical engine's class also builds, updates and opens its index folder (build(folder, docs, filter_fields),
update(source, folder, delete_field, delete_values, docs, filter_fields), open(folder, filter_fields));
lexical_engine(name) gives the class for an archive's choice (settings.lexical_engine, recorded in each
generation's manifest)."""
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

    def terms(self, text: str) -> frozenset[str]:
        """Every analysed term of a text."""

    def word_share_outside(self, word: str, field: str, value: str) -> float:
        """The share of passages holding the word, not counting those whose field has value."""

    def marks(self, parsed: ParsedQuery, text: str) -> list[tuple[int, int]]:
        """The character spans of text that the query's words match, as this engine reads them (snippets and
        the call viewer mark these)."""

    def doc_frequency(self, term: str) -> int:
        """Passages whose text holds an analysed term (a match's strength weighs the query's words by it)."""

    def __len__(self) -> int: ...

    def close(self) -> None: ...


class VectorEngine(Protocol):
    def search(self, query: np.ndarray, filters: Filters | None = None, limit: int = 100) -> list[tuple[str, float]]:
        """Top passages by inner product with the unit-length query vector."""

    def similarity(self, query: np.ndarray, ids: Sequence[str]) -> dict[str, float]:
        """The exact inner product of the query with each passage named (those in the index)."""


LEXICAL_ENGINES = ("whoosh", "tantivy")
# engine = milvus runs both legs in Milvus (index.milvus_index); these are its dense index kinds
MILVUS_VECTOR_INDEXES = ("auto", "flat", "ivf_flat", "hnsw", "diskann")
DEFAULT_LEXICAL = "whoosh"          # the customer's design names Whoosh


def lexical_engine(name: str):
    """The class of a lexical engine by name, imported on first use (a Whoosh archive never loads tantivy)."""
    if name == "whoosh":
        from .lexical import LexicalIndex
        return LexicalIndex
    if name == "tantivy":
        from .tantivy_lexical import TantivyIndex
        return TantivyIndex
    raise ValueError(f"unknown lexical engine {name!r} (known: {', '.join(LEXICAL_ENGINES)})")
