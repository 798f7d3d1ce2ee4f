"""Fusing ranked lists: reciprocal rank fusion (no scores needed) and a weighted convex combination of scores
min-max normalised over the fixed candidate window of each list. Pure functions over [(id, score), ...]."""
from __future__ import annotations

from typing import Sequence

Ranked = Sequence[tuple[str, float]]


def rrf(lists: Sequence[Ranked], weights: Sequence[float] | None = None, k: int = 60) -> list[tuple[str, float]]:
    weights = weights or [1.0] * len(lists)
    fused: dict[str, float] = {}
    for w, ranked in zip(weights, lists):
        for rank, (doc, _) in enumerate(ranked, 1):
            fused[doc] = fused.get(doc, 0.0) + w / (k + rank)
    return sorted(fused.items(), key=lambda x: (-x[1], x[0]))


def minmax(ranked: Ranked, floor: float | None = None) -> dict[str, float]:
    """Scores scaled to [0, 1] over the list; a list of one, or of equal scores, scales to 1. With a floor, the
    scale starts there instead of at the list's lowest score."""
    if not ranked:
        return {}
    scores = [s for _, s in ranked]
    lo, hi = min(scores), max(scores)
    if floor is not None:
        lo = min(lo, floor)
    if hi - lo <= 1e-12:
        return {d: 1.0 for d, _ in ranked}
    return {d: (s - lo) / (hi - lo) for d, s in ranked}


def convex(lists: Sequence[Ranked], weights: Sequence[float], floors: Sequence[float | None] | None = None
           ) -> list[tuple[str, float]]:
    """sum_i w_i * minmax_i(score); a candidate missing from a list gets 0 from it. A list with a floor is scaled
    from that floor instead of from its lowest score: for a list that holds every match its leg has (BM25 found
    fewer passages than the window), what it does not hold scores 0, so 0 is its floor, and its last entry
    still counts (min-max over two hits would give the second one nothing)."""
    floors = floors or [None] * len(lists)
    fused: dict[str, float] = {}
    for w, ranked, floor in zip(weights, lists, floors):
        for doc, s in minmax(ranked, floor).items():
            fused[doc] = fused.get(doc, 0.0) + w * s
    return sorted(fused.items(), key=lambda x: (-x[1], x[0]))


def scaled(ranked: Ranked) -> list[tuple[str, float]]:
    """Scores divided by the best one, so that boosts added afterwards mean the same for any fusion."""
    top = max((s for _, s in ranked), default=0.0)
    return [(d, s / top if top > 0 else 0.0) for d, s in ranked]


def with_group_evidence(ranked: Ranked, group_of, share: float, top: int = 3) -> list[tuple[str, float]]:
    """Each score plus share x (its group's evidence / the best group's), where a group's evidence is the sum of
    its top scores: a passage of a document that matches the query in several places ranks above an equally
    good passage that stands alone."""
    best: dict[str, list[float]] = {}
    for d, s in ranked:
        best.setdefault(group_of(d), []).append(s)
    evidence = {g: sum(sorted(v, reverse=True)[:top]) for g, v in best.items()}
    norm = max(evidence.values(), default=0.0) or 1.0
    out = [(d, s + share * evidence[group_of(d)] / norm) for d, s in ranked]
    return sorted(out, key=lambda x: (-x[1], x[0]))


def boosted(ranked: Ranked, bonus) -> list[tuple[str, float]]:
    """Each score plus bonus(id), re-sorted."""
    return sorted(((d, s + bonus(d)) for d, s in ranked), key=lambda x: (-x[1], x[0]))


def collapse(ranked: Ranked, key) -> list[tuple[str, float, str]]:
    """Keep the best entry per group (e.g. per turn): [(group, score, best id)] in rank order."""
    seen: dict[str, tuple[float, str]] = {}
    order = []
    for doc, s in ranked:
        g = key(doc)
        if g not in seen:
            seen[g] = (s, doc)
            order.append(g)
    return [(g, seen[g][0], seen[g][1]) for g in order]
