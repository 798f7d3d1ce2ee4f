#!/usr/bin/env python3
"""Calibrate the match-strength floor (archive/strength.py): run the development queries and the nonsense and
off-topic queries (tests/data/offtopic_queries.txt) against an archive with the floor off (min_score=0, the
whole window of 100 turns), record each hit's coverage and cosine similarity, then, for candidate calibration
points, report per mode and kind: R@10 with the floor off and on, the false-drop rate (dev targets in the top 10
with the floor off that the floor removes) and how many off-topic queries still show a hit.

    python scripts/calibrate_floor.py --home var/mf --queries ../shared/eval/dev_queries.jsonl \\
        ../shared/eval/dev_summary_queries.jsonl [--json] [--cache /tmp/calib.json]

Nothing is changed: the chosen points are set by hand in index/encoders.py (similarity) and archive/strength.py
(coverage), with the figures this prints."""
from __future__ import annotations

import _venv  # noqa: F401  (re-runs under the project's venv)

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.config import Settings  # noqa: E402
from archive.evaluate import is_hit, load_queries, target_texts, to_search  # noqa: E402
from archive.request import SearchRequest  # noqa: E402
from archive.service import Archive  # noqa: E402
from archive.strength import FLOOR, match_of  # noqa: E402
from index.query import parse, plain  # noqa: E402

MODES = ("lexical", "semantic", "hybrid")


def offtopic(path: Path) -> list[str]:
    return [x.strip() for x in path.read_text().splitlines() if x.strip() and not x.startswith("#")]


def collect(a: Archive, queries, texts, off: list[str], progress) -> dict:
    """Per mode: dev query id -> [(coverage, similarity, is_target)] in rank order; off-topic -> [(cov, sim)]."""
    out = {m: {"dev": {}, "off": {}} for m in MODES}
    # whether the archive holds any of the query's words (strength.match_of: else meaning alone makes no match)
    out["known"] = {q["id"]: a.searcher.query_words(parse(plain(q["query"]))).known > 0 for q in queries}
    out["known"].update({text: a.searcher.query_words(parse(text)).known > 0 for text in off})
    for m in MODES:
        for i, q in enumerate(queries):
            res = a.search(to_search(q, m, 100, min_score=0.0))
            whole = a.store.turn_texts([h.turn_id for h in res.hits])
            rows = []
            for h in res.hits:
                text = ((h.question or {}).get("text", "") + "\n\n" if h.question else "") + whole.get(h.turn_id, h.text)
                hit = is_hit(q["target"], {"file": h.source_file, "text": text}, texts.get(q["id"]),
                             q["target"].get("speaker"))
                rows.append((h.coverage, h.similarity, hit))
            out[m]["dev"][q["id"]] = rows
            progress(m, i + 1, len(queries))
        for text in off:
            res = a.search(SearchRequest.build(text=text, mode=m, limit=100, min_score=0.0))
            out[m]["off"][text] = [(h.coverage, h.similarity) for h in res.hits]
    return out


def report(data: dict, queries, cov_points, sim_points, joint) -> dict:
    kinds = sorted({q["kind"] for q in queries})
    out = {}
    for m in MODES:
        dev, off, known = data[m]["dev"], data[m]["off"], data["known"]
        per = {}
        drops = tops = 0
        for kind in kinds + ["ALL"]:
            qs = [q for q in queries if kind in ("ALL", q["kind"])]
            before = after = 0
            for q in qs:
                rows = dev.get(q["id"], [])
                r0 = next((i for i, (_, _, t) in enumerate(rows[:10]) if t), None)
                kn = known[q["id"]]
                kept = [t for c, s, t in rows if match_of(c, s, sim_points, cov_points, joint, kn) >= FLOOR]
                before += r0 is not None
                after += any(kept[:10])
                if kind == "ALL" and r0 is not None:
                    tops += 1
                    c, s, _ = rows[r0]
                    drops += match_of(c, s, sim_points, cov_points, joint, kn) < FLOOR
            per[kind] = {"n": len(qs), "r10_off": round(before / len(qs), 3), "r10_on": round(after / len(qs), 3)}
        shown = {t: sum(match_of(c, s, sim_points, cov_points, joint, known[t]) >= FLOOR for c, s in rows)
                 for t, rows in off.items()}
        out[m] = {"kinds": per, "false_drop": round(drops / max(1, tops), 4), "targets_in_top10": tops,
                  "offtopic_with_hits": sum(1 for v in shown.values() if v), "offtopic": len(off),
                  "offtopic_shown": {t: v for t, v in shown.items() if v}}
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--home", required=True)
    p.add_argument("--queries", nargs="+", required=True)
    p.add_argument("--offtopic", default=str(ROOT / "tests" / "data" / "offtopic_queries.txt"))
    p.add_argument("--cache", help="save the collected hits here, or read them from here when it exists")
    p.add_argument("--coverage", nargs="*", default=None, help="coverage points to try: floor,strong (default: "
                   "strength.COVERAGE_POINTS)")
    p.add_argument("--similarity", nargs="*", default=None, help="similarity points to try: floor,strong "
                   "(default: the encoder's)")
    p.add_argument("--joint", nargs="*", type=float, default=None, help="joint weights to try (default: strength.JOINT)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    queries = load_queries(args.queries)
    if args.cache and Path(args.cache).exists():
        data = json.loads(Path(args.cache).read_text())
        sims = None
    else:
        with Archive.open(Settings.from_env(home=args.home)) as a:
            texts = target_texts(a.store, queries)
            data = collect(a, queries, texts, offtopic(Path(args.offtopic)),
                           lambda m, i, n: print(f"\r{m} {i}/{n}", end="", file=sys.stderr))
            sims = a.encoder.similarity_points
        print(file=sys.stderr)
        if args.cache:
            Path(args.cache).write_text(json.dumps(data))
    sim_list = [tuple(map(float, x.split(","))) for x in args.similarity] if args.similarity else [sims]
    if sim_list == [None]:
        from index.encoders import MiniLMEncoder
        sim_list = [MiniLMEncoder.similarity_points]
    results = []
    from archive.strength import COVERAGE_POINTS, JOINT
    coverage = [tuple(map(float, x.split(","))) for x in args.coverage] if args.coverage else [COVERAGE_POINTS]
    for cp in coverage:
        for sp in sim_list:
            for joint in args.joint or [JOINT]:
                results.append({"coverage_points": cp, "similarity_points": sp, "joint": joint,
                                "modes": report(data, queries, cp, sp, joint)})
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    for r in results:
        print(f"coverage points {r['coverage_points']}, similarity points {r['similarity_points']}, joint {r['joint']}")
        for m, x in r["modes"].items():
            kinds = "  ".join(f"{k} {v['r10_off']:.3f}->{v['r10_on']:.3f}" for k, v in x["kinds"].items())
            print(f"  {m:8s} R@10 off->on: {kinds}  false drops {x['false_drop']:.2%} of {x['targets_in_top10']}  "
                  f"off-topic with hits {x['offtopic_with_hits']}/{x['offtopic']} {sorted(x['offtopic_shown'])[:4]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
