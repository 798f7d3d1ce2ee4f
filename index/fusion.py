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


def minmax(ranked: Ranked) -> dict[str, float]:
    """Scores scaled to [0, 1] over the list; a list of one, or of equal scores, scales to 1."""
    if not ranked:
        return {}
    scores = [s for _, s in ranked]
    lo, hi = min(scores), max(scores)
    if hi - lo <= 1e-12:
        return {d: 1.0 for d, _ in ranked}
    return {d: (s - lo) / (hi - lo) for d, s in ranked}


def convex(lists: Sequence[Ranked], weights: Sequence[float]) -> list[tuple[str, float]]:
    """sum_i w_i * minmax_i(score); a candidate missing from a list gets 0 from it."""
    fused: dict[str, float] = {}
    for w, ranked in zip(weights, lists):
        for doc, s in minmax(ranked).items():
            fused[doc] = fused.get(doc, 0.0) + w * s
    return sorted(fused.items(), key=lambda x: (-x[1], x[0]))


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
