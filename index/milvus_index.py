"""Both legs of a search in Milvus: one collection per index generation holds, per passage, its id, turn and
call ids, every filter field, the analysed text and context (BM25 by Milvus's own function) and the dense vector.
The same surface as the local engines (index.engines: LexicalEngine and VectorEngine in one object), so the
Searcher, fusion, the query reading, snippets and hits from the store are the same for every engine.

`uri` is a file path (Milvus Lite, the embedded server: tests and one machine; one process at a time) or
http(s)://host:19530 / a cloud URI with a token (a Milvus server or cluster).

How the text is analysed: exactly as the tantivy engine does (index.tantivy_lexical.analyzer: its token pattern
keeps $0.83, 10%, AT&T whole; lower case; English stemmer), done here, and sent to Milvus as the analysed terms
separated by spaces with the stopwords left in place; Milvus's analyser is its whitespace tokenizer and a stop
filter with the same list. So Milvus's BM25 counts the same terms as tantivy's, positions keep their stopword gaps
for phrases, and the highlighting, coverage and query reading here see what Milvus indexed.

What Milvus 2.5 does not do and this class does: a phrase (Milvus Lite 2.5.1 has no PHRASE_MATCH and no
TEXT_MATCH) is a filter on the passages holding all its terms (array_contains_all over each passage's distinct
terms), then checked word by word in order on the terms Milvus returns; an excluded word or phrase (the
expression language of Lite has no `not`) is dropped from the candidates here. Candidates are fetched deeper when
either is in the query, up to Milvus's top-k limit."""
from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from typing import Iterable, Mapping, Sequence

import numpy as np

from .filters import INTEGER, normalized
from .query import FIGURE_BOOST, ParsedQuery, is_figure
from .tantivy_lexical import MAX_TOKEN_BYTES, STOP_WORDS, TOKEN_PATTERN, analyzer as full_analyzer

MAX_TOPK = 16384            # Milvus's limit on a search's top k
MAX_TERMS = 4096            # distinct terms kept per passage for phrase filters (a 180-word chunk has ~150)
MAX_TEXT_BYTES = 65535      # a VARCHAR's limit
INSERT_BATCH = 1000
DF_PROBE = 16384            # a term in fewer passages has its document frequency read from its BM25 postings
LOAD_TIMEOUT = 600.0        # seconds a collection may take to load (into memory) when an index is opened
DEEPER = 8                  # candidates fetched per hit wanted when a phrase or an exclusion filters them here
# The dense index: exact (FLAT) by default in Milvus Lite, which offers FLAT, IVF_FLAT and AUTOINDEX only; HNSW on a
# server. Milvus Lite searched IVF_FLAT exactly at every nprobe (scripts/bench_milvus.py, docs/scale.md), so the
# approximate indexes' parameters are those FAISS measured on the same vectors (index.vector): an IVF search scans
# half its lists (a quarter lost recall on the real vectors), HNSW M=32, efConstruction=200, and ef at least 512.
# Check them on a server with scripts/bench_milvus.py --uri http://HOST:19530 --kinds ivf_flat,hnsw.
IVF_NLIST = 1024
IVF_NPROBE = IVF_NLIST // 2
HNSW_M, HNSW_EF_CONSTRUCTION = 32, 200
HNSW_EF = 512
DISKANN_LIST = 200


class MilvusUnavailable(RuntimeError):
    """Milvus cannot be reached (a server down or refusing, a Milvus Lite file held by another process)."""


def _quote(value: str) -> str:
    return json.dumps(str(value), ensure_ascii=False)


def is_lite(uri: str) -> bool:
    return not uri.startswith(("http://", "https://", "tcp://", "grpc://", "unix:"))


def redacted(uri: str) -> str:
    """The URI without credentials (for manifests, logs and messages)."""
    if "@" in uri and "://" in uri:
        scheme, rest = uri.split("://", 1)
        return f"{scheme}://{rest.split('@', 1)[1]}"
    return uri


_CLIENTS: dict[tuple[str, str], tuple[object, set]] = {}     # (uri, token) -> (client, who holds it)
_CLIENTS_LOCK = threading.Lock()


def connect(uri: str, token: str = "", timeout: float = 10.0, holder=None):
    """The process's client for a URI, shared by its holders (one per URI: Milvus Lite lets a single process
    open its file, and a server connection serves every thread). release(holder) lets go of it; the last holder
    to do so closes it (a Milvus Lite file is then free for another process). No holder: kept for the process's
    life. MilvusUnavailable names the cause."""
    key = (uri, token)
    with _CLIENTS_LOCK:
        entry = _CLIENTS.get(key)
        if entry is None:
            entry = _CLIENTS[key] = (_open(uri, token, timeout), set())
        entry[1].add("process" if holder is None else id(holder))
        return entry[0]


def release(holder) -> None:
    """holder no longer uses its clients; those nobody holds are closed."""
    with _CLIENTS_LOCK:
        for key, (client, holders) in list(_CLIENTS.items()):
            holders.discard(id(holder))
            if not holders:
                del _CLIENTS[key]
                try:
                    client.close()
                    if is_lite(key[0]):         # closing the client leaves Milvus Lite's server holding the file
                        from milvus_lite.server_manager import server_manager_instance
                        server_manager_instance.release_server(key[0])
                except Exception:   # noqa: BLE001
                    pass


def _open(uri: str, token: str, timeout: float):
    # Milvus Lite's server inherits the environment; its Rust parts log every commit at INFO otherwise.
    os.environ.setdefault("RUST_LOG", "error")
    import warnings
    try:
        with warnings.catch_warnings():     # milvus-lite 2.5.1 imports pkg_resources, which warns
            warnings.simplefilter("ignore", UserWarning)
            from pymilvus import MilvusClient
            if is_lite(uri):
                import milvus_lite  # noqa: F401
    except ImportError:
        raise MilvusUnavailable("the Milvus client is not installed: pip install -r requirements-milvus.txt") \
            from None
    import logging
    for name in ("pymilvus", "pymilvus.milvus_client"):     # its errors reach the caller as exceptions
        logging.getLogger(name).setLevel(logging.CRITICAL)
    if is_lite(uri):
        os.makedirs(os.path.dirname(os.path.abspath(uri)) or ".", exist_ok=True)
    if is_lite(uri):
        _wait_for_lite(uri, timeout)
    try:
        return MilvusClient(uri=uri, token=token or "", timeout=timeout)
    except Exception as e:      # noqa: BLE001 - pymilvus raises several kinds for one cause
        if is_lite(uri):
            raise MilvusUnavailable(f"Milvus Lite could not open {uri} ({_reason(e)}); Milvus Lite lets one "
                                    "process at a time use its file: stop the other one (a running serve?) "
                                    "or run against a Milvus server") from None
        raise MilvusUnavailable(f"the Milvus server at {redacted(uri)} cannot be reached ({_reason(e)})") \
            from None


def _wait_for_lite(uri: str, timeout: float) -> None:
    """Wait (up to timeout) while another process uses the Milvus Lite file. The server of a process that was
    just killed goes on writing until it notices its parent's lock is gone, and a second server on the same
    files would read them half-written. (Milvus Lite locks DIR/.NAME.lock and runs its server as
    `.../milvus_lite/lib/milvus PATH ...`.) A live holder stays: opening then fails with the clear error."""
    import fcntl
    import time
    path = os.path.abspath(uri)
    lock = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.lock")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        held = False
        if os.path.exists(lock):
            try:
                with open(lock, "a") as fh:
                    fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.lockf(fh, fcntl.LOCK_UN)
            except BlockingIOError:
                held = True
            except OSError:
                pass
        if not held and not _lite_servers(path):
            return
        time.sleep(0.25)


def _lite_servers(path: str) -> list[int]:
    """The Milvus Lite server processes running on the file (Linux: read from /proc; elsewhere none known)."""
    found = []
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return found
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                args = fh.read().split(b"\0")
        except OSError:
            continue
        if len(args) > 1 and args[0].endswith(b"/milvus") and os.fsencode(path) in args[1:3]:
            found.append(int(pid))
    return found


def _reason(e: Exception) -> str:
    text = getattr(e, "message", None) or str(e)
    return " ".join(text.split())[:200]


# ---- analysis -----------------------------------------------------------------------------------------------------

def _plain_analyzer():
    """The tantivy engine's tokens before stopwords and stemming: the same positions as the full analyser."""
    from tantivy import Filter, TextAnalyzerBuilder, Tokenizer
    return (TextAnalyzerBuilder(Tokenizer.regex(TOKEN_PATTERN)).filter(Filter.remove_long(MAX_TOKEN_BYTES))
            .filter(Filter.lowercase()).build())


_STOP = frozenset(STOP_WORDS)
# Milvus's analyser for the terms fields: split at spaces, drop the stopwords (kept in the text for positions).
ANALYZER_PARAMS = {"tokenizer": "whitespace", "filter": [{"type": "stop", "stop_words": list(STOP_WORDS)}]}


class Analysis:
    """Text as this engine indexes it (thread-safe: tantivy analysers are)."""

    def __init__(self):
        self.full, self.plain = full_analyzer(), _plain_analyzer()

    def tokens(self, text: str):
        return self.full.pre_tokenize(text).tokens

    def indexed(self, text: str) -> tuple[str, list[str]]:
        """(the terms Milvus analyses: stemmed terms and stopwords in text order, one per position; the distinct
        terms)."""
        stemmed = {t.position: t.text for t in self.tokens(text)}
        out, size = [], 0
        for t in self.plain.pre_tokenize(text).tokens:
            term = stemmed.get(t.position) or (t.text if t.text in _STOP else "a")   # "a": a dropped position
            size += len(term.encode()) + 1
            if size > MAX_TEXT_BYTES:
                break
            out.append(term)
        return " ".join(out), list(dict.fromkeys(stemmed.values()))[:MAX_TERMS]

    def terms_by_position(self, text: str) -> list[list[str]]:
        by_pos: dict[int, list[str]] = {}
        for t in self.tokens(text):
            by_pos.setdefault(t.position, []).append(t.text)
        return [by_pos[p] for p in sorted(by_pos)]

    def words(self, text: str) -> tuple[tuple[int, str], ...]:
        """A clause's terms with their offsets from its first one: ((0, 'cost'), (2, 'revenu'))."""
        toks = [(t.position, t.text) for t in self.tokens(text)]
        return tuple((p - toks[0][0], t) for p, t in toks) if toks else ()


def holds_phrase(terms: Sequence[str], words: tuple[tuple[int, str], ...]) -> bool:
    """Whether the indexed terms (one per position) hold the phrase's words at their offsets."""
    if not words:
        return True
    first = words[0][1]
    for i, term in enumerate(terms):
        if term == first and all(i + off < len(terms) and terms[i + off] == w for off, w in words[1:]):
            return True
    return False


# ---- the engine ---------------------------------------------------------------------------------------------------

class MilvusIndex:
    """One collection of passages, searched by words (BM25) and by meaning (the dense vector)."""
    MAX_LIMIT = MAX_TOPK

    def __init__(self, client, collection: str, filter_fields: Mapping[str, str], *, target: str | None = None,
                 vector_index: str = "flat", uri: str = "", unavailable=MilvusUnavailable, timeout: float = 10.0):
        """collection: the generation's collection; target: what searches name (its alias on a server);
        unavailable(message): the exception raised when Milvus does not answer a search within timeout seconds
        (pymilvus retries a failed call until then)."""
        self.client, self.collection, self.target = client, collection, target or collection
        self.timeout = timeout
        self.unavailable = unavailable
        self.filter_fields, self.vector_index, self.uri = dict(filter_fields), vector_index, uri
        self.analysis = Analysis()
        self._df: OrderedDict = OrderedDict()
        self._df_lock = threading.Lock()
        self._count: int | None = None
        self._marked: dict[ParsedQuery, frozenset[str]] = {}       # a query's terms, for marks

    # ---- building ------------------------------------------------------------------------------------------------

    @classmethod
    def create(cls, client, collection: str, filter_fields: Mapping[str, str], dim: int, *, vector_index: str,
               partition_key: bool, scalar_indexes: bool, uri: str = "") -> "MilvusIndex":
        """A new, empty collection (replacing a leftover of the same name: a build that died)."""
        from pymilvus import DataType, Function, FunctionType
        if client.has_collection(collection):
            client.drop_collection(collection)
        s = client.create_schema(auto_id=False, enable_dynamic_field=False)
        s.add_field("id", DataType.VARCHAR, is_primary=True, max_length=512)
        s.add_field("turn_id", DataType.VARCHAR, max_length=512)
        for name, kind in filter_fields.items():
            if kind == INTEGER:
                s.add_field(name, DataType.INT64)
            else:
                s.add_field(name, DataType.VARCHAR, max_length=1024,
                            is_partition_key=partition_key and name == "ticker")
        s.add_field("text_terms", DataType.VARCHAR, max_length=MAX_TEXT_BYTES, enable_analyzer=True,
                    analyzer_params=ANALYZER_PARAMS)
        s.add_field("context_terms", DataType.VARCHAR, max_length=MAX_TEXT_BYTES, enable_analyzer=True,
                    analyzer_params=ANALYZER_PARAMS)
        s.add_field("text_vocab", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=MAX_TERMS,
                    max_length=MAX_TOKEN_BYTES * 4)
        s.add_field("context_vocab", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=MAX_TERMS,
                    max_length=MAX_TOKEN_BYTES * 4)
        s.add_field("text_sparse", DataType.SPARSE_FLOAT_VECTOR)
        s.add_field("context_sparse", DataType.SPARSE_FLOAT_VECTOR)
        s.add_field("dense", DataType.FLOAT_VECTOR, dim=int(dim))
        for field in ("text", "context"):
            s.add_function(Function(name=f"{field}_bm25", function_type=FunctionType.BM25,
                                    input_field_names=[f"{field}_terms"], output_field_names=[f"{field}_sparse"]))
        ix = cls(client, collection, filter_fields, vector_index=vector_index, uri=uri)
        # Indexes declared before the rows go in (Milvus indexes each segment as it is sealed), then loaded: each
        # index costs Milvus Lite about half a second whatever the size, so Lite filters its few rows by scanning
        # and only a server gets scalar indexes.
        ip = client.prepare_index_params()
        for field in ("text", "context"):
            ip.add_index(f"{field}_sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        kind, params = ix._vector_index_spec()
        ip.add_index("dense", index_type=kind, metric_type="IP", params=params)
        if scalar_indexes:        # the filters, and the term arrays that phrases and document frequencies read
            for name in (*filter_fields, "text_vocab", "context_vocab"):
                ip.add_index(name, index_type="INVERTED")
        client.create_collection(collection, schema=s, index_params=ip)
        client.load_collection(collection)
        return ix

    def rows(self, docs: Iterable[dict], vectors: np.ndarray) -> Iterable[dict]:
        """Milvus rows for the docs ({id, turn_id, text, context, filter fields}) and their vectors."""
        vectors = np.asarray(vectors, dtype=np.float32)
        for doc, vec in zip(docs, vectors):
            text_terms, text_vocab = self.analysis.indexed(doc.get("text") or "")
            ctx_terms, ctx_vocab = self.analysis.indexed(doc.get("context") or "")
            row = {"id": str(doc["id"]), "turn_id": str(doc.get("turn_id") or doc["id"]),
                   "text_terms": text_terms, "context_terms": ctx_terms, "text_vocab": text_vocab,
                   "context_vocab": ctx_vocab, "dense": vec.tolist()}
            for name, kind in self.filter_fields.items():
                value = doc.get(name)
                row[name] = int(value or 0) if kind == INTEGER else str(value or "").lower()
            yield row

    def write(self, docs: Sequence[dict], vectors: np.ndarray, *, upsert: bool = False, progress=None) -> None:
        put = self.client.upsert if upsert else self.client.insert
        batch = []
        for n, row in enumerate(self.rows(docs, vectors), 1):
            batch.append(row)
            if len(batch) >= INSERT_BATCH:
                put(self.collection, batch)
                batch = []
                if progress:
                    progress(n)
        if batch:
            put(self.collection, batch)
        self._count = None

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for i in range(0, len(ids), INSERT_BATCH):
            self.client.delete(self.collection, ids=ids[i:i + INSERT_BATCH])
        self._count = None

    def ids_of(self, field: str, values: Sequence) -> set[str]:
        """The ids of the passages whose field has one of the values (a call's: a few hundred), one query per
        value (Milvus answers at most MAX_TOPK rows a query; pymilvus 2.5's query iterator cannot read this
        schema's array fields back from Milvus Lite)."""
        out: set[str] = set()
        for value in dict.fromkeys(values):
            rows = self._rows(self.client.query, self.collection, filter=self._expr({field: value}),
                              output_fields=["id"], limit=MAX_TOPK, consistency_level="Strong")
            if len(rows) >= MAX_TOPK:
                raise self.unavailable(f"{field}={value!r} has more than {MAX_TOPK} passages in "
                                       f"{self.collection}: rebuild the index whole (reindex --full)")
            out.update(r["id"] for r in rows)
        return out

    def finish(self) -> None:
        """Flush: what was written is sealed, indexed and answers searches."""
        self.client.flush(self.collection)
        self._count = None

    def _vector_index_spec(self) -> tuple[str, dict]:
        return {"flat": ("FLAT", {}), "ivf_flat": ("IVF_FLAT", {"nlist": IVF_NLIST}),
                "hnsw": ("HNSW", {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION}),
                "diskann": ("DISKANN", {})}[self.vector_index]

    def _vector_search_params(self, limit: int) -> dict:
        if self.vector_index == "ivf_flat":
            return {"metric_type": "IP", "params": {"nprobe": IVF_NPROBE}}
        if self.vector_index == "hnsw":
            return {"metric_type": "IP", "params": {"ef": max(HNSW_EF, limit)}}
        if self.vector_index == "diskann":
            return {"metric_type": "IP", "params": {"search_list": max(DISKANN_LIST, limit)}}
        return {"metric_type": "IP", "params": {}}

    @classmethod
    def open(cls, client, collection: str, filter_fields: Mapping[str, str], *, target: str | None = None,
             vector_index: str = "flat", uri: str = "", unavailable=MilvusUnavailable,
             timeout: float = 10.0) -> "MilvusIndex":
        ix = cls(client, collection, filter_fields, target=target, vector_index=vector_index, uri=uri,
                 unavailable=unavailable, timeout=timeout)
        # Loading reads the whole collection into memory the first time (Milvus Lite: at every start), which takes
        # longer than a search may wait: LOAD_TIMEOUT, measured in docs/scale.md.
        ix._call(client.load_collection, collection, timeout=max(timeout, LOAD_TIMEOUT))
        len(ix)
        return ix

    def close(self) -> None:
        pass

    def ping(self) -> None:
        """Raise unavailable(...) when Milvus does not answer (readiness checks call this)."""
        self._call(self.client.has_collection, self.collection)

    def __len__(self) -> int:
        if self._count is None:
            res = self._call(self.client.query, self.target, filter="", output_fields=["count(*)"],
                             consistency_level="Strong")
            self._count = int(res[0]["count(*)"]) if res else 0
        return self._count

    # ---- filters -------------------------------------------------------------------------------------------------

    def _expr(self, filters) -> str:
        parts = []
        for name, spec in normalized(filters, self.filter_fields).items():
            if spec[0] == "range":
                parts.append(f"({name} >= {int(spec[1])} and {name} <= {int(spec[2])})")
            elif self.filter_fields[name] == INTEGER:
                parts.append(f"{name} in [{', '.join(str(int(v)) for v in spec[1])}]")
            else:
                parts.append(f"{name} in [{', '.join(_quote(v) for v in spec[1])}]")
        return " and ".join(parts)

    # ---- the lexical leg -----------------------------------------------------------------------------------------

    def terms(self, text: str) -> frozenset[str]:
        return frozenset(t.text for t in self.analysis.tokens(text))

    def terms_by_position(self, text: str) -> list[list[str]]:
        return self.analysis.terms_by_position(text)

    def scored_words(self, parsed: ParsedQuery) -> list[tuple[tuple[int, str], ...]]:
        words = (self.analysis.words(c.text) for group in parsed.groups for c in group if not c.phrase)
        return list(dict.fromkeys(w for w in words if w))

    def search(self, parsed: ParsedQuery, filters=None, limit: int = 100, *, prune: bool = True,
               fields: Sequence[str] = ("text", "context")) -> list[tuple[str, float]]:
        """Top passages by BM25 (the sum over the fields searched, as the local engines score), best first.
        Words are scored and none is required; phrases are required; exclusions are removed. prune is accepted
        for the protocol (Milvus's sparse index skips what cannot reach the top)."""
        fields = tuple(f for f in fields if f in ("text", "context"))
        limit = min(int(limit), MAX_TOPK)
        if not fields or limit < 1:
            return []
        phrases = list(dict.fromkeys(w for w in (self.analysis.words(c.text) for g in parsed.groups for c in g
                                                 if c.phrase) if w))
        excluded = list(dict.fromkeys(w for w in (self.analysis.words(c.text) for c in parsed.excluded) if w))
        terms: list[str] = []
        for words in self.scored_words(parsed) + phrases:
            boost = int(FIGURE_BOOST) if any(is_figure(t) for _, t in words) else 1
            terms += [t for _, t in words] * boost        # a term sent twice counts twice in Milvus's BM25
        if not terms:
            return []
        expr = [self._expr(filters)] if filters else []
        for words in phrases:                       # every phrase: all its terms in the text or in the context
            vocab = ", ".join(_quote(t) for _, t in words)
            expr.append("(" + " or ".join(f"array_contains_all({f}_vocab, [{vocab}])" for f in fields) + ")")
        expr = " and ".join(e for e in expr if e)
        # the filter already holds a one-word phrase; word order and exclusions are checked here, on candidates
        # fetched deeper
        checked = any(len(w) > 1 for w in phrases) or bool(excluded)
        depth = min(MAX_TOPK, max(limit * DEEPER, 400)) if checked else limit
        out = [f"{f}_terms" for f in fields] if checked else []
        query = " ".join(terms)
        scores: dict[str, float] = {}
        kept: dict[str, dict] = {}
        for f in fields:
            # The context (who, when) is short and matches many passages at once: it is searched deeper, so the
            # passages the text finds get their context's share of the score too.
            k = depth if f == "text" else min(MAX_TOPK, max(depth * 4, 1000))
            hits = self._call(self.client.search, self.target, data=[query], anns_field=f"{f}_sparse", limit=k,
                              filter=expr, output_fields=out, search_params={"params": {"drop_ratio_search": 0.0}})
            for h in hits[0]:
                scores[h["id"]] = scores.get(h["id"], 0.0) + float(h["distance"])
                if out:
                    kept.setdefault(h["id"], h.get("entity") or {})
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        if checked:
            ranked = [(i, s) for i, s in ranked if self._passes(kept[i], fields, phrases, excluded)]
        return ranked[:limit]

    @staticmethod
    def _passes(entity: dict, fields, phrases, excluded) -> bool:
        split = [(entity.get(f"{f}_terms") or "").split(" ") for f in fields]
        if not all(any(holds_phrase(t, w) for t in split) for w in phrases if len(w) > 1):
            return False
        return not any(holds_phrase(t, w) for w in excluded for t in split)

    def doc_frequency(self, term: str) -> int:
        """Passages whose text holds the analysed term (kept per term)."""
        return self._holding(term)

    def _holding(self, term: str, expr: str = "") -> int:
        """Passages whose text holds the term (and match expr), kept per (term, expr). Most terms are rare: the
        passages BM25 finds for the term alone are all of them when they are fewer than DF_PROBE (a read of its
        postings); a common term is counted by Milvus (a scan of the term arrays, in Milvus Lite)."""
        key = (term, expr)
        with self._df_lock:
            if key in self._df:
                self._df.move_to_end(key)
                return self._df[key]
        if term in _STOP:
            return 0
        hits = self._call(self.client.search, self.target, data=[term], anns_field="text_sparse", limit=DF_PROBE,
                          filter=expr, search_params={"params": {"drop_ratio_search": 0.0}})[0]
        if len(hits) >= DF_PROBE:
            return self._kept(key, self._counted(f"array_contains(text_vocab, {_quote(term)})" +
                                                 (f" and {expr}" if expr else "")))
        return self._kept(key, len(hits))

    def word_share_outside(self, word: str, field: str, value: str) -> float:
        """The share of passages whose text holds the word (all its terms), not counting those whose field has
        value."""
        words = self.analysis.words(word)
        if not words:
            return 1.0
        n = len(self)
        if not n:
            return 0.0
        own = self._expr({field: value})
        if len(words) == 1:
            total = self._holding(words[0][1])
            inside = self._holding(words[0][1], own) if total else 0
        else:
            holds = "array_contains_all(text_vocab, [" + ", ".join(_quote(t) for _, t in words) + "])"
            total = self._counted(holds)
            inside = self._counted(f"{holds} and {own}") if total else 0
        return (total - inside) / n

    def _counted(self, expr: str) -> int:
        with self._df_lock:
            if expr in self._df:
                self._df.move_to_end(expr)
                return self._df[expr]
        res = self._call(self.client.query, self.target, filter=expr, output_fields=["count(*)"])
        return self._kept(expr, int(res[0]["count(*)"]) if res else 0)

    def _kept(self, key, n: int) -> int:
        """n, kept under key for the life of this index (at most 50,000 counts, the oldest dropped first)."""
        with self._df_lock:
            self._df[key] = n
            if len(self._df) > 50_000:
                self._df.popitem(last=False)
        return n

    def marks(self, parsed: ParsedQuery, text: str) -> list[tuple[int, int]]:
        """Character spans of text holding a term of the query (a word, an OR alternative or a phrase's words;
        never an excluded word or a stopword)."""
        wanted = self._marked.get(parsed)
        if wanted is None:          # a snippet asks for each of its parts: the query's terms are read once
            wanted = frozenset(t for w in parsed.words for g in self.terms_by_position(w) for t in g)
            if len(self._marked) >= 256:
                self._marked.clear()
            self._marked[parsed] = wanted
        if not wanted or not text:
            return []
        return list(dict.fromkeys((t.char_offset_from, t.char_offset_to) for t in self.analysis.tokens(text)
                                  if t.text in wanted))

    # ---- the vector leg ------------------------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        return f"milvus-{self.vector_index}"

    def search_vector(self, query: np.ndarray, filters=None, limit: int = 100) -> list[tuple[str, float]]:
        limit = min(int(limit), MAX_TOPK)
        if limit < 1:
            return []
        hits = self._call(self.client.search, self.target, data=[np.asarray(query, dtype=np.float32).tolist()],
                          anns_field="dense", limit=limit, filter=self._expr(filters),
                          search_params=self._vector_search_params(limit))
        return [(h["id"], float(h["distance"])) for h in hits[0]]

    def similarity(self, query: np.ndarray, ids: Sequence[str]) -> dict[str, float]:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        q = np.asarray(query, dtype=np.float32)
        out = {}
        for i in range(0, len(ids), INSERT_BATCH):
            for r in self._rows(self.client.get, self.target, ids=ids[i:i + INSERT_BATCH], output_fields=["dense"]):
                out[r["id"]] = float(np.dot(np.asarray(r["dense"], dtype=np.float32), q))
        return out

    def vector_leg(self) -> "VectorLeg":
        return VectorLeg(self)

    # ---- errors --------------------------------------------------------------------------------------------------

    def _rows(self, fn, *args, **kwargs) -> list:
        """A query's or a get's rows. pymilvus 2.5 fails to read an empty answer of Milvus Lite 2.5.1 for a
        collection with array fields ("Unsupported data type: 0"): that answer is no rows."""
        kwargs.setdefault("timeout", self.timeout)
        try:
            return fn(*args, **kwargs)
        except Exception as e:      # noqa: BLE001
            if "Unsupported data type: 0" in str(e):
                return []
            raise self._failed(e) from None

    def _call(self, fn, *args, **kwargs):
        if getattr(fn, "__self__", None) is self.client:
            kwargs.setdefault("timeout", self.timeout)
        try:
            return fn(*args, **kwargs)
        except Exception as e:      # noqa: BLE001 - pymilvus raises MilvusException, gRPC errors, OSError...
            raise self._failed(e) from None

    def _failed(self, e: Exception) -> Exception:
        return self.unavailable(f"Milvus at {redacted(self.uri) or 'its URI'} did not answer ({_reason(e)})")


class VectorLeg:
    """The collection as the Searcher's vector engine (index.engines.VectorEngine)."""

    def __init__(self, ix: MilvusIndex):
        self.ix = ix

    def search(self, query: np.ndarray, filters=None, limit: int = 100) -> list[tuple[str, float]]:
        return self.ix.search_vector(query, filters, limit)

    def similarity(self, query: np.ndarray, ids: Sequence[str]) -> dict[str, float]:
        return self.ix.similarity(query, ids)

    def __len__(self) -> int:
        return len(self.ix)

    @property
    def kind(self) -> str:
        return self.ix.kind


# ---- generations: which collection is live -------------------------------------------------------------------------

def supports_aliases(client) -> bool:
    """Whether the server keeps aliases (Milvus Lite 2.5.1 does not: its generation pointer is the archive's)."""
    try:
        client.describe_alias("archive_alias_probe")
    except Exception as e:      # noqa: BLE001 - a server answers 'alias not found'; Lite: UNIMPLEMENTED
        return "UNIMPLEMENTED" not in str(e).upper()
    return True


def point_alias(client, alias: str, collection: str) -> None:
    """Point the alias that searches read at the collection (create it the first time)."""
    try:
        client.alter_alias(collection, alias)
    except Exception:   # noqa: BLE001 - no such alias yet
        client.create_alias(collection, alias)


def alias_target(client, alias: str) -> str | None:
    try:
        return client.describe_alias(alias).get("collection_name")
    except Exception:   # noqa: BLE001
        return None
