"""Search over the archive: builds the two indexes from the store, runs both legs with one filter, fuses a fixed
candidate window of turns, and reads the hits back from the store with snippets. Called by the Archive service.

query -> SearchQuery (validated) -> lexical top-k0 + vector top-k0 -> one best chunk per turn -> fusion ->
turn ids -> hits read from the store."""
from __future__ import annotations

import html
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from index import fusion
from index.filters import INTEGER, KEYWORD
from index.lexical import STOP_WORDS, stem_word
from index.query import ParsedQuery, QuerySyntaxError, parse

from .errors import BadRequestError
from .models import ROLES, SECTION_LABELS, SECTIONS
from .understand import Interpretation

FILTER_FIELDS = {"ticker": KEYWORD, "company": KEYWORD, "year": INTEGER, "quarter": INTEGER, "speaker": KEYWORD,
                 "role": KEYWORD, "section": KEYWORD, "call_id": KEYWORD}
MODES = ("hybrid", "lexical", "semantic")
FUSIONS = ("rrf", "weighted")
MAX_LIMIT = 100
WINDOW = 100                 # candidate depth k0 per leg, and the fixed window of fused turns pages come from


@dataclass(frozen=True)
class SearchQuery:
    text: str
    tickers: tuple[str, ...] = ()
    company: str | None = None
    years: tuple[int, int] | None = None       # fiscal years, inclusive
    quarter: int | tuple[int, ...] | None = None      # one fiscal quarter, or several
    speaker: str | None = None
    role: str | None = None
    section: str | None = None
    mode: str = "hybrid"
    limit: int = 10
    offset: int = 0
    fusion: str = "weighted"
    lexical_weight: float | None = None         # weighted fusion only; None: chosen by the query's shape
    interpret: bool = True                      # prefer calls of the companies and the quarter the text names

    def validated(self) -> "SearchQuery":
        if self.mode not in MODES:
            raise BadRequestError(f"mode {self.mode!r} is not one of {', '.join(MODES)}", "use hybrid, lexical or semantic")
        if self.fusion not in FUSIONS:
            raise BadRequestError(f"fusion {self.fusion!r} is not one of {', '.join(FUSIONS)}", "use rrf or weighted")
        if not (1 <= self.limit <= MAX_LIMIT):
            raise BadRequestError(f"limit {self.limit} is out of range", f"use 1 to {MAX_LIMIT}")
        if not (0 <= self.offset < WINDOW):
            raise BadRequestError(f"offset {self.offset} is out of range", f"results stop at {WINDOW}; narrow the query")
        if self.role and self.role not in ROLES:
            raise BadRequestError(f"role {self.role!r} is not one of {', '.join(ROLES)}", "e.g. --role executive")
        if self.section and self.section not in SECTIONS:
            raise BadRequestError(f"section {self.section!r} is not one of {', '.join(SECTIONS)}", "use prepared or qa")
        if any(x not in (1, 2, 3, 4) for x in self.quarters):
            raise BadRequestError(f"quarter {self.quarter} is not 1-4", "e.g. --quarter 3")
        if self.years and not (1900 <= self.years[0] <= self.years[1] <= 2200):
            raise BadRequestError(f"year range {self.years[0]}-{self.years[1]} is not valid", "e.g. --years 2019-2021")
        if self.lexical_weight is not None and not (0.0 <= self.lexical_weight <= 1.0):
            raise BadRequestError("lexical_weight must be between 0 and 1", "e.g. 0.7")
        for t in self.tickers:
            if not re.fullmatch(r"[A-Za-z0-9.\-]{1,12}", t):
                raise BadRequestError(f"ticker {t!r} is not a ticker", "use letters, digits, '.' or '-'")
        return self

    def parsed(self) -> ParsedQuery:
        try:
            return parse(self.text)
        except QuerySyntaxError as e:
            raise BadRequestError(e.message, e.hint) from None

    @property
    def quarters(self) -> tuple:
        if self.quarter is None:
            return ()
        return tuple(self.quarter) if isinstance(self.quarter, (tuple, list)) else (self.quarter,)

    def filters(self) -> dict:
        f = {"ticker": [t.upper() for t in self.tickers] or None, "company": self.company,
             "quarter": list(self.quarters) or None,
             "speaker": self.speaker, "role": self.role, "section": self.section}
        if self.years:
            f["year"] = tuple(self.years)
        return {k: v for k, v in f.items() if v not in (None, "", [])}

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Hit:
    turn_id: str
    call_id: str
    company: str | None
    ticker: str | None
    year: int | None
    quarter: int | None
    date: str | None
    speaker: str
    title: str | None
    role: str
    section: str
    position: int
    source_file: str | None
    chunk_id: str
    passage: str
    snippet: str                    # HTML-escaped, query terms in <mark>
    text: str                       # the whole turn
    score: float
    rank: int
    lexical_rank: int | None = None
    lexical_score: float | None = None
    semantic_rank: int | None = None
    semantic_score: float | None = None
    url: str = ""                   # the viewer at this turn
    citation: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SearchResults:
    query: SearchQuery
    hits: list[Hit]
    total: int                      # fused turns in the candidate window
    took_ms: float
    weights: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"query": self.query.to_dict(), "total": self.total, "took_ms": round(self.took_ms, 1),
                "weights": self.weights, "hits": [h.to_dict() for h in self.hits]}


def turn_of(chunk_id: str) -> str:
    return chunk_id.rsplit(":", 1)[0]


# ---- query shape ---------------------------------------------------------------------------------------------------

_FIGURES = re.compile(r"\$|%|\b\d+\.\d+\b|\b\d[\d,]*\s*(?:million|billion|bn|mln|basis points|bps|percent|per cent|"
                      r"cents?)\b", re.I)
_REPORTING = re.compile(r"\b(reports?|posts?|sees|reaffirms?|raises|lowers|cuts|guidance|outlook|eps|per share|earnings|"
                        r"revenues?|q[1-4]|dividend|quarterly)\b", re.I)


def shape_weight(parsed: ParsedQuery) -> float:
    """The lexical leg's share in weighted fusion, from the query's shape (measured on the development set, see
    the README): exact phrases and figures ($, %, decimals, millions) are found by their words, which embeddings
    blur; a short name or term (<= 4 words) mostly so; reporting language (guidance, EPS, revenue, reports)
    leans lexical; a longer plain-language description is found by meaning."""
    text = parsed.raw
    if parsed.phrases or _FIGURES.search(text):
        return 0.9
    if len(text.split()) <= 4:
        return 0.8
    if _REPORTING.search(text):
        return 0.6
    return 0.3


# ---- snippets ------------------------------------------------------------------------------------------------------

_SENTENCE = re.compile(r"(?<=[.?!])\s+(?=[\"'“(\[]?[A-Z0-9$])")


def _stems(sentence: str, stem=stem_word) -> set[str]:
    return {stem(w) for w in re.findall(r"[\w$%.&'-]+", sentence.lower())}


def sentences_of(passage: str) -> list[str]:
    return [s for s in _SENTENCE.split(passage.replace("\n\n", " ")) if s.strip()] or [passage]


def snippet(passage: str, terms: set[str], stem, max_chars: int = 320, closest=None) -> str:
    """The sentence of the passage that shares most query terms, HTML-escaped, with the matching words in
    <mark>. When no sentence shares a term (a hit found by meaning), closest(sentences) picks the sentence nearest
    the query in embedding space, if given."""
    sentences = sentences_of(passage)

    def overlap(s):
        return len(_stems(s, stem) & terms)
    scores = [overlap(x) for x in sentences]
    best = max(range(len(sentences)), key=lambda i: (scores[i], -i))
    if scores[best] == 0 and closest is not None and len(sentences) > 1:
        best = closest(sentences)
    text = sentences[best]
    if len(text) > max_chars:
        text = text[:max_chars].rsplit(" ", 1)[0] + " …"
    return highlight(text, terms)


def query_terms(text: str) -> set[str]:
    """The analysed terms of a query (stems, no stopwords), for highlighting; empty for a query that does not
    parse."""
    from index.lexical import analyzer
    try:
        parsed = parse(text)
    except QuerySyntaxError:
        return set()
    return {t.text for c in parsed.words for t in analyzer()(c)}


_HIGHLIGHT_TOKEN = re.compile(r"(\$?[\w%&'-]+(?:\.\w+)*%?)")


def highlight(text: str, terms: set[str]) -> str:
    """HTML-escaped text with the words whose stem is in terms in <mark>."""
    out = []
    for token in _HIGHLIGHT_TOKEN.split(text):
        esc = html.escape(token, quote=True)
        if token and terms and stem_word(token.lower()) in terms:
            esc = f"<mark>{esc}</mark>"
        out.append(esc)
    return "".join(out)


_ABBREVIATIONS = [("chief executive officer", "CEO"), ("chief financial officer", "CFO"),
                  ("chief operating officer", "COO"), ("chief technology officer", "CTO"),
                  ("investor relations", "IR")]


def short_title(title: str | None) -> str | None:
    """'Executive Vice President, Chief Financial Officer' -> 'CFO'; short titles and firms stay as they are."""
    if not title:
        return None
    low = title.lower()
    found = [abbr for words, abbr in _ABBREVIATIONS if words in low]
    if found:
        return "/".join(dict.fromkeys(found))
    return title if len(title) <= 40 else title[:37].rstrip() + "..."


def citation(company, ticker, year, quarter, speaker, title, section) -> str:
    """'Kingsoft Cloud Q1 2020 earnings call, Haijian He (CFO), Q&A'."""
    who = company or ticker or "Unknown company"
    period = f" Q{quarter} {year}" if year and quarter else (f" {year}" if year else "")
    t = short_title(title)
    return f"{who}{period} earnings call, {speaker}" + (f" ({t})" if t else "") + \
        f", {SECTION_LABELS.get(section, section)}"


def turn_url(base_url: str, call_id: str, turn_id: str) -> str:
    from urllib.parse import quote
    return (f"{base_url.rstrip('/')}/calls/{quote(call_id)}?turn={quote(turn_id, safe=':')}"
            f"#{turn_id.rsplit(':', 1)[1]}")


# ---- running a search ----------------------------------------------------------------------------------------------

CALL_EVIDENCE = 0.2      # share of a turn's score that comes from its call's best three turns
QUARTER_BOOST = 0.3      # added to the turns of calls of the fiscal quarter the query names (top score is 1)
COMPANY_BOOST = 0.2      # added to the turns of calls of a company the query names
COMPANY_LISTS = 0.5      # weight of each leg searched again within the named companies' calls
FLOOR_BELOW = 10         # a lexical leg with fewer matches than a page scales them from 0 (see run)


# Runs the semantic leg beside the lexical one (threads start on first use).
_SEMANTIC_LEGS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="semantic-leg")


def call_of(turn_id: str) -> str:
    return turn_id.rsplit(":", 1)[0]


def interpretation(q: SearchQuery, parsed: ParsedQuery, directory) -> Interpretation:
    """What the query names besides its words, less what an explicit filter already says."""
    if not q.interpret or directory is None:
        return Interpretation()
    found = directory.interpret(parsed.raw)
    return replace(found, tickers=() if (q.tickers or q.company) else found.tickers,
                   names=() if (q.tickers or q.company) else found.names,
                   quarter=None if q.quarters else found.quarter)


def run(q: SearchQuery, store, indexes, encoder, base_url: str = "", directory=None) -> SearchResults:
    t0 = time.perf_counter()
    q = q.validated()
    parsed = q.parsed()
    filters = q.filters()
    meant = interpretation(q, parsed, directory)
    within = {**filters, "ticker": list(meant.tickers)} if meant.tickers else None
    use_lex, use_sem = q.mode in ("hybrid", "lexical"), q.mode in ("hybrid", "semantic")

    def semantic_leg():
        vec = encoder.encode([parsed.free_text])[0]
        return (vec, fusion.collapse(indexes.vector.search(vec, filters, WINDOW), turn_of),
                fusion.collapse(indexes.vector.search(vec, within, WINDOW), turn_of) if within else [])
    # The model and FAISS release the GIL; Whoosh is pure Python: the legs run side by side.
    pending = _SEMANTIC_LEGS.submit(semantic_leg) if use_sem else None
    raw_lex = indexes.lexical.search(parsed, filters, WINDOW) if use_lex else []
    raw_within = indexes.lexical.search(parsed, within, WINDOW) if use_lex and within else []
    lexical, lex_within = fusion.collapse(raw_lex, turn_of), fusion.collapse(raw_within, turn_of)
    vec, semantic, sem_within = pending.result() if pending else (None, [], [])
    lex_rank = {t: (i, s, c) for i, (t, s, c) in enumerate(lexical, 1)}
    sem_rank = {t: (i, s, c) for i, (t, s, c) in enumerate(semantic, 1)}
    chunk_of = {t: c for lst in (lex_within, sem_within) for t, _, c in lst}
    w = 1.0 if q.mode == "lexical" else 0.0 if q.mode == "semantic" else \
        q.lexical_weight if q.lexical_weight is not None else shape_weight(parsed)
    lists = [[(t, s) for t, s, _ in x] for x in (lexical, semantic, lex_within, sem_within)]
    shares = [w, 1 - w, COMPANY_LISTS * w, COMPANY_LISTS * (1 - w)]
    if q.mode == "hybrid" and q.fusion == "rrf":
        weights = {"fusion": "rrf", "k": 60}
        fused = fusion.rrf(lists, [1, 1, COMPANY_LISTS, COMPANY_LISTS])
    else:
        weights = {"fusion": "weighted", "lexical": w, "semantic": round(1 - w, 3)} if q.mode == "hybrid" else {}
        # A lexical leg that found fewer passages than a page (a figure, a rare name) found every passage with
        # the query's words, and each should count: the rest score 0, so its scale starts at 0, where min-max
        # would give its last match nothing. (Cosine similarities have no such floor.)
        floors = [0.0 if len(raw) < FLOOR_BELOW else None for raw in (raw_lex, raw_within)]
        fused = fusion.convex(lists, shares, [floors[0], None, floors[1], None])
    fused = fusion.with_group_evidence(fusion.scaled(fused), call_of, CALL_EVIDENCE)
    if meant:
        def bonus(turn_id):
            call = call_of(turn_id)
            return (COMPANY_BOOST if directory.call_ticker.get(call) in meant.tickers else 0.0) + \
                (QUARTER_BOOST if meant.quarter and directory.call_quarter.get(call) == meant.quarter else 0.0)
        fused = fusion.boosted(fused, bonus)
        weights["interpreted"] = meant.to_dict()
    fused = fused[:WINDOW]
    page = fused[q.offset:q.offset + q.limit]
    hits = _hits(store, page, lex_rank, sem_rank, chunk_of, parsed, indexes, q.offset, encoder, vec)
    for h in hits:
        h.url = turn_url(base_url, h.call_id, h.turn_id)
        h.citation = citation(h.company, h.ticker, h.year, h.quarter, h.speaker, h.title, h.section)
    return SearchResults(q, hits, len(fused), (time.perf_counter() - t0) * 1000, weights)


_STOP_STEMS = {stem_word(w) for w in STOP_WORDS}     # 'its' stems to 'it': not worth a mark
SEMANTIC_SNIPPETS = 1        # hits per page whose snippet sentence may be chosen by embedding (about 20 ms each)
SNIPPET_SENTENCES = 5        # ... among their first sentences, embedded in one batch


def _closest_sentences(page, rows, chunks, best_chunk, terms, encoder, qvec) -> dict:
    """For the first hits whose passage shares no word with the query (found by meaning): turn id -> a picker
    of the sentence nearest the query. Their sentences are embedded in one batch (one model call per page)."""
    if qvec is None or encoder is None:
        return {}
    todo = []
    for tid, _ in page:
        if tid not in rows:
            continue
        sentences = sentences_of(chunks.get(best_chunk[tid], rows[tid]["text"]))
        if len(sentences) > 1 and not any(_stems(x) & terms for x in sentences):
            todo.append((tid, sentences[:SNIPPET_SENTENCES]))
            if len(todo) == SEMANTIC_SNIPPETS:
                break
    if not todo:
        return {}
    batch = [x[:200] for _, sentences in todo for x in sentences]
    scores = encoder.encode(batch) @ qvec
    out, at = {}, 0
    for tid, sentences in todo:
        best = int(scores[at:at + len(sentences)].argmax())
        out[tid] = lambda _sentences, best=best: best
        at += len(sentences)
    return out


def _hits(store, page, lex_rank, sem_rank, chunk_of, parsed, indexes, offset, encoder=None, qvec=None) -> list[Hit]:
    if not page:
        return []
    turn_ids = [t for t, _ in page]
    best_chunk = {t: (lex_rank[t][2] if t in lex_rank else sem_rank[t][2] if t in sem_rank else chunk_of[t])
                  for t in turn_ids}
    for t in turn_ids:        # prefer the chunk the better-ranked leg found
        if t in lex_rank and t in sem_rank and sem_rank[t][0] < lex_rank[t][0]:
            best_chunk[t] = sem_rank[t][2]
    marks = ",".join("?" * len(turn_ids))
    rows = {r["turn_id"]: dict(r) for r in store.db.execute(
        f"SELECT t.turn_id, t.call_id, t.position, t.speaker, t.title, t.role, t.section, t.text, k.company, "
        f"k.ticker, k.fiscal_year, k.fiscal_quarter, k.call_date, "
        f"(SELECT f.path FROM files f WHERE f.call_id = t.call_id ORDER BY f.path LIMIT 1) AS path "
        f"FROM turns t JOIN calls k USING (call_id) WHERE t.turn_id IN ({marks})", turn_ids)}
    chunk_ids = list(best_chunk.values())
    chunks = {r[0]: r[1] for r in store.db.execute(
        f"SELECT chunk_id, text FROM chunks WHERE chunk_id IN ({','.join('?' * len(chunk_ids))})", chunk_ids)}
    stem = stem_word
    terms = {t for c in parsed.words for g in indexes.lexical.terms_by_position(c) for t in g} - _STOP_STEMS
    closest = _closest_sentences(page, rows, chunks, best_chunk, terms, encoder, qvec)
    hits = []
    for rank, (tid, score) in enumerate(page, offset + 1):
        r = rows.get(tid)
        if r is None:       # the index is ahead of the store (a call deleted since the last reindex)
            continue
        passage = chunks.get(best_chunk[tid], r["text"])
        lr, sr = lex_rank.get(tid), sem_rank.get(tid)
        hits.append(Hit(
            turn_id=tid, call_id=r["call_id"], company=r["company"], ticker=r["ticker"], year=r["fiscal_year"],
            quarter=r["fiscal_quarter"], date=r["call_date"], speaker=r["speaker"], title=r["title"],
            role=r["role"], section=r["section"], position=r["position"],
            source_file=Path(r["path"]).name if r["path"] else None, chunk_id=best_chunk[tid], passage=passage,
            snippet=snippet(passage, terms, stem, closest=closest.get(tid)), text=r["text"], score=round(score, 6), rank=rank,
            lexical_rank=lr[0] if lr else None, lexical_score=round(lr[1], 4) if lr else None,
            semantic_rank=sr[0] if sr else None, semantic_score=round(sr[1], 4) if sr else None))
    return hits
