"""How strongly a hit matches its query, on one 0-1 scale for every mode: a hit below the floor (FLOOR, 0.5)
is not a match and is not shown (min_score lowers or raises the bar); from STRONG (0.8) it
is a strong match.

Two kinds of evidence, each mapped onto that scale by the two points calibrated for it (scripts/calibrate_floor.py
measures them on the development queries and on nonsense and off-topic queries; docs/measurements.md):
- by words (the lexical leg): the query's coverage, the share of its words' weight that the passage holds, each
  word weighted by its inverse document frequency (a rare word counts more than 'quarter'; a figure counts
  FIGURE_BOOST times, as in ranking); an OR group counts its best alternative, a phrase all its words. Which terms
  a text holds is the lexical engine's analyzer's answer (stemming, financial tokens), never a word list here.
- by meaning (the semantic leg): the cosine similarity of the passage's embedding with the query's, against the
  encoder's own calibrated points (an encoder owns its scale: Encoder.similarity_points). An encoder without
  them (the unit tests' hashed bag of words, whose cosine is word overlap blurred by hash collisions) is judged
  by the words in every mode.
A hit takes the stronger of the two, in every mode: it is a match when its words or its meaning support it well.
A keyword search embeds the query only when some hit's words do not carry it alone (and judges by words only
when the model is unavailable)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from index.query import FIGURE_BOOST, ParsedQuery, is_figure

STRONG = 0.8
FLOOR = 0.5
# Coverage: the share of the query's word weight a passage must hold to match, and to match strongly.
COVERAGE_POINTS = (0.6, 0.9)
JOINT = 0.4             # weight of the coverage added to the cosine similarity (see match_of)
LABELS = ((STRONG, "strong"), (FLOOR, "partial"), (0.0, "weak"))


def scaled(x: float, points: tuple[float, float]) -> float:
    """x mapped piecewise linearly so that points[0] -> FLOOR and points[1] -> STRONG, 0 -> 0 and 1 -> 1."""
    lo, hi = points
    if x <= lo:
        return FLOOR * max(x, 0.0) / lo
    if x <= hi:
        return FLOOR + (STRONG - FLOOR) * (x - lo) / (hi - lo)
    return min(1.0, STRONG + (1.0 - STRONG) * (x - hi) / (1.0 - hi))


def label(match: float) -> str:
    return next(name for bar, name in LABELS if match >= bar)


@dataclass(frozen=True)
class QueryWords:
    """The query's scored units as the engine analyses them: per OR group, its alternatives, each a tuple of
    terms (a word is one term, or several for 'non-GAAP'; a phrase all its words) with its weight: a phrase's
    words add up, a word split in several terms weighs as its rarest."""
    groups: tuple[tuple[tuple[tuple[str, ...], float], ...], ...]
    unknown: frozenset[str] = frozenset()       # terms no passage of the archive holds

    @classmethod
    def of(cls, parsed: ParsedQuery, terms_of: Callable[[str], list[list[str]]], doc_frequency: Callable[[str], int],
           passages: int) -> "QueryWords":
        n = max(1, passages)
        weight: dict[str, float] = {}
        unknown = set()

        def w(term: str) -> float:
            if term not in weight:
                df = doc_frequency(term)
                if df == 0:
                    unknown.add(term)
                idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
                weight[term] = idf * (FIGURE_BOOST if is_figure(term) else 1.0)
            return weight[term]
        groups = []
        for group in parsed.groups:
            alternatives = []
            for clause in group:
                terms = tuple(dict.fromkeys(g[0] for g in terms_of(clause.text) if g))
                if terms:       # a phrase weighs its words; a word the analyzer splits (e-power) is one word
                    alternatives.append((terms, (sum if clause.phrase else max)(w(t) for t in terms)))
            if alternatives:
                groups.append(tuple(alternatives))
        return cls(tuple(groups), frozenset(unknown))

    @property
    def known(self) -> float:
        """The share of the query's weight that the archive's passages hold at all (0: none of its words, as
        for nonsense: then no passage is close in meaning either, only nearest)."""
        return self.coverage(frozenset(t for alternatives in self.groups for terms, _ in alternatives
                                       for t in terms if t not in self.unknown))

    def coverage(self, held: set[str] | frozenset[str]) -> float:
        """The share of the query's weight whose terms the text holds (0 for a query without scored words)."""
        total = got = 0.0
        for alternatives in self.groups:
            total += max(wt for _, wt in alternatives)
            got += max((wt for terms, wt in alternatives if all(t in held for t in terms)), default=0.0)
        return got / total if total > 0 else 0.0


def match_of(coverage: float | None, similarity: float | None, similarity_points: tuple[float, float] | None,
             coverage_points: tuple[float, float] = COVERAGE_POINTS, joint: float = JOINT,
             known: bool = True) -> float:
    """The match strength of a hit, from its coverage and its cosine similarity (None: not known), the same in
    every mode (the mode decides how hits rank, not what a match is). By words: the coverage on COVERAGE_POINTS.
    By meaning: the similarity plus `joint` x the coverage (a passage close in meaning that also holds some of
    the words is better evidence than either alone) on the encoder's points. The stronger counts. known False:
    the archive holds none of the query's words (nonsense, or words it never uses): then the passages nearest
    in meaning are only nearest ('Thank you.'), and meaning alone makes no match."""
    cov = coverage or 0.0
    by_words = scaled(cov, coverage_points)
    if not similarity_points or similarity is None or not known:
        return by_words         # also: an encoder with no calibrated scale (the test encoder's hashed words)
    return max(by_words, scaled(similarity + joint * cov, similarity_points))

