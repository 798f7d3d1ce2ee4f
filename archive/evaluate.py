"""Retrieval evaluation over known-item query sets (the ../shared/eval JSONL layout): runs every query in each
mode, scores Recall@k and MRR@k per mode and per kind by the evaluation README's rules, and writes run files
that the reference scorer reads."""
from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from pathlib import Path

from index.query import plain

from .errors import BadRequestError
from .request import SearchRequest

MIN_WORDS = 15


def norm(s: str) -> str:
    return re.sub(r"\s+", " ", s or "").strip()


def load_queries(paths) -> list[dict]:
    out = []
    for p in paths:
        try:
            lines = Path(p).read_text(encoding="utf-8").splitlines()
        except OSError as e:
            raise BadRequestError(f"cannot read query file {p}: {e.strerror}", "check the path") from None
        for n, line in enumerate(lines, 1):
            if line.strip():
                try:
                    q = json.loads(line)
                    q["id"], q["query"], q["target"]
                except (ValueError, KeyError, TypeError):
                    raise BadRequestError(f"{p}:{n}: not a query record", "each line needs id, query, target") from None
                out.append(q)
    return out


def to_search(q: dict, mode: str, k: int, **options) -> SearchRequest:
    f = q.get("filters") or {}
    year = f.get("year")
    return SearchRequest.build(text=plain(q["query"]), tickers=(f["ticker"],) if f.get("ticker") else (),
                               years=(int(year), int(year)) if year else None, mode=mode, limit=k, **options)


def is_hit(target: dict, result: dict, target_text: str | None, speaker: str | None = None) -> bool:
    """The README's rule: same transcript; for a turn-level target, the result text contains the whole turn, or
    is a piece of it of at least 15 words (a leading 'Speaker:' is tolerated)."""
    if Path(result.get("file", "")).name != target["file"]:
        return False
    if target_text is None:
        return True
    r = norm(result.get("text", ""))
    if speaker:
        for sep in (":", " -", " —"):
            if r.startswith(speaker + sep):
                r = r[len(speaker) + len(sep):].strip()
                break
    t = norm(target_text)
    if not r:
        return False
    return t in r or (r in t and len(r.split()) >= MIN_WORDS)


def target_texts(store, queries) -> dict[str, str | None]:
    """The target turn's text per query id, read from the archive (turn positions follow the turn_index rule)."""
    out = {}
    for q in queries:
        tgt = q["target"]
        if "turn_index" not in tgt:
            out[q["id"]] = None
            continue
        out[q["id"]] = store.turn_text_at(tgt["file"], int(tgt["turn_index"])) or ""
    return out


def score(queries, runs: dict[str, list[dict]], texts: dict, k: int = 10) -> dict[str, dict]:
    """{group: {n, recall, mrr}} for groups ALL, kind=..., filtered=yes|no."""
    groups = defaultdict(list)
    for q in queries:
        rank = 0
        for n, res in enumerate(runs.get(q["id"], [])[:k], 1):
            if is_hit(q["target"], res, texts.get(q["id"]), q["target"].get("speaker")):
                rank = n
                break
        for g in ("ALL", "kind=" + q["kind"], "filtered=" + ("yes" if q.get("filters") else "no")):
            groups[g].append((1.0 if rank else 0.0, 1.0 / rank if rank else 0.0))
    return {g: {"n": len(v), "recall": sum(a for a, _ in v) / len(v), "mrr": sum(b for _, b in v) / len(v)}
            for g, v in sorted(groups.items())}


def evaluate(archive, query_files, modes=("lexical", "semantic", "hybrid"), k: int = 10, run_dir: Path | None = None,
             progress=None, **options) -> dict:
    queries = load_queries(query_files)
    texts = target_texts(archive.store, queries)
    missing = [q["id"] for q in queries if texts.get(q["id"]) == ""]
    report = {"queries": len(queries), "k": k, "missing_targets": missing, "modes": {}}
    for mode in modes:
        runs, times = {}, []
        for q in queries:
            t0 = time.perf_counter()
            res = archive.search(to_search(q, mode, k, **options))
            times.append((time.perf_counter() - t0) * 1000)
            whole = archive.store.turn_texts([h.turn_id for h in res.hits if h.truncated] +    # hits carry a bounded
                                             [h.question["turn_id"] for h in res.hits if h.question])   # text
            # a hit shows the question it answers above it (results.py): the run's text holds both
            runs[q["id"]] = [{"file": h.source_file, "turn_id": h.turn_id,
                              "text": (whole.get(h.question["turn_id"], h.question["text"]) + "\n\n" if h.question
                                       else "") + whole.get(h.turn_id, h.text)}
                             for h in res.hits]
            if progress:
                progress(mode, len(runs), len(queries))
        if run_dir is not None:
            run_dir.mkdir(parents=True, exist_ok=True)
            with open(run_dir / f"run_{mode}.jsonl", "w", encoding="utf-8") as fh:
                for qid, results in runs.items():
                    fh.write(json.dumps({"id": qid, "results": results}) + "\n")
        times.sort()
        report["modes"][mode] = {"groups": score(queries, runs, texts, k),
                                 "latency_ms": {"p50": round(times[len(times) // 2], 1),
                                                "p95": round(times[int(len(times) * 0.95)], 1)}}
    return report
