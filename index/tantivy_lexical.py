"""Lexical leg on tantivy (Rust, via its Python bindings): BM25 over passages with keyword and integer filter
fields, the same surface as index.lexical.LexicalIndex. Builds tantivy Query objects from the parsed query
language (index.query), never from raw user text, and returns (id, score) lists.

Files in an index folder after a build or an update (tantivy 0.27): meta.json and .managed.json (both rewritten
by a commit, always through a temporary file and a rename), the segment files <uuid>.{idx,pos,term,store,
fieldnorm,fast} (written once and never changed; deletes add a new <uuid>.<opstamp>.del), and two empty lock
files, .tantivy-writer.lock and .tantivy-meta.lock. Opening for search writes nothing: it only takes the meta
lock (an advisory lock on the empty file; the file is created when missing)."""
from __future__ import annotations

import bisect
import itertools
import shutil
from pathlib import Path
from typing import Iterable, Mapping

import tantivy
from tantivy import Filter, Occur, Query, TextAnalyzerBuilder, Tokenizer

from .filters import INTEGER, KEYWORD, normalized
from .generations import link_tree
from .query import FIGURE_BOOST, ParsedQuery, is_figure

ANALYZER = "transcript"

# Money, percentages, decimals and grouped numbers stay whole ($0.83, 10%, 17.9, 1,200; a trailing comma or full
# stop is not taken: "in 2019, 2020." gives 2019 and 2020). Words are runs of letters and digits; names joined by
# & stay whole (AT&T, S&P, M&A: split, 'at' and 'a' would be dropped as stopwords and leave 't' and 'm'). A
# hyphen or an apostrophe separates (non-GAAP gives non, gaap at consecutive positions; 10-K gives 10, k), and a
# possessive 's is a token of its own that the stopword list drops (tantivy's stemmer only strips a straight
# apostrophe, and transcripts use both ' and ’). The regex is the Rust regex crate's: Unicode classes, no
# look-around.
TOKEN_PATTERN = r"\$?\d+(?:[.,]\d+)*%?|[^\W_]+(?:&[^\W_]+)*|['’][sS]\b"

# tantivy's Filter.stopword("english") list (Lucene's), plus the possessive.
STOP_WORDS = ("a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no",
              "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to",
              "was", "will", "with", "'s", "’s")
MAX_TOKEN_BYTES = 100     # longer runs (a pasted hash, a base64 blob) are not words anyone searches for

HEAP_BYTES = 256_000_000
WRITER_THREADS = 1
# links would share these with the source, and a commit replaces them (by a rename: the source stays intact even
# so); they are small, so the copy gets its own
_REWRITTEN = ("meta.json", ".managed.json")


def analyzer() -> tantivy.TextAnalyzer:
    return (TextAnalyzerBuilder(Tokenizer.regex(TOKEN_PATTERN))
            .filter(Filter.remove_long(MAX_TOKEN_BYTES))
            .filter(Filter.lowercase())
            .filter(Filter.custom_stopword(list(STOP_WORDS)))
            .filter(Filter.stemmer("english"))
            .build())


def _schema(filter_fields: Mapping[str, str]) -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("text", tokenizer_name=ANALYZER, index_option="position")
    sb.add_text_field("context", tokenizer_name=ANALYZER, index_option="position")
    for name, kind in filter_fields.items():
        if name in ("id", "text", "context"):
            raise ValueError(f"filter field {name!r} clashes with a passage field")
        if kind == INTEGER:
            sb.add_integer_field(name, indexed=True, fast=True)
        else:
            sb.add_text_field(name, tokenizer_name="raw", index_option="basic")
    return sb.build()


def _document(doc: dict, filter_fields: Mapping[str, str]) -> tantivy.Document:
    d = tantivy.Document()
    d.add_text("id", str(doc["id"]))
    d.add_text("text", doc.get("text") or "")
    if doc.get("context"):
        d.add_text("context", doc["context"])
    for name, kind in filter_fields.items():
        value = doc.get(name)
        if value is None:
            continue
        if kind == INTEGER:
            d.add_integer(name, int(value))
        else:
            d.add_text(name, str(value).lower())
    return d


def _add_all(writer, docs: Iterable[dict], filter_fields: Mapping[str, str], progress=None) -> None:
    for n, doc in enumerate(docs, 1):
        writer.add_document(_document(doc, filter_fields))
        if progress and n % 1000 == 0:
            progress(n)


def _rollback(writer) -> None:
    try:
        writer.rollback()
    except Exception:           # noqa: BLE001 - the error that led here is the one to report
        pass


def _write(writer, work) -> None:
    """work(writer), commit, wait for the merges the commit started; on any error roll back and re-raise (the
    caller removes the folder)."""
    try:
        work(writer)
        writer.commit()
    except BaseException:
        _rollback(writer)
        raise
    writer.wait_merging_threads()


class TantivyIndex:
    MAX_MARKERS = 256        # snippet generators kept, one per parsed query

    def __init__(self, ix: tantivy.Index, filter_fields: Mapping[str, str]):
        self.ix = ix
        self.filter_fields = dict(filter_fields)
        self.analyzer = analyzer()
        ix.register_tokenizer(ANALYZER, self.analyzer)
        self.schema = ix.schema
        # No reload thread: a generation never changes once written. The searcher is a snapshot; tantivy's is
        # thread-safe and search() releases the GIL, so every thread shares this one.
        ix.config_reader(reload_policy="manual")
        ix.reload()
        self.searcher = ix.searcher()
        self._markers: dict = {}

    @classmethod
    def _create(cls, folder: Path, filter_fields: Mapping[str, str]) -> tantivy.Index:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        ix = tantivy.Index(_schema(filter_fields), path=str(folder), reuse=False)
        ix.register_tokenizer(ANALYZER, analyzer())
        return ix

    @classmethod
    def build(cls, folder: Path, docs: Iterable[dict], filter_fields: Mapping[str, str], *,
              progress=None, heap_bytes: int = HEAP_BYTES, threads: int = WRITER_THREADS) -> "TantivyIndex":
        ix = cls._create(folder, filter_fields)
        writer = ix.writer(heap_size=heap_bytes, num_threads=threads)
        _write(writer, lambda w: _add_all(w, docs, filter_fields, progress))
        return cls(ix, filter_fields)

    @classmethod
    def update(cls, source: Path, folder: Path, delete_field: str, delete_values: Iterable[str], docs: Iterable[dict],
               filter_fields: Mapping[str, str], *, heap_bytes: int = HEAP_BYTES,
               threads: int = WRITER_THREADS) -> "TantivyIndex":
        """A copy of the index at source, in folder, without the documents whose delete_field has one of
        delete_values and with docs added. The source is never written: tantivy never rewrites a segment file (a
        commit adds segment and .del files and replaces meta.json), so the copy shares them by hard links."""
        source, folder = Path(source), Path(folder)
        link_tree(source, folder, ignore=shutil.ignore_patterns("*.lock", ".tantivy-*", *_REWRITTEN))
        for name in _REWRITTEN:
            if (source / name).exists():
                shutil.copy2(source / name, folder / name)
        ix = tantivy.Index.open(str(folder))
        ix.register_tokenizer(ANALYZER, analyzer())
        kind = filter_fields.get(delete_field)

        def work(w):
            for value in delete_values:
                w.delete_documents_by_term(delete_field, int(value) if kind == INTEGER else
                                           str(value).lower() if kind == KEYWORD else str(value))
            _add_all(w, docs, filter_fields)
        _write(ix.writer(heap_size=heap_bytes, num_threads=threads), work)
        return cls(ix, filter_fields)

    @classmethod
    def open(cls, folder: Path, filter_fields: Mapping[str, str]) -> "TantivyIndex":
        return cls(tantivy.Index.open(str(folder)), filter_fields)

    def close(self) -> None:
        self._markers = {}

    def __len__(self) -> int:
        return self.searcher.num_docs

    # ---- analysis ------------------------------------------------------------------------------------------------

    def tokens(self, text: str) -> list[tuple[int, str]]:
        """(position, term) of the analysed text; positions keep the gaps stopwords leave."""
        return [(t.position, t.text) for t in self.analyzer.pre_tokenize(text).tokens]

    def terms(self, text: str) -> frozenset[str]:
        """Every analysed term of a text (what a passage holds, for a match's coverage)."""
        return frozenset(t.text for t in self.analyzer.pre_tokenize(text).tokens)

    def terms_by_position(self, text: str) -> list[list[str]]:
        """Analysed terms grouped by position: [['non'], ['gaap'], ['ep']] (one term a position here)."""
        by_pos: dict[int, list[str]] = {}
        for pos, term in self.tokens(text):
            by_pos.setdefault(pos, []).append(term)
        return [by_pos[p] for p in sorted(by_pos)]

    def _words(self, text: str) -> tuple[tuple[int, str], ...]:
        """A clause's terms with their offsets from its first one: ((0, 'non'), (1, 'gaap'))."""
        toks = self.tokens(text)
        return tuple((p - toks[0][0], t) for p, t in toks) if toks else ()

    # ---- query building ------------------------------------------------------------------------------------------

    def _match(self, words: tuple[tuple[int, str], ...], field: str, record: str = "position") -> Query:
        if len(words) == 1:
            return Query.term_query(self.schema, field, words[0][1], index_option=record)
        return Query.phrase_query(self.schema, field, list(words))

    def _scored(self, words, field: str) -> Query:
        q = self._match(words, field, "freq")
        return Query.boost_query(q, FIGURE_BOOST) if any(is_figure(t) for _, t in words) else q

    def _over(self, words, fields, record: str = "position") -> Query:
        parts = [self._match(words, f, record) for f in fields]
        return parts[0] if len(parts) == 1 else Query.boolean_query([(Occur.Should, q) for q in parts])

    def scored_words(self, parsed: ParsedQuery) -> list[tuple[tuple[int, str], ...]]:
        """The distinct analysed words of every non-phrase clause (OR alternatives included), in query order; a
        word of several terms (non-GAAP) is one entry, matched as a phrase."""
        words = (self._words(c.text) for group in parsed.groups for c in group if not c.phrase)
        return list(dict.fromkeys(w for w in words if w))

    def to_query(self, parsed: ParsedQuery, *, fields=("text", "context"), exclude: bool = True) -> Query | None:
        """Words are scored with OR over the passage's text and its context (who, when): more matching words rank
        higher and none is required, but one must match when there is no phrase; phrases are required;
        exclusions are removed."""
        fields = tuple(fields)
        if not fields:
            return None
        scored = [(Occur.Should, self._scored(w, f)) for w in self.scored_words(parsed) for f in fields]
        phrases = dict.fromkeys(w for w in (self._words(c.text) for g in parsed.groups for c in g if c.phrase) if w)
        required = [(Occur.Must, self._over(w, fields)) for w in phrases]
        if not scored and not required:
            return None
        excluded = []
        if exclude:
            gone = dict.fromkeys(w for w in (self._words(c.text) for c in parsed.excluded) if w)
            excluded = [(Occur.MustNot, self._over(w, fields)) for w in gone]
        parts = required + scored + excluded
        if len(parts) == 1 and parts[0][0] == Occur.Should:
            return parts[0][1]
        return Query.boolean_query(parts)

    def filter_query(self, filters) -> Query | None:
        parts = []
        for name, spec in normalized(filters, self.filter_fields).items():
            if spec[0] == "range":
                parts.append(Query.range_query(self.schema, name, tantivy.FieldType.Integer, spec[1], spec[2],
                                               include_lower=True, include_upper=True))
            elif len(spec[1]) == 1:
                parts.append(Query.term_query(self.schema, name, spec[1][0], index_option="basic"))
            else:
                parts.append(Query.term_set_query(self.schema, name, list(spec[1])))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else Query.boolean_query([(Occur.Must, q) for q in parts])

    # ---- search --------------------------------------------------------------------------------------------------

    def search(self, parsed: ParsedQuery, filters=None, limit: int = 100, *, prune: bool = True,
               fields=("text", "context")) -> list[tuple[str, float]]:
        """Top passages by BM25, best first. prune is accepted for the protocol and ignored: every word of the
        query counts (tantivy skips, by block-max WAND where it can, the postings that cannot reach the top)."""
        q = self.to_query(parsed, fields=fields)
        if q is None or limit < 1:
            return []
        fq = self.filter_query(filters)
        if fq is not None:
            q = Query.boolean_query([(Occur.Must, q), (Occur.Must, Query.const_score_query(fq, 0.0))])
        x = self.searcher
        hits = x.search(q, limit, count=False).hits
        return [(x.doc(addr).get_first("id"), float(score)) for score, addr in hits]

    def doc_frequency(self, term: str) -> int:
        """Passages whose text holds the analysed term (deleted ones count until their segment is merged)."""
        return self.searcher.doc_freq("text", term)

    def count(self, query: Query) -> int:
        return self.searcher.search(query, 1, count=True).count

    def word_share_outside(self, word: str, field: str, value: str) -> float:
        """The share of passages whose text holds the word, not counting those whose field has value (1.0 for
        a stopword or a word with no term). Counts live documents (document frequencies would count deleted
        ones)."""
        words = self._words(word)
        if not words:
            return 1.0
        n = len(self)
        if not n:
            return 0.0
        holds = self._match(words, "text")
        if self.filter_fields.get(field) == INTEGER:
            own = Query.term_query(self.schema, field, int(value), index_option="basic")
        else:
            own = Query.term_query(self.schema, field, str(value).lower(), index_option="basic")
        total = self.count(holds)
        inside = self.count(Query.boolean_query([(Occur.Must, holds), (Occur.Must, own)])) if total else 0
        return (total - inside) / n

    # ---- highlighting --------------------------------------------------------------------------------------------

    def _marker(self, parsed: ParsedQuery):
        gen = self._markers.get(parsed)
        if gen is None:
            # without the exclusions: the generator marks every term of the query, MUST_NOT ones included
            q = self.to_query(parsed, fields=("text",), exclude=False)
            if q is None:
                gen = False
            else:
                gen = tantivy.SnippetGenerator.create(self.searcher, q, self.schema, "text")
                # one fragment, the whole text, whatever its length: tantivy cuts fragments at max_num_chars
                # BYTES, so len(text) + 1 would split a text with non-ASCII characters and lose marks; set once
                # here, never per call, so threads share the generator without mutating it
                gen.set_max_num_chars(1 << 62)
            if len(self._markers) >= self.MAX_MARKERS:
                self._markers = {}
            self._markers[parsed] = gen
        return gen

    def marks(self, parsed: ParsedQuery, text: str) -> list[tuple[int, int]]:
        """Character spans [start, end) of text holding a term of the query (a word, an OR alternative or a
        phrase's words; never an excluded word or a stopword), as tantivy's SnippetGenerator finds them: only
        terms the index holds are marked."""
        gen = self._marker(parsed)
        if not gen or not text:
            return []
        snippet = gen.snippet_from_doc(tantivy.Document(text=text))
        ranges = snippet.highlighted()
        if not ranges:
            return []
        base = snippet.fragment_range().start
        spans = [(base + r.start, base + r.end) for r in ranges]     # byte offsets into the UTF-8 text
        if not text.isascii():
            ends = list(itertools.accumulate(len(ch.encode("utf-8")) for ch in text))  # byte end of each char
            spans = [(bisect.bisect_right(ends, a), bisect.bisect_right(ends, b)) for a, b in spans]
        return list(dict.fromkeys(spans))
