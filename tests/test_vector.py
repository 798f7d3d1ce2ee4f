"""The vector leg's segments: updates add a segment and mark replaced rows deleted (big segments are never
rewritten), searches span segments and skip deleted rows, filters hold, merges keep every live row, HNSW segments
agree with exact search."""
from __future__ import annotations

import numpy as np
import pytest

from index import vector
from index.filters import INTEGER, KEYWORD
from index.vector import VectorIndex

FIELDS = {"ticker": KEYWORD, "year": INTEGER, "call_id": KEYWORD}
rng = np.random.default_rng(7)


def unit(n, d=16):
    v = rng.normal(size=(n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def rows(call, n, ticker, year):
    return [f"{call}:t{i:03d}:c01" for i in range(n)], unit(n), \
        [{"ticker": ticker, "year": year, "call_id": call} for _ in range(n)]


def exact(ix, q, filters=None, limit=10):
    """The reference: every live row scored."""
    cands = []
    for s in ix.segments:
        m = ix.mask(filters)[s.name]
        keep = np.arange(len(s)) if m is None else np.flatnonzero(m)
        cands += [(s.ids[i], float(s.vectors[i] @ q)) for i in keep]
    return [i for i, _ in sorted(cands, key=lambda x: -x[1])[:limit]]


@pytest.fixture
def base():
    ids, v, meta = rows("AAA-2020Q1", 400, "AAA", 2020)
    ids2, v2, meta2 = rows("BBB-2020Q1", 100, "BBB", 2020)
    return VectorIndex.build(ids + ids2, np.concatenate([v, v2]), meta + meta2, FIELDS)


def test_an_update_adds_a_segment_and_hides_replaced_rows(base, tmp_path):
    base.save(tmp_path / "g1")
    old = VectorIndex.load(tmp_path / "g1")
    ids, v, meta = rows("BBB-2020Q1", 30, "BBB", 2021)           # BBB's call replaced by a new version
    new = old.updated("call_id", ["BBB-2020Q1"], ids, v, meta)
    assert [s.name for s in new.segments] == ["seg-000001", "seg-000002"] and len(new) == 430
    assert len(old) == 500 and not old.deleted                    # the loaded index is not changed
    q = v[3]
    top = new.search(q, limit=5)
    assert top[0][0] == ids[3] and top[0][1] == pytest.approx(1.0, abs=1e-5)
    years = {new.search(q, {"ticker": "BBB"}, limit=100)[i][0] for i in range(30)}
    assert years == set(ids) and len(new.search(q, {"ticker": "BBB"}, limit=100)) == 30   # old rows are gone
    assert new.search(q, {"year": (2020, 2020)}, limit=500) and \
        all(not i.startswith("BBB") for i, _ in new.search(q, {"year": (2020, 2020)}, limit=500))
    new.save(tmp_path / "g2")
    big_old, big_new = tmp_path / "g1" / "seg-000001" / "vectors.faiss", tmp_path / "g2" / "seg-000001" / "vectors.faiss"
    assert big_old.stat().st_ino == big_new.stat().st_ino         # hard-linked, not rewritten
    back = VectorIndex.load(tmp_path / "g2")
    assert len(back) == 430 and back.search(q, limit=5) == top


@pytest.mark.parametrize("filters", [None, {"ticker": "AAA"}, {"ticker": ["AAA", "CCC"]}, {"year": (2021, 2022)}])
def test_search_across_segments_equals_an_exhaustive_search(base, filters):
    ix = base
    for n, call in enumerate(("CCC-2021Q1", "DDD-2021Q2", "AAA-2020Q1")):
        ids, v, meta = rows(call, 40, call[:3], 2021 + n % 2)
        ix = ix.updated("call_id", [call], ids, v, meta)
    for q in unit(20):
        assert [i for i, _ in ix.search(q, filters, limit=10)] == exact(ix, q, filters)


def test_merge_policy_keeps_every_live_row(base, monkeypatch):
    monkeypatch.setattr(vector, "MAX_SEGMENTS", 3)
    ix = base
    added = []
    for n in range(5):
        ids, v, meta = rows(f"N{n}-2021Q1", 10, f"N{n}", 2021)
        ix = ix.updated("call_id", [], ids, v, meta)
        added += ids
        assert len(ix.segments) <= 3
    assert len(ix) == 550 and ix.segments[0].name == "seg-000001"      # the biggest segment is kept as it was
    live = {i for s in ix.segments for i in s.ids}
    assert set(added) <= live
    ix = ix.updated("call_id", ["AAA-2020Q1"], [], np.zeros((0, 16), np.float32), [])   # 400 of 550 deleted
    assert len(ix.segments) == 1 and not ix.deleted and len(ix) == 150   # too many deleted: merged into one


def test_hnsw_segments_agree_with_exact_search(monkeypatch):
    monkeypatch.setattr(vector, "ANN_MIN_ROWS", 500)
    ids, v, meta = rows("BIG-2020Q1", 2000, "BIG", 2020)
    ix = VectorIndex.build(ids, v, meta, FIELDS)
    assert ix.kind == "hnsw"
    qs = unit(50)
    overlap = np.mean([len({i for i, _ in ix.search(q, limit=10)} & set(exact(ix, q))) / 10 for q in qs])
    assert overlap >= 0.99
    small = ix.updated("call_id", [], *rows("NEW-2021Q1", 5, "NEW", 2021))
    assert [s.kind for s in small.segments] == ["hnsw", "exact"]
    assert small.search(small.segments[1].vectors[0], limit=1)[0][0] == "NEW-2021Q1:t000:c01"


def test_a_damaged_segment_list_is_refused(base, tmp_path):
    base.save(tmp_path / "g")
    np.savez(tmp_path / "g" / "deleted.npz", **{"seg-000001": np.zeros(3, dtype=bool)})
    with pytest.raises(ValueError, match="deleted rows do not match"):
        VectorIndex.load(tmp_path / "g")
