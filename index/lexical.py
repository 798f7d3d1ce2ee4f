"""Lexical leg: Whoosh BM25F over passages, with keyword and integer filter fields. Builds Whoosh query objects
from the parsed query language (index.query), never from raw user text. Returns (id, score) lists."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Mapping

from whoosh import fields as wf
from whoosh import index as wi
from whoosh import query as wq
from whoosh import scoring
from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter

from .filters import INTEGER, KEYWORD, normalized
from .query import ParsedQuery

# Money, percentages and decimals stay whole ($0.83, 10%, 1,200); words keep inner hyphens, apostrophes and
# ampersands (non-GAAP, S&P, 10-K, Q3).
TOKEN_PATTERN = r"\$?\d[\d,]*(?:\.\d+)?%?|[^\W_]+(?:['’&-][^\W_]+)*"


class CompoundFilter(Filter):
    """After 'non-gaap' also emit 'non' and 'gaap' at the same position, so either form finds it."""

    def __call__(self, tokens):
        for t in tokens:
            yield t
            if "-" in t.text or "&" in t.text:
                for part in re.split(r"[-&]", t.text):
                    if part and part != t.text:
                        c = t.copy()
                        c.text = part
                        yield c


class PossessiveFilter(Filter):
    def __call__(self, tokens):
        for t in tokens:
            if t.text.endswith(("'s", "’s")):
                t.text = t.text[:-2]
            yield t


def analyzer():
    return (RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | PossessiveFilter() | CompoundFilter()
            | StopFilter() | StemFilter(cachesize=50000))


def _schema(filter_fields: Mapping[str, str]) -> wf.Schema:
    spec = {"id": wf.ID(stored=True, unique=True), "text": wf.TEXT(analyzer=analyzer(), phrase=True)}
    for name, kind in filter_fields.items():
        spec[name] = wf.NUMERIC(int, bits=32, signed=True) if kind == INTEGER else wf.ID()
    return wf.Schema(**spec)


class LexicalIndex:
    def __init__(self, ix, filter_fields: Mapping[str, str]):
        self.ix = ix
        self.filter_fields = dict(filter_fields)
        self.analyzer = analyzer()
        self._searcher = None

    @classmethod
    def build(cls, folder: Path, docs: Iterable[dict], filter_fields: Mapping[str, str], *,
              limitmb: int = 256, progress=None) -> "LexicalIndex":
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        ix = wi.create_in(str(folder), _schema(filter_fields))
        writer = ix.writer(limitmb=limitmb)
        try:
            for n, doc in enumerate(docs, 1):
                fields = {"id": doc["id"], "text": doc["text"]}
                for name, kind in filter_fields.items():
                    value = doc.get(name)
                    if value is not None:
                        fields[name] = int(value) if kind == INTEGER else str(value).lower()
                writer.add_document(**fields)
                if progress and n % 1000 == 0:
                    progress(n)
            writer.commit(optimize=True)
        except BaseException:
            writer.cancel()
            raise
        return cls(ix, filter_fields)

    @classmethod
    def open(cls, folder: Path, filter_fields: Mapping[str, str]) -> "LexicalIndex":
        return cls(wi.open_dir(str(folder)), filter_fields)

    def close(self):
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    @property
    def searcher(self):
        if self._searcher is None:
            self._searcher = self.ix.searcher(weighting=scoring.BM25F(B=0.75, K1=1.2))
        return self._searcher

    def __len__(self) -> int:
        return self.ix.doc_count()

    # ---- query building ------------------------------------------------------------------------------------------

    def _terms(self, text: str) -> list[list[str]]:
        """Analyzed tokens grouped by position: [['non-gaap', 'non', 'gaap'], ['ep']]."""
        by_pos: dict[int, list[str]] = {}
        for t in self.analyzer(text, positions=True):
            by_pos.setdefault(t.pos, []).append(t.text)
        return [by_pos[p] for p in sorted(by_pos)]

    def _clause(self, clause) -> wq.Query | None:
        groups = self._terms(clause.text)
        if not groups:
            return None
        if clause.phrase and len(groups) > 1:
            return wq.Phrase("text", [g[0] for g in groups])
        parts = [wq.Term("text", g[0]) for g in groups]
        return parts[0] if len(parts) == 1 else wq.And(parts)

    def to_query(self, parsed: ParsedQuery, *, require_all: bool = False) -> wq.Query | None:
        """Words are scored with OR (or all required with require_all); phrases are always required;
        exclusions are removed."""
        scored, required = [], []
        for group in parsed.groups:
            alternatives = [q for q in (self._clause(c) for c in group) if q is not None]
            if not alternatives:
                continue
            q = alternatives[0] if len(alternatives) == 1 else wq.Or(alternatives)
            (required if (len(group) == 1 and group[0].phrase) else scored).append(q)
        if not scored and not required:
            return None
        if require_all:
            base = wq.And(required + scored)
        elif required:
            base = wq.And(required) if not scored else wq.AndMaybe(wq.And(required), wq.Or(scored))
        else:
            base = wq.Or(scored) if len(scored) > 1 else scored[0]
        excluded = [q for q in (self._clause(c) for c in parsed.excluded) if q is not None]
        return wq.AndNot(base, wq.Or(excluded)) if excluded else base

    def filter_query(self, filters) -> wq.Query | None:
        parts = []
        for name, spec in normalized(filters, self.filter_fields).items():
            if spec[0] == "range":
                parts.append(wq.NumericRange(name, spec[1], spec[2]))
            else:
                terms = [wq.Term(name, v) for v in spec[1]]
                parts.append(terms[0] if len(terms) == 1 else wq.Or(terms))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.And(parts)

    # ---- search --------------------------------------------------------------------------------------------------

    def search(self, parsed: ParsedQuery, filters=None, limit: int = 100, *, require_all: bool = False
               ) -> list[tuple[str, float]]:
        q = self.to_query(parsed, require_all=require_all)
        if q is None:
            return []
        results = self.searcher.search(q, filter=self.filter_query(filters), limit=limit)
        return [(hit["id"], float(hit.score)) for hit in results]

    def term_counts(self, text: str) -> list[tuple[str, int]]:
        """Document frequency of each analyzed term of text (for query-shape decisions and explain output)."""
        reader = self.searcher.reader()
        return [(g[0], reader.doc_frequency("text", g[0])) for g in self._terms(text)]


def stem_word(word: str) -> str:
    """The stem the index uses for a lower-case word (for highlighting)."""
    from whoosh.lang.porter import stem
    return stem(word.strip(".,;:"))
