"""The pair of indexes derived from the store: build them from the store's passages (embedding only text the
cache has never seen), save them side by side, open them for searching. Issue 4 turns the folder into
crash-safe generations."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Callable

from index.lexical import LexicalIndex
from index.vector import VectorIndex
from index.vector_cache import VectorCache

from .errors import ArchiveError, StoreError
from .passages import passage_text
from .store import Store, passages_sql

FORMAT_VERSION = 1


def meta_of(row: dict) -> dict:
    return {"ticker": row["ticker"], "company": row["company"], "year": row["fiscal_year"],
            "quarter": row["fiscal_quarter"], "speaker": row["speaker"], "role": row["role"],
            "section": row["section"], "call_id": row["call_id"]}


def make_encoder(name: str):
    from index.encoders import EncoderMissingError, HashEncoder, MiniLMEncoder
    if name == "hash":
        return HashEncoder()
    try:
        return MiniLMEncoder()
    except EncoderMissingError as e:
        raise ArchiveError(str(e), "run `make install`, or pip install -r requirements.txt") from None


class Indexes:
    def __init__(self, folder: Path, lexical: LexicalIndex, vector: VectorIndex, manifest: dict):
        self.folder, self.lexical, self.vector, self.manifest = folder, lexical, vector, manifest

    def close(self):
        self.lexical.close()

    @staticmethod
    def build(store: Store, folder: Path, encoder, cache: VectorCache, filter_fields: dict, *,
              batch_size: int = 64, log: Callable[[str], None] = lambda s: None) -> dict:
        t0 = time.perf_counter()
        rows = [dict(r) for r in store.db.execute(passages_sql())]
        texts = [passage_text(r) for r in rows]
        tmp = folder.with_name(folder.name + ".building")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        log(f"embedding {len(texts)} passages ({cache.count(encoder.name)} vectors cached)")
        t1 = time.perf_counter()
        vectors = cache.embed(encoder, texts, batch_size=batch_size,
                              progress=lambda done, total: log(f"embedded {done}/{total}"))
        t2 = time.perf_counter()
        VectorIndex.build([r["chunk_id"] for r in rows], vectors, [meta_of(r) for r in rows], filter_fields
                          ).save(tmp / "vector")
        log(f"lexical index over {len(rows)} passages")
        lex = LexicalIndex.build(tmp / "lexical", ({"id": r["chunk_id"], "text": t, **meta_of(r)}
                                                  for r, t in zip(rows, texts)), filter_fields)
        lex.close()
        t3 = time.perf_counter()
        manifest = {"format_version": FORMAT_VERSION, "encoder": encoder.name, "dim": int(vectors.shape[1]),
                    "passages": len(rows), "calls": len({r["call_id"] for r in rows}),
                    "seconds": {"embed": round(t2 - t1, 1), "total": round(t3 - t0, 1)}}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
        return manifest

    @classmethod
    def open(cls, folder: Path, filter_fields: dict) -> "Indexes":
        manifest_path = folder / "manifest.json"
        if not manifest_path.is_file():
            raise StoreError(f"no search index at {folder}", "build it with `python -m archive reindex`")
        manifest = json.loads(manifest_path.read_text())
        return cls(folder, LexicalIndex.open(folder / "lexical", filter_fields), VectorIndex.load(folder / "vector"),
                   manifest)
