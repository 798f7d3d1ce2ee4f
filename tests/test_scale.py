"""Scale: the embedding precision (bf16 where the CPU has it, a cache keyed by precision) and the N-times archive
that benchmarks are measured on (scripts/make_10x.py)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from archive.config import Settings
from archive.errors import BadRequestError
from archive.request import SearchRequest
from archive.service import Archive
from index import encoders
from index.vector_cache import VectorCache

from .conftest import ROOT, SAMPLE


def test_precision_is_chosen_from_the_cpu(monkeypatch):
    monkeypatch.setattr(encoders, "cpu_has_bf16", lambda: True)
    assert encoders.chosen_precision("auto", "cpu") == "bf16"
    assert encoders.chosen_precision("auto", "cuda") == "fp32"
    assert encoders.chosen_precision("fp32", "cpu") == "fp32"
    monkeypatch.setattr(encoders, "cpu_has_bf16", lambda: False)
    assert encoders.chosen_precision("auto", "cpu") == "fp32"
    assert encoders.cache_key("m", "fp32") == "m" and encoders.cache_key("m", "bf16") == "m@bf16"
    with pytest.raises(BadRequestError) as e:
        Settings(precision="fp16").validate()
    assert "precision='fp16'" in e.value.message and "auto, fp32 or bf16" in e.value.hint


def test_cpu_flags_are_read(monkeypatch, tmp_path):
    fake = tmp_path / "cpuinfo"
    fake.write_text("processor : 0\nflags : fpu sse avx512f avx512_bf16\n")
    real_open = open
    monkeypatch.setattr("builtins.open", lambda p, *a, **k: real_open(fake if p == "/proc/cpuinfo" else p, *a, **k))
    assert encoders.cpu_has_bf16()
    fake.write_text("flags : fpu sse avx2\n")
    assert not encoders.cpu_has_bf16()


class CountingEncoder(encoders.HashEncoder):
    def __init__(self, precision):
        super().__init__()
        self.precision, self.cache_key, self.calls = precision, encoders.cache_key(self.name, precision), []

    def encode(self, texts, batch_size=64):
        self.calls.append(list(texts))
        return super().encode(texts, batch_size)


def test_the_cache_is_keyed_by_precision_and_prefers_fp32_vectors(tmp_path):
    cache = VectorCache(tmp_path / "v.sqlite3")
    fp32, bf16 = CountingEncoder("fp32"), CountingEncoder("bf16")
    a = cache.embed(fp32, ["alpha beta", "gamma"])
    # bf16 reuses the fp32 vectors and embeds only the new text, under its own key
    b = cache.embed(bf16, ["alpha beta", "gamma", "delta"])
    assert bf16.calls == [["delta"]] and np.array_equal(a, b[:2])
    assert cache.count("hash-test-encoder") == 2 and cache.count("hash-test-encoder@bf16") == 1
    assert cache.encoders() == ["hash-test-encoder", "hash-test-encoder@bf16"]
    # an fp32 encoder never reads bf16 vectors: it embeds 'delta' itself
    cache.embed(fp32, ["delta"])
    assert fp32.calls[-1] == ["delta"] and cache.count("hash-test-encoder") == 3
    cache.close()


def test_the_manifest_and_stats_say_what_built_the_index(tmp_path):
    with Archive.open(Settings(home=tmp_path / "h", encoder="hash")) as a:
        a.ingest([SAMPLE])
        a.reindex()
        m = a.searcher.manifest
        assert m["precision"] == "fp32" and m["lexical_engine"] in ("whoosh", "tantivy") and m["vector_kind"] == "exact"
        ix = a.stats()["index"]
        assert (ix["lexical_engine"], ix["vector_kind"], ix["precision"]) == (m["lexical_engine"], "exact", "fp32")


@pytest.mark.slow
def test_make_10x_copies_calls_and_vectors_without_embedding(tmp_path):
    src = tmp_path / "src"
    with Archive.open(Settings(home=src, encoder="hash")) as a:
        assert a.ingest([SAMPLE]).ok
        a.reindex()
        before = a.stats()
        hit = a.search(SearchRequest("revenue growth", limit=1)).hits[0]
    out = subprocess.run([sys.executable, "scripts/make_10x.py", "--source", str(src), "--target", str(tmp_path / "x3"),
                          "--copies", "3", "--json"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    with Archive.open(Settings(home=tmp_path / "x3", encoder="hash")) as b:
        s = b.stats()
        assert s["calls"] == 3 * before["calls"] and s["chunks"] == 3 * before["chunks"]
        assert s["tickers"] == 3 * before["tickers"]
        cache = VectorCache(b.settings.vector_cache_path)
        assert cache.count("hash-test-encoder") == 3 * cache_count(src)
        cache.close()
        logs = []
        b.reindex(log=logs.append)
        assert any(f"({3 * cache_count(src)} vectors cached)" in line for line in logs)
        # every copy holds the same text under its own ticker and ids
        copy = f"{hit.ticker}.X2"
        found = b.search(SearchRequest("revenue growth", tickers=(copy,), limit=1, mode="lexical")).hits
        assert found and found[0].call_id == hit.call_id + "-x2" and found[0].text == hit.text
    again = subprocess.run([sys.executable, "scripts/make_10x.py", "--source", str(src), "--target",
                            str(tmp_path / "x3")], cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 2 and "exists" in again.stderr


def cache_count(home) -> int:
    cache = VectorCache(home / "vectors.sqlite3")
    try:
        return cache.count("hash-test-encoder")
    finally:
        cache.close()


def test_the_cache_reads_most_of_itself_in_one_pass_with_the_same_answer(tmp_path, monkeypatch):
    cache = VectorCache(tmp_path / "v.sqlite3")
    enc = CountingEncoder("fp32")
    texts = [f"text number {i}" for i in range(1500)]
    first = cache.embed(enc, texts)
    from index.vector_cache import text_key
    keys = [text_key(t) for t in texts]
    scans = []
    real = cache.db

    class Spy:
        def execute(self, sql, *args):
            scans.append("IN (" not in sql and sql.startswith("SELECT key"))
            return real.execute(sql, *args)
    monkeypatch.setattr(cache, "db", Spy())
    whole = cache.get_many(enc.name, keys)                  # 1,500 of 1,500: one pass
    assert any(scans)
    scans.clear()
    part = cache.get_many(enc.name, keys[:200])              # a few: looked up by key
    assert not any(scans)
    assert all(np.array_equal(whole[k], first[i]) for i, k in enumerate(keys))
    assert part.keys() == set(keys[:200])
    monkeypatch.setattr(cache, "db", real)
    cache.close()
