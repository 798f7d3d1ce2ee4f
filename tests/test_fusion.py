"""Fusion is pure functions over ranked (id, score) lists."""
from __future__ import annotations

import pytest

from index import fusion


def test_rrf_rewards_agreement_and_breaks_ties_by_id():
    fused = fusion.rrf([[("a", 9), ("b", 5)], [("b", 0.9), ("c", 0.8)]])
    assert [d for d, _ in fused] == ["b", "a", "c"]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)


def test_convex_min_max_scales_each_list_over_its_window():
    fused = dict(fusion.convex([[("a", 10), ("b", 6), ("c", 2)], [("c", 0.9), ("a", 0.5)]], [0.5, 0.5]))
    assert fused["a"] == pytest.approx(0.5 * 1 + 0.5 * 0) and fused["b"] == pytest.approx(0.25)
    assert fused["c"] == pytest.approx(0.5)
    assert fusion.minmax([("x", 3.0)]) == {"x": 1.0} and fusion.minmax([]) == {}


def test_a_floor_keeps_the_last_match_of_a_short_list():
    """Min-max over two BM25 hits gives the second nothing; a list that holds every match scales from 0."""
    short = [("a", 9.6), ("b", 9.4)]
    others = [("c", 0.63), ("d", 0.62), ("b", 0.50)]
    plain = dict(fusion.convex([short, others], [0.9, 0.1]))
    floored = dict(fusion.convex([short, others], [0.9, 0.1], [0.0, None]))
    assert plain["b"] < plain["c"]                       # the exact match sinks below a vague one
    assert floored["b"] == pytest.approx(0.9 * 9.4 / 9.6) and floored["b"] > floored["c"]


def test_scaled_group_evidence_and_boosts():
    ranked = [("c1:t1", 2.0), ("c2:t1", 1.9), ("c2:t2", 1.8), ("c2:t3", 1.0), ("c3:t1", 0.2)]
    s = fusion.scaled(ranked)
    assert s[0] == ("c1:t1", 1.0) and fusion.scaled([("a", 0.0)]) == [("a", 0.0)]
    call = lambda t: t.split(":")[0]
    ev = fusion.with_group_evidence(s, call, 0.2)
    assert [d for d, _ in ev] == ["c2:t1", "c2:t2", "c1:t1", "c2:t3", "c3:t1"]   # a call matching in three
    # places lifts its turns above a turn that stands alone
    assert dict(ev)["c2:t1"] == pytest.approx(0.95 + 0.2)
    boosted = fusion.boosted(ev, lambda d: 2.0 if d.startswith("c3") else 0.0)
    assert boosted[0][0] == "c3:t1"


def test_collapse_keeps_the_best_chunk_per_turn():
    out = fusion.collapse([("t1:c2", 5), ("t2:c1", 4), ("t1:c1", 3)], lambda c: c.split(":")[0])
    assert out == [("t1", 5, "t1:c2"), ("t2", 4, "t2:c1")]
