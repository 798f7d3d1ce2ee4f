"""From ranked turns to the results a person reads: each turn's match strength and the floor, the analyst's
question folded into the executive's answer, the unit asked for, facets, the order, grouping by call and the page.

ranking (the window of fused turns, searcher.py) -> rows from the store -> match strength (strength.py) ->
unit: turns (a matching question folded into its matching answer) | exchanges -> floor -> facets over every
match -> sort -> groups -> the page -> Hits.

Folding (unit=turn): when an analyst's question and an executive's answer to it both match, the answer is the
hit: its score gains FOLD_SHARE of the question's and it carries the question; the question is not a hit of its
own. Every answer carries its question (matching or not), so a reader sees what it answers."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .exchanges import is_question, questions_of
from .models import SECTION_LABELS, Hit, turn_id
from .passages import context
from .request import SearchRequest
from .searcher import Ranking, Searcher
from .snippets import (MAX_HIT_TEXT, MAX_PASSAGE, citation, clip, closest_sentences, sentence_bounds, snippet,
                       turn_url)
from .strength import COVERAGE_POINTS, FLOOR, label, match_of

FOLD_SHARE = 0.5        # of a matching question's score that its matching answer gains
GROUP_HITS = 3          # turns shown under each call when grouping
FACET_VALUES = 10       # values listed per facet
MAX_QUESTION = 1_500    # characters of the question a hit carries
ROLE_LABELS = {"executive": "Executives", "analyst": "Analysts", "operator": "Operator", "unknown": "Unknown role"}


@dataclass
class Scored:
    """A turn of the window, or an exchange (unit=exchange: `turn` is the answer shown, `members` all its turns)."""
    turn: str
    score: float
    match: float
    coverage: float | None
    similarity: float | None
    members: tuple[str, ...] = ()


@dataclass
class Shaped:
    hits: list[Hit]
    total: int
    calls: int
    weak: int
    groups: list[dict] | None
    facets: dict


def shape(q: SearchRequest, ranking: Ranking, searcher: Searcher, store, base_url: str, encode, *,
          snippets: bool = True) -> Shaped:
    """The results of a request from its ranking. encode: texts -> vectors (snippets of hits found by meaning).
    snippets=False: hits without snippets (an export's file has the passage; they are half its cost)."""
    rows = store.hit_rows(t for t, _ in ranking.window)
    window = [(t, s) for t, s in ranking.window if t in rows]     # the index may be ahead of the store
    if not window:
        return Shaped([], 0, 0, 0, [] if q.group == "call" else None, _facets([], []))
    chunk = {t: ranking.chunk(t) for t, _ in window}
    words_chunk = {t: ranking.words_chunk(t) for t, _ in window}
    texts = store.chunk_texts(set(chunk.values()) | set(words_chunk.values()))
    words = searcher.query_words(ranking.parsed)
    coverage = _coverage(words, searcher, rows, words_chunk, texts)
    # a hit shows the evidence that makes it a match: the passage holding the words when they carry it
    chunk = {t: words_chunk[t] if coverage.get(t, 0.0) >= COVERAGE_POINTS[0] else c for t, c in chunk.items()}
    known = words.known > 0
    vector = ranking.query_vector
    if vector is None and known and any(c < COVERAGE_POINTS[0] for c in coverage.values()):
        vector = searcher.query_vector(ranking.parsed)      # a keyword search: meaning judges partial matches
    similarity = _similarity(ranking, searcher, words_chunk, vector)
    points = searcher.encoder().similarity_points if vector is not None else None
    scored = {t: Scored(t, s, match_of(coverage.get(t), similarity.get(t), points, known=known),
                        coverage.get(t), similarity.get(t)) for t, s in window}
    question = _questions(store, rows)
    # folding asks whether both match at the floor, whatever min_score shows: min_score only adds or drops hits
    units = _exchanges(scored, question, rows) if q.unit == "exchange" else _folded(scored, question, FLOOR)
    kept = [u for u in units if u.match >= q.floor and u.match > 0]    # no evidence at all is never a hit
    weak = sum(1 for u in units if 0 < u.match < q.floor)
    kept = _sorted(kept, rows, q.sort)
    calls = list(dict.fromkeys(rows[u.turn]["call_id"] for u in kept))
    # a question folded into its answer is shown with it: the role and speaker facets count it as what it is
    # (narrowing to analysts finds it), the others count the answer once (it has the answer's call and section)
    facets = _facets([rows[u.turn] for u in kept],
                     [rows[m] for u in kept for m in u.members if m != u.turn] if q.unit == "turn" else [])
    if q.group == "call":
        groups, page = _grouped(kept, rows, calls[q.offset:q.offset + q.limit])
    else:
        groups, page = None, kept[q.offset:q.offset + q.limit]
    rank = {id(u): i for i, u in enumerate(kept, 1)}             # a hit's rank among all matches, in order
    hits = _hits(page, [rank[id(u)] for u in page], ranking, rows, chunk, texts, question, store, base_url, encode,
                 snippets)
    return Shaped(hits, len(kept), len(calls), weak, groups, facets)


def extended(head: Shaped, deep: Shaped, limit: int, q: SearchRequest) -> Shaped:
    """An export's matches: those of the search's own window (head, every one, in the order a search shows them)
    and then the further ones a deeper ranking found (deep, in its order; a deeper window scales the legs'
    scores over more turns, so its order need not agree with the search's), up to limit, flat, ranked anew;
    sort=date orders them all by call date. deep holds limit + 1 hits at most: total, the matches of both
    windows, is then at least deep's (more than limit: the cap cut them)."""
    def key(h: Hit) -> str:         # what a hit stands for: its exchange (by its question), or its turn
        return (h.question["turn_id"] if h.question else h.turn_id) if q.unit == "exchange" else h.turn_id
    seen = {key(h) for h in head.hits}
    if q.unit != "exchange":        # a question folded into its answer is shown by it
        seen.update(h.question["turn_id"] for h in head.hits if h.question and h.question["matched"])
    every = head.hits + [h for h in deep.hits if key(h) not in seen]
    if q.sort == "date":            # newest call first; the order so far (relevance) within a call
        every.sort(key=lambda h: (h.date or "", h.year or 0, h.quarter or 0, h.call_id), reverse=True)
    hits = every[:limit]
    for i, h in enumerate(hits, 1):
        h.rank = i
    return Shaped(hits, max(len(every), deep.total), len({h.call_id for h in every}), deep.weak, None, deep.facets)


def _questions(store, rows) -> dict[str, str]:
    """answer turn id -> the turn id of the question it answers, for the Q&A turns among rows."""
    calls = {r["call_id"] for r in rows.values() if r["section"] == "qa"}
    out = {}
    for call, turns in (store.turn_roles(calls) if calls else {}).items():
        out.update((turn_id(call, a), turn_id(call, qn)) for a, qn in questions_of(turns).items())
    return out


def _grouped(kept: list[Scored], rows, calls: list[str]) -> tuple[list[dict], list[Scored]]:
    """The page's calls, each with its matched count and best GROUP_HITS turns; and those turns, call by call."""
    by_call: dict[str, list[Scored]] = {}
    for u in kept:
        by_call.setdefault(rows[u.turn]["call_id"], []).append(u)
    groups = []
    for call in calls:
        r = rows[by_call[call][0].turn]
        groups.append({"call_id": call, "company": r["company"], "ticker": r["ticker"], "year": r["fiscal_year"],
                       "quarter": r["fiscal_quarter"], "date": r["call_date"], "matched": len(by_call[call]),
                       "best": round(max(u.score for u in by_call[call]), 6),
                       "turn_ids": [u.turn for u in by_call[call][:GROUP_HITS]]})
    return groups, [u for call in calls for u in by_call[call][:GROUP_HITS]]


def _coverage(words, searcher, rows, words_chunk, texts) -> dict[str, float]:
    """The query's coverage of each turn's best-matching chunk with its context (who, when), as the lexical leg
    sees it."""
    out = {}
    for t, c in words_chunk.items():
        r = rows[t]
        where = context(r["ticker"], r["company"], r["fiscal_year"], r["fiscal_quarter"], r["speaker"],
                        with_company=True)
        out[t] = words.coverage(searcher.held(c, texts.get(c, "")) | searcher.held(where, where))
    return out


def _similarity(ranking: Ranking, searcher: Searcher, words_chunk, vector) -> dict[str, float]:
    """Each turn's cosine similarity with the query (vector): its best chunk's in the semantic leg where that
    leg found it, else its best-matching chunk's, computed exactly."""
    if vector is None:
        return {}
    out = {t: r[1] for t, r in ranking.semantic.items() if t in words_chunk}
    out.update((t, sim) for t, (sim, _) in ranking.within.items()
               if sim is not None and t in words_chunk and t not in out)
    missing = {words_chunk[t]: t for t in words_chunk if t not in out}
    for c, sim in searcher.similarity(vector, list(missing)).items():
        out[missing[c]] = sim
    return out


def _folded(scored: dict[str, Scored], question: dict[str, str], floor: float) -> list[Scored]:
    """Turns, each question that matches folded into its answers that match (see the module's note)."""
    folded = set()
    out = []
    for t, u in scored.items():
        qn = question.get(t)
        if qn in scored and u.match >= floor and scored[qn].match >= floor:
            u = Scored(t, u.score + FOLD_SHARE * scored[qn].score, u.match, u.coverage, u.similarity, (t, qn))
            folded.add(qn)
        out.append(u)
    return sorted((u for u in out if u.turn not in folded), key=lambda u: (-u.score, u.turn))


def _exchanges(scored: dict[str, Scored], question: dict[str, str], rows) -> list[Scored]:
    """unit=exchange: a question and its answers are one unit, scored by its best answer plus its question
    (both matching rank first), shown as its best answer (or the question, when no answer is in the window).
    Turns of no exchange (the operator, a remark that answers no question) are not units."""
    units: dict[str, list[Scored]] = {}
    for t, u in scored.items():
        if t in question:
            units.setdefault(question[t], []).append(u)
        elif is_question(rows[t]):
            units.setdefault(t, []).append(u)
    out = []
    for key, members in units.items():
        answers = [m for m in members if m.turn != key]
        best = max(answers, key=lambda m: m.score) if answers else members[0]
        asked = scored.get(key) if answers else None        # the question, when it is in the window
        score = best.score + (asked.score if asked is not None else 0.0)
        strongest = max(members, key=lambda m: m.match)
        out.append(Scored(best.turn, score, strongest.match, strongest.coverage, strongest.similarity,
                          tuple(m.turn for m in members)))
    return sorted(out, key=lambda u: (-u.score, u.turn))


def _sorted(kept: list[Scored], rows, sort: str) -> list[Scored]:
    if sort != "date":
        return kept
    def when(u):
        r = rows[u.turn]
        return (r["call_date"] or "", r["fiscal_year"] or 0, r["fiscal_quarter"] or 0, r["call_id"])
    # newest call first; within a call, by relevance (the sort is stable: kept is in relevance order)
    return sorted(kept, key=when, reverse=True)


def _facets(rows: list[dict], folded: list[dict]) -> dict:
    """Counts of the matches by company, fiscal year, quarter, role, section and speaker, each value with the
    request parameter that narrows to it; folded: the questions shown above their answers (role and speaker
    count them too)."""
    def top(counter: Counter, param, label_of=str):
        return [{"param": param, "value": v, "label": label_of(v), "count": n}
                for v, n in sorted(counter.items(), key=lambda x: (-x[1], str(x[0])))[:FACET_VALUES]]
    companies = Counter((r["ticker"] or None, r["company"]) for r in rows)
    names = {}
    for (ticker, company), _ in companies.most_common():
        names.setdefault(ticker, company)
    by_ticker = Counter()
    for (ticker, company), n in companies.items():
        by_ticker[("ticker", ticker) if ticker else ("company", company or "")] += n
    company = [{"param": p, "value": v, "label": (names.get(v) or v) if p == "ticker" else v, "count": n}
               for (p, v), n in sorted(by_ticker.items(), key=lambda x: (-x[1], str(x[0][1])))[:FACET_VALUES]]
    return {"company": company,
            "year": top(Counter(r["fiscal_year"] for r in rows if r["fiscal_year"]), "year"),
            "quarter": top(Counter(r["fiscal_quarter"] for r in rows if r["fiscal_quarter"]), "quarter",
                           lambda v: f"Q{v}"),
            "role": top(Counter(r["role"] for r in rows + folded), "role", lambda v: ROLE_LABELS.get(v, v)),
            "section": top(Counter(r["section"] for r in rows), "section", lambda v: SECTION_LABELS.get(v, v)),
            "speaker": top(Counter(r["speaker"] for r in rows + folded), "speaker")}


def _widened(turn_text: str, passage: str) -> str:
    """The passage widened to whole sentences of its turn."""
    at = turn_text.find(passage[:200])
    if at < 0:
        return passage
    a, b = sentence_bounds(turn_text, at, at + len(passage))
    return turn_text[a:b]


def _hits(page: list[Scored], ranks: list[int], ranking: Ranking, rows, chunk, texts, question, store, base_url,
          encode, snippets: bool = True) -> list[Hit]:
    if not page:
        return []
    passages = {u.turn: _widened(rows[u.turn]["text"], texts.get(chunk[u.turn], rows[u.turn]["text"])) for u in page}
    closest = closest_sentences(list(passages.items()), ranking.marker, encode, ranking.query_vector) \
        if snippets else {}
    asked = store.hit_rows({question[u.turn] for u in page if u.turn in question})
    hits = []
    for rank, u in zip(ranks, page):
        tid, r = u.turn, rows[u.turn]
        lr, sr = ranking.lexical.get(tid), ranking.semantic.get(tid)
        passage, cut_passage = clip(passages[tid], MAX_PASSAGE)
        text, cut_text = clip(r["text"], MAX_HIT_TEXT)
        qrow = asked.get(question.get(tid))
        hits.append(Hit(
            turn_id=tid, call_id=r["call_id"], company=r["company"], ticker=r["ticker"], year=r["fiscal_year"],
            quarter=r["fiscal_quarter"], date=r["call_date"], speaker=r["speaker"], title=r["title"],
            role=r["role"], section=r["section"], position=r["position"],
            source_file=Path(r["path"]).name if r["path"] else None, chunk_id=chunk[tid],
            passage=passage, snippet=snippet(passage, ranking.marker, closest=closest.get(tid)) if snippets else "",
            text=text, truncated=cut_passage or cut_text, score=round(u.score, 6), rank=rank,
            lexical_rank=lr[0] if lr else None, lexical_score=round(lr[1], 4) if lr else None,
            semantic_rank=sr[0] if sr else None, semantic_score=round(sr[1], 4) if sr else None,
            url=turn_url(base_url, r["call_id"], tid),
            citation=citation(r["company"], r["ticker"], r["fiscal_year"], r["fiscal_quarter"], r["speaker"],
                              r["title"], r["section"]),
            match=round(u.match, 4), strength=label(u.match),
            coverage=round(u.coverage, 4) if u.coverage is not None else None,
            similarity=round(u.similarity, 4) if u.similarity is not None else None,
            question=_question(qrow, ranking, base_url, qrow["turn_id"] in u.members, snippets) if qrow else None))
    return hits


def _question(r: dict, ranking: Ranking, base_url: str, matched: bool, snippets: bool = True) -> dict:
    """The question an answer answers; matched: it matches the query too (folded into this hit)."""
    text, _ = clip(r["text"], MAX_QUESTION)
    return {"turn_id": r["turn_id"], "speaker": r["speaker"], "title": r["title"], "role": r["role"],
            "position": r["position"], "text": text, "snippet": snippet(text, ranking.marker) if snippets else "",
            "matched": matched,
            "url": turn_url(base_url, r["call_id"], r["turn_id"])}

