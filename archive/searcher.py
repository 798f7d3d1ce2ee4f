"""A Searcher is one open index generation: its lexical and vector engines, the company directory read against
it, and the encoder, opened and swapped together (Archive.searcher). It ranks turns for a SearchRequest and
counts matches for a trend; it never reads hits: the service reads them from the store at the end.

request -> lexical top-k0 + vector top-k0 (same filters; again within the companies the query names) -> one
best chunk per turn -> fusion (weights by the query's shape) -> call evidence and soft preferences -> the
fixed window of WINDOW turns -> the requested page."""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Callable

from index import fusion
from index.engines import LexicalEngine, VectorEngine
from index.query import ParsedQuery

from .errors import NotReadyError
from .models import parent_of
from .request import WINDOW, SearchRequest
from .snippets import Marker, no_marks
from .understand import Directory, Interpretation

CALL_EVIDENCE = 0.2      # share of a turn's score that comes from its call's best three turns
QUARTER_BOOST = 0.3      # added to the turns of calls of the fiscal quarter the query names (top score is 1)
COMPANY_BOOST = 0.2      # added to the turns of calls of a company the query names
COMPANY_LISTS = 0.5      # weight of each leg searched again within the named companies' calls
HELD_CACHE = 50_000      # passages whose analysed terms a Searcher keeps (about 30 MB)
FLOOR_BELOW = 10         # a lexical leg with fewer matches than a page scales them from 0 (see rank)

# Runs the semantic leg beside the lexical one (threads start on first use).
_SEMANTIC_LEGS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="semantic-leg")

_FIGURES = re.compile(r"\$|%|\b\d+\.\d+\b|\b\d[\d,]*\s*(?:million|billion|bn|mln|basis points|bps|percent|per cent|"
                      r"cents?)\b", re.I)
_REPORTING = re.compile(r"\b(reports?|posts?|sees|reaffirms?|raises|lowers|cuts|guidance|outlook|eps|per share|earnings|"
                        r"revenues?|q[1-4]|dividend|quarterly)\b", re.I)


def shape_weight(parsed: ParsedQuery) -> float:
    """The lexical leg's share in weighted fusion, from the query's shape (measured on the development set, see
    docs/measurements.md): exact phrases and figures ($, %, decimals, millions) are found by their words, which
    embeddings blur; a short name or term (<= 4 words) mostly so; reporting language (guidance, EPS, revenue,
    reports) leans lexical; a longer plain-language description is found by meaning."""
    text = parsed.raw
    if parsed.phrases or _FIGURES.search(text):
        return 0.9
    if len(text.split()) <= 4:
        return 0.8
    if _REPORTING.search(text):
        return 0.6
    return 0.3


@dataclass
class Ranking:
    """Ranked turns for one request: the whole window (results.py applies the floor, folds questions into their
    answers, counts facets, sorts, groups and pages), and what its hits need to be read and explained."""
    window: list[tuple[str, float]]                 # (turn id, fused score), best first, at most the window ranked
    lexical: dict[str, tuple[int, float, str]]      # turn id -> (rank, score, best chunk) in the lexical leg
    semantic: dict[str, tuple[int, float, str]]     # ... in the semantic leg (score: cosine similarity)
    within: dict[str, tuple[float | None, str]]     # turn id -> (cosine or None, chunk) in the legs run within the
                                                    # named companies (the semantic one's when both found it)
    weights: dict
    parsed: ParsedQuery
    marker: Marker = no_marks                       # the spans of a text the lexical engine matches, for snippets
    query_vector: object = None                     # the embedded query, when the semantic leg ran

    def chunk(self, turn_id: str) -> str:
        """The chunk that represents a turn: the one the better-ranked leg found."""
        lr, sr = self.lexical.get(turn_id), self.semantic.get(turn_id)
        if sr and (not lr or sr[0] < lr[0]):
            return sr[2]
        return lr[2] if lr else self.within[turn_id][1]

    def words_chunk(self, turn_id: str) -> str:
        """The chunk whose words best match (the lexical leg's), else the representing one."""
        lr = self.lexical.get(turn_id)
        return lr[2] if lr else self.chunk(turn_id)


class Searcher:
    def __init__(self, name: str, lexical: LexicalEngine, vector: VectorEngine | None, directory: Directory | None,
                 encoder: Callable, manifest: dict | None = None, close: Callable[[], None] = lambda: None,
                 vector_error: str | None = None):
        """encoder(): the model, loaded on first use (a lexical search never loads it). vector None: the vector
        index could not be opened (vector_error says why); lexical search still answers."""
        self.name, self.lexical, self.vector, self.directory = name, lexical, vector, directory
        self.encoder, self.manifest, self._close, self.vector_error = encoder, manifest or {}, close, vector_error
        self._held: OrderedDict = OrderedDict()
        self._held_lock = threading.Lock()

    def semantic_ready(self, load_model: bool = True) -> None:
        """Raise NotReadyError (503) naming the cause when the semantic leg cannot run: no usable vector index,
        or no embedding model (tried only with load_model)."""
        if self.vector is None:
            raise NotReadyError(f"semantic and hybrid search are unavailable: {self.vector_error}",
                                "lexical search still answers; rebuild the index", param="mode", example="lexical",
                                command="reindex --full")
        try:
            if load_model:
                self.encoder()
        except NotReadyError as e:
            raise NotReadyError(f"semantic and hybrid search are unavailable: {e.message}",
                                f"lexical search still answers; {e.hint}" if e.hint else "lexical search still answers",
                                param="mode", example="lexical") from None

    def close(self) -> None:
        self._close()

    def interpretation(self, q: SearchRequest, parsed: ParsedQuery) -> Interpretation:
        """What the query names besides its words, less what an explicit filter already says."""
        if not q.interpret or self.directory is None:
            return Interpretation()
        found = self.directory.interpret(parsed.raw)
        return replace(found, tickers=() if (q.tickers or q.company) else found.tickers,
                       names=() if (q.tickers or q.company) else found.names,
                       quarter=None if q.quarters else found.quarter)

    def rank(self, q: SearchRequest, parsed: ParsedQuery | None = None, *, window: int = WINDOW,
             calls=None) -> Ranking:
        """parsed: q's text parsed, when the caller has parsed it already. window: the fused turns kept (and each
        leg's depth): WINDOW for a search, more for an export (Archive.export). calls: only the turns of these
        calls (a saved search's new calls; None: every call)."""
        parsed = parsed or q.parsed()
        filters = q.filters()
        if calls is not None:
            filters["call_id"] = sorted(calls)
        meant = self.interpretation(q, parsed)
        within = {**filters, "ticker": list(meant.tickers)} if meant.tickers else None
        use_lex, use_sem = q.mode in ("hybrid", "lexical"), q.mode in ("hybrid", "semantic")
        if use_sem:
            self.semantic_ready()

        def semantic_leg():
            vec = self.encoder().encode([parsed.free_text])[0]
            return (vec, fusion.collapse(self.vector.search(vec, filters, window), parent_of),
                    fusion.collapse(self.vector.search(vec, within, window), parent_of) if within else [])
        # The model and FAISS release the GIL; Whoosh is pure Python: the legs run side by side.
        pending = _SEMANTIC_LEGS.submit(semantic_leg) if use_sem else None
        raw_lex = self.lexical.search(parsed, filters, window) if use_lex else []
        raw_within = self.lexical.search(parsed, within, window) if use_lex and within else []
        lexical, lex_within = fusion.collapse(raw_lex, parent_of), fusion.collapse(raw_within, parent_of)
        vec, semantic, sem_within = pending.result() if pending else (None, [], [])
        w = 1.0 if q.mode == "lexical" else 0.0 if q.mode == "semantic" else \
            q.lexical_weight if q.lexical_weight is not None else shape_weight(parsed)
        lists = [[(t, s) for t, s, _ in x] for x in (lexical, semantic, lex_within, sem_within)]
        if q.mode == "hybrid" and q.fusion == "rrf":
            weights = {"fusion": "rrf", "k": 60}
            fused = fusion.rrf(lists, [1, 1, COMPANY_LISTS, COMPANY_LISTS])
        else:
            weights = {"fusion": "weighted", "lexical": w, "semantic": round(1 - w, 3)} if q.mode == "hybrid" else {}
            # A lexical leg that found fewer passages than a page (a figure, a rare name) found every passage
            # with the query's words, and each should count: the rest score 0, so its scale starts at 0, where
            # min-max would give its last match nothing. (Cosine similarities have no such floor.)
            floors = [0.0 if len(raw) < FLOOR_BELOW else None for raw in (raw_lex, raw_within)]
            fused = fusion.convex(lists, [w, 1 - w, COMPANY_LISTS * w, COMPANY_LISTS * (1 - w)],
                                  [floors[0], None, floors[1], None])
        fused = fusion.with_group_evidence(fusion.scaled(fused), parent_of, CALL_EVIDENCE)
        if meant:
            fused = fusion.boosted(fused, self._preference(meant))
            weights["interpreted"] = meant.to_dict()
        fused = fused[:window]
        within = {t: (None, c) for t, _, c in lex_within}
        within.update((t, (sc, within[t][1] if t in within else c)) for t, sc, c in sem_within)
        return Ranking(fused, {t: (i, sc, c) for i, (t, sc, c) in enumerate(lexical, 1)},
                       {t: (i, sc, c) for i, (t, sc, c) in enumerate(semantic, 1)}, within, weights, parsed,
                       self.marker(parsed), vec)

    def query_vector(self, parsed: ParsedQuery):
        """The embedded query, for judging a keyword search's partial matches by meaning; None when the vector
        index or the model is unavailable (then words alone judge)."""
        if self.vector is None:
            return None
        try:
            return self.encoder().encode([parsed.free_text])[0]
        except NotReadyError:
            return None

    def similarity(self, query_vector, chunk_ids) -> dict[str, float]:
        """The exact cosine similarity of the query with each chunk named."""
        return self.vector.similarity(query_vector, list(chunk_ids)) if self.vector is not None else {}

    def held(self, key: str, text: str) -> frozenset[str]:
        """The analysed terms a passage holds, by the lexical engine (for coverage), kept for the HELD_CACHE
        passages used last: a generation's passages do not change, and analysing one costs about 0.2 ms."""
        key = (key, hash(text))
        with self._held_lock:
            found = self._held.get(key)
            if found is not None:
                self._held.move_to_end(key)
                return found
        found = self.lexical.terms(text)
        with self._held_lock:
            self._held[key] = found
            if len(self._held) > HELD_CACHE:
                self._held.popitem(last=False)
        return found

    def query_words(self, parsed: ParsedQuery):
        """The query's words as the lexical engine analyses and weighs them (see strength.QueryWords)."""
        from .strength import QueryWords
        return QueryWords.of(parsed, self.lexical.terms_by_position, self.lexical.doc_frequency, len(self.lexical))

    def marker(self, parsed: ParsedQuery) -> Marker:
        """What of a text the query matches, as the lexical engine reads it."""
        return lambda text: self.lexical.marks(parsed, text)

    def _preference(self, meant: Interpretation):
        directory = self.directory

        def bonus(turn_id):
            call = parent_of(turn_id)
            return (COMPANY_BOOST if directory.call_ticker.get(call) in meant.tickers else 0.0) + \
                (QUARTER_BOOST if meant.quarter and directory.call_quarter.get(call) == meant.quarter else 0.0)
        return bonus

    def matching_turns(self, q: SearchRequest, limit: int) -> tuple[dict[str, float], bool]:
        """Every turn whose passages hold the query's words under its filters (not a top-k of the best), with
        its best passage's score; and whether `limit` passages cut the count short. For trends."""
        limit = min(limit, getattr(self.lexical, "MAX_LIMIT", limit))      # Milvus: its top-k limit
        hits = self.lexical.search(q.parsed(), q.filters(), limit=limit, prune=False, fields=("text",))
        turns: dict[str, float] = {}
        for chunk_id, score in hits:
            t = parent_of(chunk_id)
            turns[t] = max(score, turns.get(t, 0.0))
        return turns, len(hits) >= limit


def open_searcher(settings, store, encoder: Callable, holder=None) -> Searcher:
    """The live generation of the archive's index as a Searcher, with its company directory built against it.
    Raises NotReadyError when no index is built, StoreError when the live one cannot be used."""
    from .indexes import ENCODER_NAMES, expected_manifest, open_generation
    name, lexical, vector, manifest, vector_error = open_generation(
        settings.index_path, expected_manifest(settings, ENCODER_NAMES[settings.encoder]), settings, holder)
    canonical = {c.ticker: c for c in store.companies() if c.ticker and c.name}
    rows = [(cid, ticker, canonical[ticker].name if ticker in canonical else company, quarter)
            for cid, ticker, company, quarter in store.call_identities()]
    aliases = [(c.ticker, a) for c in canonical.values() for a in c.aliases]
    directory = Directory.build(rows, lambda word, ticker: lexical.word_share_outside(word, "ticker", ticker), aliases)
    return Searcher(name, lexical, vector, directory, encoder, manifest, close=lexical.close,
                    vector_error=vector_error)
