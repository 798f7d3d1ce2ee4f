"""Reindexing is safe: generations switch atomically, a killed build leaves the previous one serving, a full disk
gives a clear error, searches keep working from another process, and only one build runs at a time."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from archive.config import Settings
from archive.errors import NotFoundError
from archive.request import SearchRequest
from archive.service import Archive
from index.generations import Generations

from .conftest import ENGINES, ROOT, SAMPLE, SEARCH_ENGINES, engine_env

pytestmark = pytest.mark.slow            # CLI subprocesses, kills and many generations in every test
ENV = {**os.environ, "ARCHIVE_ENCODER": "hash", "PYTHONPATH": str(ROOT)}
WORDS = ("revenue margin backlog pricing demand supply guidance freight cloud turbine store remodel dividend "
         "inventory capacity hiring churn subscribers bookings leverage").split()


def synthetic_call(i: int) -> dict:
    rnd = random.Random(i)
    speech = lambda n: " ".join(rnd.choice(WORDS) for _ in range(n)) + "."
    turns = [{"speaker": "Operator", "speech": "Welcome to the call. " + speech(10)}]
    for k in range(30):
        turns.append({"speaker": "Jane Roe" if k % 2 else "Sam Poe", "speech": speech(rnd.randint(20, 300))})
    return {"company": f"Synthetic {i}", "ticker": f"SYN{i}", "fiscal_year": 2021, "fiscal_quarter": 1 + i % 4,
            "prepared_remarks": turns[:5], "q_and_a": turns[5:],
            "participants": ["Jane Roe--Chief Executive Officer", "Sam Poe--Big Bank -- Analyst"]}


def cli(home, *args, **kw):
    return subprocess.run([sys.executable, "-m", "archive", "--home", str(home), *args], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, **kw)


def check_consistent(home):
    """The live generation is whole: its manifest's files check out, and both indexes hold the same passages."""
    with Archive.open(Settings(home=home, encoder="hash")) as a:
        ix = a.searcher
        Generations(a.settings.index_path).verify(ix.name)
        assert len(ix.lexical) == len(ix.vector) == ix.manifest["passages"]
        res = a.search(SearchRequest("revenue margin", limit=5))
        assert res.hits
        return ix.name, ix.manifest["passages"], a.stats()["calls"]


@pytest.fixture
def home(tmp_path, request):
    """40 synthetic calls and the sample, stored and indexed by the CLI (with the lexical engine a test asks
    for: parametrize("home", ENGINES, indirect=True), or SEARCH_ENGINES for Milvus too; later commands keep the
    archive's engine)."""
    engine = getattr(request, "param", None)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(40):
        (corpus / f"syn{i}.json").write_text(json.dumps(synthetic_call(i)))
    h = tmp_path / "home"
    env = {**ENV, **engine_env(engine)} if engine else ENV
    r = subprocess.run([sys.executable, "-m", "archive", "--home", str(h), "ingest", str(SAMPLE), str(corpus), "-q"],
                       cwd=ROOT, env=env, capture_output=True, text=True)     # stores and builds the first generation
    assert r.returncode == 0, r.stderr
    assert Generations(h / "index").current() == "gen-000001"
    return h


def test_generations_switch_and_prune(home):
    gens = Generations(home / "index")
    first = gens.current()
    for _ in range(3):
        assert cli(home, "reindex", "--full", "-q").returncode == 0
    assert gens.current() != first
    assert len(gens.names()) == 2                        # the live one and the one before it
    assert cli(home, "reindex").returncode == 3           # nothing changed: no new generation


@pytest.mark.parametrize("home", SEARCH_ENGINES, indirect=True)
def test_incremental_reindex_applies_added_changed_deleted(home, tmp_path):
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps(synthetic_call(100)))
    r = cli(home, "ingest", str(extra), "--index", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["index"]["outcome"] == "built" and out["index"]["added"] == 1 and not out["index"]["full"]
    with Archive.open(Settings(home=home, encoder="hash")) as a:
        assert a.search(SearchRequest("revenue", tickers=("SYN100",))).hits
        a.delete_call("SYN100-2021Q1")
        result = a.reindex()
        assert (result.outcome, result.deleted) == ("built", 1)
        with pytest.raises(NotFoundError, match="SYN100"):          # its only call is gone: the ticker says so
            a.search(SearchRequest("revenue", tickers=("SYN100",)))
        assert not [h for h in a.search(SearchRequest("revenue", limit=100, min_score=0.0)).hits
                    if h.ticker == "SYN100"]
    check_consistent(home)


def test_the_lexical_engine_is_chosen_per_archive_and_kept(home):
    # without ARCHIVE_LEXICAL_ENGINE (pytest --lexical-engine sets it), so the archive's own choice decides
    plain = {k: v for k, v in ENV.items() if k != "ARCHIVE_LEXICAL_ENGINE"}

    def cli(home, *args):
        return subprocess.run([sys.executable, "-m", "archive", "--home", str(home), *args], cwd=ROOT, env=plain,
                              capture_output=True, text=True)
    gens = Generations(home / "index")
    engine = lambda: gens.manifest(gens.current()).get("lexical_engine")       # noqa: E731
    first = engine()
    other = "tantivy" if first == "whoosh" else "whoosh"
    with Archive.open(Settings(home=home, encoder="hash")) as a:
        before = {h.turn_id for h in a.search(SearchRequest("revenue margin", mode="lexical", limit=10)).hits}
    r = cli(home, "reindex", "--lexical-engine", other, "--json")
    assert r.returncode == 0, r.stderr
    assert engine() == other and json.loads(r.stdout)["outcome"] == "built"
    assert cli(home, "reindex").returncode == 3            # the choice stays: nothing to rebuild ...
    assert cli(home, "reindex", "--full", "-q").returncode == 0 and engine() == other     # ... even rebuilt whole
    _, passages, calls = check_consistent(home)
    with Archive.open(Settings(home=home, encoder="hash")) as a:
        assert a.stats()["index"]["lexical_engine"] == other
        after = {h.turn_id for h in a.search(SearchRequest("revenue margin", mode="lexical", limit=10)).hits}
    assert len(before & after) >= 5                        # two BM25 engines over the same text mostly agree
    assert cli(home, "reindex", "--lexical-engine", first, "-q").returncode == 0 and engine() == first
    assert check_consistent(home)[1:] == (passages, calls)


@pytest.mark.parametrize("home", SEARCH_ENGINES, indirect=True)
def test_killed_at_random_moments_the_archive_keeps_serving(home):
    name0, passages0, calls0 = check_consistent(home)
    t0 = time.perf_counter()
    assert cli(home, "reindex", "--full", "-q").returncode == 0
    span = time.perf_counter() - t0
    rnd = random.Random(7)
    seen = set()
    for i in range(20):
        p = subprocess.Popen([sys.executable, "-m", "archive", "--home", str(home), "reindex", "--full", "-q"],
                             cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # a sweep from start-up to well after the switch, jittered
        time.sleep(span * 1.6 * (i + rnd.random()) / 20)
        p.send_signal(signal.SIGKILL)
        p.wait()
        name, passages, calls = check_consistent(home)
        assert (passages, calls) == (passages0, calls0)      # nothing lost, never a mix
        seen.add(name)
    assert len(seen) >= 2                                    # some kills landed after a switch
    r = cli(home, "reindex", "--full", "-q")
    assert r.returncode == 0, r.stderr
    assert not list((home / "index").glob("*.building-*"))   # abandoned builds were cleared
    check_consistent(home)
    gens = Generations(home / "index")
    if gens.manifest(gens.current()).get("lexical_engine") == "milvus":
        # the collections a killed build left half-written are gone; the two kept generations' remain
        from index.milvus_index import connect, release
        holder = object()
        names = connect(str(home / "milvus.db"), holder=holder).list_collections()
        release(holder)
        assert sorted(names) == sorted({gens.manifest(n)["collection"] for n in gens.names()})


@pytest.mark.parametrize("home", ENGINES, indirect=True)
def test_a_full_disk_fails_clearly_and_the_old_index_serves(home):
    import resource
    before = check_consistent(home)

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)        # writes past the limit fail with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
    r = subprocess.run([sys.executable, "-m", "archive", "--home", str(home), "reindex", "--full", "-q"], cwd=ROOT,
                       env=ENV, capture_output=True, text=True, preexec_fn=small_files)
    assert r.returncode == 2
    assert "the index build failed" in r.stderr and "the previous index keeps serving" in r.stderr
    assert "Traceback" not in r.stderr
    assert check_consistent(home) == before
    assert not list((home / "index").glob("*.building-*"))


def test_searches_from_another_process_keep_answering(home, tmp_path):
    """A reader process searches throughout three full rebuilds: it always gets the same answer and sees the
    generations switch. It starts searching before the first build and searches again after the last (a file
    says when), so nothing here depends on how fast this machine is."""
    started, stop = tmp_path / "started", tmp_path / "stop"
    script = (
        "import sys, json, pathlib\n"
        "from archive.config import Settings\nfrom archive.service import Archive\n"
        "from archive.request import SearchRequest\n"
        "a = Archive.open(Settings(home=sys.argv[1], encoder='hash'))\n"
        "started, stop = pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])\n"
        "answers, gens, n, last = set(), set(), 0, False\n"
        "while not last:\n"
        "    last = stop.exists()\n"
        "    r = a.search(SearchRequest('guidance backlog', tickers=('SYN3',), limit=3))\n"
        "    answers.add(tuple(h.turn_id for h in r.hits)); gens.add(a.searcher.name); n += 1\n"
        "    started.touch()\n"
        "print(json.dumps({'answers': len(answers), 'gens': len(gens), 'n': n}))\n")
    reader = subprocess.Popen([sys.executable, "-c", script, str(home), str(started), str(stop)], cwd=ROOT, env=ENV,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(600):
        if started.exists() or reader.poll() is not None:
            break
        time.sleep(0.1)
    for _ in range(3):
        assert cli(home, "reindex", "--full", "-q").returncode == 0
    stop.touch()
    out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err
    stats = json.loads(out)
    assert stats["answers"] == 1                # same answer throughout: no errors, no half index
    assert stats["gens"] >= 2                   # and it did switch generations while searching


def test_two_concurrent_reindexes_give_one_build(home):
    gens = Generations(home / "index")
    before = gens.current()
    procs = [subprocess.Popen([sys.executable, "-m", "archive", "--home", str(home), "reindex", "--full", "-q"],
                              cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 75], outs
    loser = outs[[p.returncode for p in procs].index(75)][1]
    assert "a reindex is already running (pid" in loser and "since" in loser
    after = gens.current()
    assert int(after[-6:]) == int(before[-6:]) + 1           # exactly one new generation


def test_lock_held_by_this_process_is_reported_and_a_stale_one_is_taken_over(home):
    gens = Generations(home / "index")
    with gens.lock():
        r = cli(home, "reindex", "--full")
        assert r.returncode == 75 and f"pid {os.getpid()}" in r.stderr
    # the holder went away (the lock file stays with its text): the next build takes it over
    assert (home / "index" / "reindex.lock").exists()
    assert cli(home, "reindex", "--full", "-q").returncode == 0


def test_scripts_ingest_tree_with_prune_and_reindex_exit_codes(tmp_path):
    tree = tmp_path / "tree"
    (tree / "a").mkdir(parents=True)
    for i in range(3):
        (tree / "a" / f"syn{i}.json").write_text(json.dumps(synthetic_call(i)))
    h = tmp_path / "home"
    run = lambda *a: subprocess.run([sys.executable, *a], cwd=ROOT, env=ENV, capture_output=True, text=True)
    r = run("scripts/ingest_tree.py", str(tree), "--home", str(h), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["added"] == 3 and out["index"]["outcome"] == "built"
    (tree / "a" / "syn1.json").unlink()
    r = run("scripts/ingest_tree.py", str(tree), "--home", str(h), "--prune", "--json")
    out = json.loads(r.stdout)
    assert out["unchanged"] == 2 and out["pruned"] == ["SYN1-2021Q2"] and out["index"]["deleted"] == 1
    r = run("scripts/reindex.py", "--home", str(h), "--quiet")
    assert r.returncode == 3 and json.loads(r.stdout)["outcome"] == "up-to-date"
    r = run("scripts/reindex.py", "--home", str(h), "--full", "--quiet")
    assert r.returncode == 0 and json.loads(r.stdout)["outcome"] == "built"
    with Generations(h / "index").lock():
        r = run("scripts/reindex.py", "--home", str(h), "--full")
        assert r.returncode == 75 and json.loads(r.stdout)["outcome"] == "locked"


def test_a_damaged_new_generation_is_refused_and_the_open_one_keeps_serving(home):
    with Archive.open(Settings(home=home, encoder="hash")) as a:
        first = a.searcher.name
        before = [h.turn_id for h in a.search(SearchRequest("revenue margin", limit=5)).hits]
        assert cli(home, "reindex", "--full", "-q").returncode == 0
        gens = Generations(home / "index")
        newer = gens.current()
        assert newer != first
        with open(gens.path(newer) / "vector" / "seg-000001" / "vectors.faiss", "r+b") as fh:   # flip bytes in the new one
            fh.seek(1000)
            fh.write(b"\x00garbage\x00")
        res = a.search(SearchRequest("revenue margin", limit=5))
        assert a.searcher.name == first and [h.turn_id for h in res.hits] == before
        assert a.index_error and "damaged" in a.index_error.message
    # a fresh reader with nothing open refuses it with a clear error
    with Archive.open(Settings(home=home, encoder="hash")) as b:
        from archive.errors import StoreError
        with pytest.raises(StoreError) as e:
            b.search(SearchRequest("revenue"))
        assert "vector/seg-000001/vectors.faiss is missing or damaged" in e.value.message and "reindex --full" in e.value.hint_for("cli")
    assert cli(home, "reindex", "--full", "-q").returncode == 0       # and a rebuild mends it
    check_consistent(home)


def test_threads_searching_through_a_switch_in_the_same_process(home):
    """A generation switch must not pull files from under searches running in other threads."""
    import threading
    errors, done = [], threading.Event()
    with Archive.open(Settings(home=home, encoder="hash")) as a:
        a.search(SearchRequest("revenue margin"))

        def searcher():
            while not done.is_set():
                try:
                    a.search(SearchRequest("revenue margin guidance", limit=5))
                    a.search(SearchRequest("backlog pricing", tickers=("SYN3",), limit=5))
                except Exception as e:          # noqa: BLE001 - any failure is the finding
                    errors.append(repr(e))
        threads = [threading.Thread(target=searcher) for _ in range(4)]
        for t in threads:
            t.start()
        names = set()
        for _ in range(3):
            a.reindex(full=True)
            time.sleep(0.3)
            names.add(a.searcher.name)
        done.set()
        for t in threads:
            t.join(30)
    assert errors == []
    assert len(names) == 3


def test_ingest_tree_watch_makes_new_files_searchable_and_stops_cleanly(tmp_path):
    tree, h = tmp_path / "tree", tmp_path / "home"
    tree.mkdir()
    (tree / "syn0.json").write_text(json.dumps(synthetic_call(0)))
    p = subprocess.Popen([sys.executable, "scripts/ingest_tree.py", str(tree), "--home", str(h), "--watch", "1",
                          "--json"], cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = json.loads(p.stdout.readline())
        assert first["added"] == 1 and first["index"]["outcome"] == "built"
        (tree / "syn1.json").write_text(json.dumps(synthetic_call(1)))
        (tree / "bad.json").write_text("{ not json")
        second = json.loads(p.stdout.readline())
        assert second["added"] == 1 and second["failed"] == 1 and second["index"]["outcome"] == "built"
        assert "bad.json" in second["failures"][0]
        with Archive.open(Settings(home=h, encoder="hash")) as a:
            assert {x.call_id for x in a.search(SearchRequest("revenue", limit=50)).hits} >= {"SYN0-2021Q1",
                                                                                          "SYN1-2021Q2"}
        time.sleep(2.5)                       # passes with nothing new print nothing, the bad file included
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
        assert p.returncode == 0 and out.strip() == "", (out, err)
    finally:
        if p.poll() is None:
            p.kill()
