"""Shared fixtures. Corpus tests read ../shared/data (unpacked into the git-ignored .data/) and skip cleanly
when it is absent, as in a user's clone.

The bundled sample is ingested and indexed once per session (`sample_archive`, with `sample_app` and
`sample_client` over it), in a pytest temporary folder, for the tests that only read it. Those tests must not
ingest, delete, reindex or change settings on it: a test that writes builds its own archive in `tmp_path`."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from archive.config import Settings
from archive.service import Archive

# Commands the tests run (in process or as subprocesses) embed with the small deterministic test encoder unless
# a test asks for the real model (Settings(encoder="minilm")).
os.environ.setdefault("ARCHIVE_ENCODER", "hash")
ENGINES = ("whoosh", "tantivy")

# The Milvus engine runs against Milvus Lite (requirements-milvus.txt, which `make test` installs).
import importlib.util  # noqa: E402

HAVE_MILVUS = all(importlib.util.find_spec(m) is not None for m in ("pymilvus", "milvus_lite"))
NO_MILVUS = ("Milvus Lite is not installed (make install-milvus, or pip install -r requirements-milvus.txt; "
             "it needs Linux or macOS)")
MILVUS = pytest.param("milvus", marks=[pytest.mark.milvus, pytest.mark.skipif(not HAVE_MILVUS, reason=NO_MILVUS)])
# Every search engine: the two local lexical engines (with FAISS) and Milvus (both legs).
SEARCH_ENGINES = (*ENGINES, MILVUS)


def engine_settings(engine: str) -> dict:
    """Settings for an archive on a search engine of SEARCH_ENGINES."""
    return {"engine": "milvus"} if engine == "milvus" else {"lexical_engine": engine}


def engine_env(engine: str) -> dict:
    """The environment a command needs to build its archive on that engine."""
    return {"ARCHIVE_ENGINE": "milvus"} if engine == "milvus" else {"ARCHIVE_LEXICAL_ENGINE": engine}


def pytest_addoption(parser):
    parser.addoption("--lexical-engine", choices=ENGINES, default=None,
                     help="the lexical engine every archive a test builds gets (default: the archive's default, "
                          "whoosh); `make test-tantivy` runs the whole suite with tantivy")


def pytest_configure(config):
    engine = config.getoption("--lexical-engine")
    if engine:
        import archive.indexes
        archive.indexes.DEFAULT_LEXICAL = engine           # archives built in this process
        os.environ["ARCHIVE_LEXICAL_ENGINE"] = engine      # ... and by the commands the tests run

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".data"
UNPACK = ROOT.parent / "shared" / "data" / "unpack"
SAMPLE = ROOT / "archive" / "sample"
SEED = SAMPLE / "kingsoft-cloud-2020-q1.txt"


def corpus_dir(name: str) -> Path:
    """Path to an unpacked corpus folder, unpacking ../shared/data once; skips the test when it is absent."""
    if not (DATA / name).is_dir() and UNPACK.is_file():
        subprocess.run([str(UNPACK), str(DATA)], check=True, capture_output=True)
    if not (DATA / name).is_dir():
        pytest.skip(f"corpus {name} not available (needs ../shared/data)")
    return DATA / name


@pytest.fixture(scope="session")
def sample_archive(tmp_path_factory):
    """The bundled sample (11 calls), stored and indexed with the test encoder: shared by the session, read-only."""
    a = Archive.open(Settings(home=tmp_path_factory.mktemp("sample-archive"), encoder="hash"))
    report = a.ingest([SAMPLE])
    assert report.ok and report.summary()["added"] == 11, report.to_dict()
    a.reindex()
    yield a
    a.close()


@pytest.fixture(scope="session", params=SEARCH_ENGINES)
def sample_each_engine(request, sample_archive, tmp_path_factory):
    """The bundled sample indexed by each search engine in turn (the shared archive for the one it uses)."""
    if sample_archive.searcher.manifest.get("lexical_engine") == request.param:
        yield sample_archive
        return
    a = Archive.open(Settings(home=tmp_path_factory.mktemp(f"sample-{request.param}"), encoder="hash",
                              **engine_settings(request.param)))
    assert a.ingest([SAMPLE]).ok
    a.reindex()
    yield a
    a.close()


@pytest.fixture(scope="session")
def sample_app(sample_archive):
    """The web app over the shared sample archive (room for 64 searches at once, so no test here sees a 503)."""
    from web import create_app
    app = create_app(archive=sample_archive, max_in_flight=64)
    app.testing = True
    return app


@pytest.fixture(scope="session")
def sample_client(sample_app):
    return sample_app.test_client()


@pytest.fixture
def archive(tmp_path):
    a = Archive.open(Settings(home=tmp_path / "home"))
    yield a
    a.close()
