"""The vector leg's segments: updates add a segment and mark replaced rows deleted (big segments are never
rewritten), searches span segments and skip deleted rows, filters hold, merges keep every live row, HNSW segments
agree with exact search; IVF segments (big ones) are chosen above their threshold, agree with exact search, answer
selective filters exactly and broad ones in full, never return deleted rows, save and load (floats memory-mapped)
and are hard-linked by updates."""
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


# ---- IVF segments (thresholds lowered so that the tests stay small) ------------------------------------------

def clustered(n, d=32, clusters=40, seed=3):
    """Unit vectors around a few directions (the same ones for every seed), as embeddings of similar passages."""
    centers = np.random.default_rng(0).normal(size=(clusters, d))
    r = np.random.default_rng(seed)
    v = (centers[r.integers(0, clusters, n)] + r.normal(scale=0.6, size=(n, d))).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def big_rows(n, seed=3):
    """n rows of 10 tickers (10% each: a selective filter) and 10 years (2015-2019: a broad one)."""
    r = np.random.default_rng(seed + 1)
    tickers, years = r.integers(0, 10, n), r.integers(2015, 2025, n)
    meta = [{"ticker": f"T{t}", "year": int(y), "call_id": f"T{t}-{y}Q1"} for t, y in zip(tickers, years)]
    return [f"T{m['ticker']}-{m['year']}Q1:t{i:05d}:c01" for i, m in enumerate(meta)], clustered(n, seed=seed), meta


@pytest.fixture
def ivf(monkeypatch):
    monkeypatch.setattr(vector, "IVF_MIN_ROWS", 3000)
    monkeypatch.setattr(vector, "ANN_MIN_ROWS", 1000)
    monkeypatch.setattr(vector, "IVF_MIN_LISTS", 16)
    ids, v, meta = big_rows(4000)
    return VectorIndex.build(ids, v, meta, FIELDS)


def overlap(got, want):
    return len({i for i, _ in got} & set(want)) / len(want)


def test_segments_from_the_ivf_threshold_up_are_ivf(ivf):
    seg = ivf.segments[0]
    assert seg.kind == "ivf" and ivf.kind == "ivf" and seg.index.nlist == vector.ivf_lists(4000)
    assert seg.index.nprobe == vector.ivf_probes(seg.index.nlist) >= 1
    assert Segment_kind(2999) == "hnsw" and Segment_kind(999) == "exact"
    grown = ivf.updated("call_id", [], *big_rows(50, seed=9))
    assert [s.kind for s in grown.segments] == ["ivf", "exact"]


def Segment_kind(n):
    ids, v, meta = big_rows(n, seed=5)
    return vector.Segment.build("seg-000009", ids, v, meta, FIELDS).kind


def test_ivf_recall_against_exact_search(ivf):
    qs = clustered(100, seed=11)
    for limit in (10, 100):
        r = np.mean([overlap(ivf.search(q, limit=limit), exact(ivf, q, limit=limit)) for q in qs])
        assert r >= 0.95, (limit, r)
    q = ivf.segments[0].vectors[17]
    assert ivf.search(q, limit=1)[0] == (ivf.segments[0].ids[17], pytest.approx(1.0, abs=1e-5))  # exact scores


def test_ivf_selective_filters_give_the_exact_answer(ivf):
    for q in clustered(30, seed=12):
        for filters in ({"ticker": "T3"}, {"ticker": ["T1", "T2"]}, {"year": (2020, 2021)},
                        {"ticker": "T4", "year": (2015, 2019)}):
            got = ivf.search(q, filters, limit=20)
            assert [i for i, _ in got] == exact(ivf, q, filters, limit=20)


def test_ivf_broad_filters_get_their_full_top_k(ivf, monkeypatch):
    years = {i: m for i, m in zip(ivf.segments[0].ids, ivf.segments[0].rows_meta(np.arange(4000)))}
    qs = clustered(30, seed=13)
    r = []
    for q in qs:
        got = ivf.search(q, {"year": (2015, 2019)}, limit=50)
        assert len(got) == 50 and all(2015 <= years[i]["year"] <= 2019 for i, _ in got)
        r.append(overlap(got, exact(ivf, q, {"year": (2015, 2019)}, limit=50)))
    assert np.mean(r) >= 0.95
    # Too few found in the lists scanned: the exact search over the filter's rows answers.
    monkeypatch.setattr(vector, "RERANK_MIN", 1)
    ivf.segments[0].index.nprobe = 1
    for q in qs[:5]:
        got = ivf.search(q, {"year": (2015, 2019)}, limit=1500)
        assert [i for i, _ in got] == exact(ivf, q, {"year": (2015, 2019)}, limit=1500)


def test_ivf_segments_never_return_deleted_rows(ivf):
    gone = {"T5-2016Q1", "T7-2020Q1", "T0-2024Q1"}
    ix = ivf.updated("call_id", sorted(gone), *big_rows(30, seed=21))
    seg = ix.segments[0]
    dead = {seg.ids[r] for r in np.flatnonzero(ix.deleted[seg.name])}
    assert dead and all(i.split(":")[0][1:] in gone for i in dead)
    for q in list(clustered(20, seed=14)) + [seg.vectors[r] for r in np.flatnonzero(ix.deleted[seg.name])[:10]]:
        for filters in (None, {"year": (2015, 2021)}, {"ticker": "T5"}, {"ticker": ["T5", "T7"], "year": (2016, 2020)}):
            got = ix.search(q, filters, limit=100)
            assert not {i for i, _ in got} & dead
            assert len(got) == min(100, len(exact(ix, q, filters, limit=100)))


def test_ivf_segments_save_load_and_are_hard_linked_by_updates(ivf, tmp_path):
    ivf.save(tmp_path / "g1")
    folder = tmp_path / "g1" / "seg-000001"
    assert {p.name for p in folder.iterdir()} >= {"vectors.faiss", "vectors.npy"}
    back = VectorIndex.load(tmp_path / "g1")
    seg = back.segments[0]
    assert seg.kind == "ivf" and isinstance(seg.vectors, np.memmap)          # floats memory-mapped, not read
    assert np.array_equal(np.asarray(seg.vectors), ivf.segments[0].vectors)
    assert seg.index.nprobe == vector.ivf_probes(seg.index.nlist)
    for q in clustered(10, seed=15):
        for filters in (None, {"ticker": "T2"}, {"year": (2015, 2019)}):
            assert back.search(q, filters, limit=30) == ivf.search(q, filters, limit=30)
    new = back.updated("call_id", ["T1-2015Q1"], *big_rows(20, seed=22))
    new.save(tmp_path / "g2")
    for name in ("vectors.faiss", "vectors.npy", "ids.json", "columns.npz"):
        assert (folder / name).stat().st_ino == (tmp_path / "g2" / "seg-000001" / name).stat().st_ino
    again = VectorIndex.load(tmp_path / "g2")
    assert [s.kind for s in again.segments] == ["ivf", "exact"] and len(again) == len(new)
    q = clustered(1, seed=16)[0]
    assert again.search(q, limit=20) == new.search(q, limit=20)


def test_a_truncated_float_file_is_refused(ivf, tmp_path):
    ivf.save(tmp_path / "g")
    path = tmp_path / "g" / "seg-000001" / "vectors.npy"
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError):
        VectorIndex.load(tmp_path / "g")


def test_ivf_searches_from_several_threads_agree_and_builds_keep_the_thread_setting(ivf):
    from concurrent.futures import ThreadPoolExecutor
    import faiss
    qs = clustered(40, seed=17)
    cases = [(q, f) for q in qs for f in (None, {"year": (2015, 2019)}, {"ticker": "T1"})]
    alone = [ivf.search(q, f, limit=20) for q, f in cases]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda c: ivf.search(c[0], c[1], limit=20), cases)) == alone
    before = faiss.omp_get_max_threads()
    vector._ivf_index(clustered(3000, seed=18), nlist=16)                 # trains its codes in one thread ...
    assert faiss.omp_get_max_threads() == before                          # ... and puts the setting back
