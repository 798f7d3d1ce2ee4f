"""Lexical leg: Whoosh BM25F over passages, with keyword and integer filter fields. Builds Whoosh query objects
from the parsed query language (index.query), never from raw user text. Returns (id, score) lists."""
from __future__ import annotations

import contextlib
import functools
import re
import shutil
import threading
from pathlib import Path
from typing import Iterable, Mapping

from whoosh import fields as wf
from whoosh import index as wi
from whoosh import query as wq
from whoosh import scoring
from whoosh.analysis import STOP_WORDS, Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter  # noqa: F401

from .filters import INTEGER, KEYWORD, normalized
from .generations import link_tree
from .query import FIGURE_BOOST, ParsedQuery, is_figure

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
    spec = {"id": wf.ID(stored=True, unique=True), "text": wf.TEXT(analyzer=analyzer(), phrase=True),
            "context": wf.TEXT(analyzer=analyzer(), phrase=True)}
    for name, kind in filter_fields.items():
        spec[name] = wf.NUMERIC(int, bits=32, signed=True) if kind == INTEGER else wf.ID()
    return wf.Schema(**spec)


def _fields(doc: dict, filter_fields: Mapping[str, str]) -> dict:
    fields = {"id": doc["id"], "text": doc["text"]}
    if doc.get("context"):
        fields["context"] = doc["context"]
    for name, kind in filter_fields.items():
        value = doc.get(name)
        if value is not None:
            fields[name] = int(value) if kind == INTEGER else str(value).lower()
    return fields


class LexicalIndex:
    MAX_DF = 0.02          # words in more than this share of passages are dropped from an unfiltered OR ...
    MAX_TERMS = 6          # ... and at most this many of the rarest words are kept
    SELECTIVE = 0.05       # a filter leaving at most this share of passages is walked with every word
    MAX_SEARCHERS = 2      # Whoosh searchers open at once (see __init__)

    def __init__(self, ix, filter_fields: Mapping[str, str]):
        self.ix = ix
        self.filter_fields = dict(filter_fields)
        self.analyzer = analyzer()
        # Whoosh searchers are not thread-safe and each holds about 150 MB of reader state for a corpus of
        # 170,000 passages; Whoosh is pure Python, so threads gain little from more searchers than cores (the
        # GIL runs one at a time): a search borrows one of at most MAX_SEARCHERS, waiting for one if need be.
        self._slots = threading.BoundedSemaphore(self.MAX_SEARCHERS)
        self._idle: list = []
        self._searchers: list = []
        self._local = threading.local()
        self._lock = threading.Lock()
        self._marked: dict[ParsedQuery, frozenset[str]] = {}     # a query's terms, for marks

    @classmethod
    def build(cls, folder: Path, docs: Iterable[dict], filter_fields: Mapping[str, str], *,
              limitmb: int = 256, progress=None) -> "LexicalIndex":
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        ix = wi.create_in(str(folder), _schema(filter_fields))
        writer = ix.writer(limitmb=limitmb)
        try:
            for n, doc in enumerate(docs, 1):
                writer.add_document(**_fields(doc, filter_fields))
                if progress and n % 1000 == 0:
                    progress(n)
            writer.commit(optimize=True)
        except BaseException:
            writer.cancel()
            raise
        return cls(ix, filter_fields)

    @classmethod
    def update(cls, source: Path, folder: Path, delete_field: str, delete_values: Iterable[str], docs: Iterable[dict],
               filter_fields: Mapping[str, str], *, limitmb: int = 256) -> "LexicalIndex":
        """A copy of the index at source, in folder, without the documents whose delete_field has one of
        delete_values and with docs added. The source is never written."""
        folder = Path(folder)
        # Whoosh never rewrites a segment file (a commit adds segments and a new table of contents), so the
        # copy can share the source's files by hard links.
        link_tree(source, folder, ignore=shutil.ignore_patterns("*LOCK"))
        ix = wi.open_dir(str(folder))
        writer = ix.writer(limitmb=limitmb)
        try:
            for value in delete_values:
                writer.delete_by_term(delete_field, str(value).lower())
            for doc in docs:
                writer.add_document(**_fields(doc, filter_fields))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        return cls(ix, filter_fields)

    @classmethod
    def open(cls, folder: Path, filter_fields: Mapping[str, str]) -> "LexicalIndex":
        return cls(wi.open_dir(str(folder)), filter_fields)

    def close(self):
        with self._lock:
            for x in self._searchers:
                x.close()
            self._searchers, self._idle = [], []

    @contextlib.contextmanager
    def _searcher(self):
        """An idle searcher for this thread's use (the one it already holds, in a nested call)."""
        held = getattr(self._local, "held", None)
        if held is not None:
            yield held
            return
        self._slots.acquire()
        try:
            with self._lock:
                x = self._idle.pop() if self._idle else None
            if x is None:
                x = self.ix.searcher(weighting=scoring.BM25F(B=0.75, K1=1.2))
                with self._lock:
                    self._searchers.append(x)
            self._local.held = x
            try:
                yield x
            finally:
                self._local.held = None
                with self._lock:
                    self._idle.append(x)
        finally:
            self._slots.release()

    @property
    def searchers_open(self) -> int:
        return len(self._searchers)

    def __len__(self) -> int:
        with self._searcher() as x:
            return x.doc_count()        # ix.doc_count() would open a new reader (tens of ms) each time

    def word_share_outside(self, word: str, field: str, value: str) -> float:
        """The share of passages whose text holds the word, not counting those whose field has value (1.0 for
        a stopword)."""
        groups = self.terms_by_position(word)
        if not groups:
            return 1.0
        term = groups[0][0]
        with self._searcher() as x:
            reader = x.reader()
            inside = sum(1 for _ in x.docs_for_query(
                wq.And([wq.Term("text", term), wq.Term(field, str(value).lower())])))
            return (reader.doc_frequency("text", term) - inside) / max(1, reader.doc_count())

    def doc_frequency(self, term: str) -> int:
        """Passages whose text holds the analysed term."""
        with self._searcher() as x:
            return x.reader().doc_frequency("text", term)

    # ---- query building ------------------------------------------------------------------------------------------

    def marks(self, parsed: ParsedQuery, text: str) -> list[tuple[int, int]]:
        """The character spans of text holding a word of the query (a word, an OR alternative or a phrase's
        words, as this analyzer reads them; stopwords never), for highlighting."""
        terms = self._mark_terms(parsed)
        if not terms:
            return []
        return list(dict.fromkeys((t.startchar, t.endchar) for t in self.analyzer(text, chars=True)
                                  if t.text in terms))

    def _mark_terms(self, parsed: ParsedQuery) -> frozenset[str]:
        terms = self._marked.get(parsed)
        if terms is None:
            stop = _stop_stems()
            terms = frozenset(t for c in parsed.words for g in self.terms_by_position(c) for t in g if t not in stop)
            if len(self._marked) > 256:
                self._marked.clear()
            self._marked[parsed] = terms
        return terms

    def terms(self, text: str) -> frozenset[str]:
        """Every analysed term of a text (what a passage holds, for a match's coverage)."""
        return frozenset(t.text for t in self.analyzer(text))

    def terms_by_position(self, text: str) -> list[list[str]]:
        """Analyzed tokens grouped by position: [['non-gaap', 'non', 'gaap'], ['ep']]."""
        by_pos: dict[int, list[str]] = {}
        for t in self.analyzer(text, positions=True):
            by_pos.setdefault(t.pos, []).append(t.text)
        return [by_pos[p] for p in sorted(by_pos)]

    def _phrase(self, clause, fields=("text", "context")) -> wq.Query | None:
        groups = self.terms_by_position(clause.text)
        if not groups:
            return None
        if len(groups) == 1:
            parts = [wq.Term(f, groups[0][0]) for f in fields]
        else:
            parts = [wq.Phrase(f, [g[0] for g in groups]) for f in fields]
        return parts[0] if len(parts) == 1 else wq.Or(parts)

    def scored_terms(self, parsed: ParsedQuery) -> list[str]:
        """The distinct analysed terms of every word (OR alternatives included), in query order."""
        terms = []
        for group in parsed.groups:
            for c in group:
                if not c.phrase:
                    terms.extend(g[0] for g in self.terms_by_position(c.text))
        return list(dict.fromkeys(terms))

    def prune(self, terms: list[str], fields=("text",)) -> list[str]:
        """Whoosh walks every posting of every OR term in pure Python, so a term in more than MAX_DF of the
        passages ('quarter', 'revenue') costs much and tells little: keep the MAX_TERMS rarest terms under that
        bar (at least the two rarest terms whatever their frequency)."""
        with self._searcher() as x:
            reader = x.reader()
            n = max(1, reader.doc_count())
            by_df = sorted((sum(reader.doc_frequency(f, t) for f in fields), i, t) for i, t in enumerate(terms))
        keep = [t for df, _, t in by_df if df <= self.MAX_DF * n]
        if len(keep) < 2:
            keep = [t for _, _, t in by_df[:2]]
        return keep[:self.MAX_TERMS]

    def to_query(self, parsed: ParsedQuery, *, prune: bool = False, fields=("text", "context")) -> wq.Query | None:
        """Words are scored with OR over the passage's text and its context (who, when); more matching words
        rank higher and none is required; phrases are required; exclusions are removed."""
        terms = self.scored_terms(parsed)
        if prune:
            terms = self.prune(terms, fields)
        scored = [wq.Term(f, t, boost=FIGURE_BOOST if is_figure(t) else 1.0) for t in terms for f in fields]
        required = [q for q in (self._phrase(c, fields) for g in parsed.groups for c in g if c.phrase)
                    if q is not None]
        if not scored and not required:
            return None
        if required:
            base = wq.And(required) if not scored else wq.AndMaybe(wq.And(required), wq.Or(scored))
        else:
            base = wq.Or(scored) if len(scored) > 1 else scored[0]
        excluded = [q for q in (self._phrase(c, fields) for c in parsed.excluded) if q is not None]
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

    def allowed_estimate(self, filters) -> int:
        """An upper bound on the passages a filter leaves, from keyword document frequencies (range and integer
        filters count as unselective)."""
        with self._searcher() as x:
            reader = x.reader()
            bound = reader.doc_count()
            for name, spec in normalized(filters, self.filter_fields).items():
                if self.filter_fields[name] == KEYWORD:
                    bound = min(bound, sum(reader.doc_frequency(name, v) for v in spec[1]))
            return bound

    def search(self, parsed: ParsedQuery, filters=None, limit: int = 100, *, prune: bool = True,
               fields=("text", "context")) -> list[tuple[str, float]]:
        """Top passages by BM25F. With a selective filter (a ticker, a company, a speaker) the filter is
        intersected with the query so only its passages are walked, and every word counts; otherwise the query
        keeps its rarer words (see prune)."""
        with self._searcher() as x:
            fq = self.filter_query(filters)
            selective = fq is not None and self.allowed_estimate(filters) <= self.SELECTIVE * max(1, len(self))
            q = self.to_query(parsed, prune=prune and not selective, fields=fields)
            if q is None:
                return []
            if selective:
                results = x.search(wq.And([wq.ConstantScoreQuery(fq, 0.0), q]), limit=limit)
            else:
                results = x.search(q, filter=fq, limit=limit)
            return [(hit["id"], float(hit.score)) for hit in results]



@functools.lru_cache(maxsize=1)
def _stop_stems() -> frozenset[str]:
    """Stopwords as stems ('its' stems to 'it'): never worth a mark."""
    return frozenset(stem_word(w) for w in STOP_WORDS)


@functools.lru_cache(maxsize=200_000)
def stem_word(word: str) -> str:
    """The stem the index uses for a lower-case word (for highlighting)."""
    from whoosh.lang.porter import stem
    return stem(word.strip(".,;:"))
