#!/usr/bin/env python3
"""The answer as the hit (archive/results.py folding): dev-set R@10 and MRR@10 per kind with questions folded into
their answers (as served) and without (each turn its own hit, hits carrying no question: as before issue 15),
both with the match floor on; and, over the dev queries whose target is an analyst's question or an executive's
answer, where the question and its answer ranked.

    python scripts/bench_fold.py --home var/mf --queries ../shared/eval/dev_queries.jsonl \\
        ../shared/eval/dev_summary_queries.jsonl [--modes hybrid] [--json]"""
from __future__ import annotations

import _venv  # noqa: F401

import argparse
import json
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive import results  # noqa: E402
from archive.config import Settings  # noqa: E402
from archive.evaluate import evaluate, load_queries, to_search  # noqa: E402
from archive.exchanges import questions_of  # noqa: E402
from archive.models import turn_id  # noqa: E402
from archive.service import Archive  # noqa: E402


@contextmanager
def unfolded():
    """Searches as before folding: every turn its own hit, no question carried."""
    fold, hits = results._folded, results._hits

    def plain(scored, question, floor):
        return sorted(scored.values(), key=lambda u: (-u.score, u.turn))

    def bare(page, offset, ranking, rows, chunk, texts, question, *rest):
        return hits(page, offset, ranking, rows, chunk, texts, {}, *rest)
    results._folded, results._hits = plain, bare
    try:
        yield
    finally:
        results._folded, results._hits = fold, hits


def placements(a: Archive, queries, mode: str) -> dict:
    """Over all queries: the pairs of a question and its own answer both in the top 10, and how many rank the
    question first. For targets that are a question or an answer of the Q&A: how often a question target ranks
    above its own answer, how often the target is shown in the top 10 (a question: as a hit or above its answer),
    and the MRR@10 of the answer targets (an answer that discusses the query against passing mentions in other
    answers)."""
    out = {"question_targets": 0, "question_shown": 0, "answer_targets": 0, "answer_shown": 0,
           "answer_mrr": 0.0, "question_above_its_answer": 0, "pairs_question_first": 0, "pairs_in_top10": 0}
    for q in queries:
        res = a.search(to_search(q, mode, 10))
        ids = [h.turn_id for h in res.hits]
        exchanges = {c: questions_of(t) for c, t in a.store.turn_roles({h.call_id for h in res.hits}).items()}
        for h in res.hits:          # a question and its own answer both in the top 10: which ranks first?
            for answer, asked in exchanges.get(h.call_id, {}).items():
                if asked == h.position and turn_id(h.call_id, answer) in ids:
                    out["pairs_in_top10"] += 1
                    out["pairs_question_first"] += ids.index(h.turn_id) < ids.index(turn_id(h.call_id, answer))

        tgt = q["target"]
        if "turn_index" not in tgt:
            continue
        call = a.store.call_of_file(tgt["file"])
        if call is None:
            continue
        turns = a.store.turn_roles([call]).get(call, [])
        asked = questions_of(turns)
        pos = int(tgt["turn_index"])
        role = next((t["role"] for t in turns if t["position"] == pos), None)
        res = a.search(to_search(q, mode, 10))
        ids = [h.turn_id for h in res.hits]
        shown = set(ids) | {h.question["turn_id"] for h in res.hits if h.question}
        me = turn_id(call, pos)
        if role == "analyst" and pos in asked.values():
            out["question_targets"] += 1
            out["question_shown"] += me in shown
            answers = [turn_id(call, x) for x, y in asked.items() if y == pos]
            ranks = [ids.index(x) for x in answers if x in ids]
            out["question_above_its_answer"] += me in ids and bool(ranks) and ids.index(me) < min(ranks)
        elif pos in asked:
            out["answer_targets"] += 1
            out["answer_shown"] += me in ids
            out["answer_mrr"] += 1.0 / (ids.index(me) + 1) if me in ids else 0.0
    if out["answer_targets"]:
        out["answer_mrr"] = round(out["answer_mrr"] / out["answer_targets"], 3)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--home", required=True)
    p.add_argument("--queries", nargs="+", required=True)
    p.add_argument("--modes", nargs="+", default=["lexical", "semantic", "hybrid"])
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    queries = load_queries(args.queries)
    report = {}
    with Archive.open(Settings.from_env(home=args.home)) as a:
        with unfolded():
            report["before"] = evaluate(a, args.queries, modes=tuple(args.modes))
            report["before_placements"] = placements(a, queries, "hybrid")
        report["after"] = evaluate(a, args.queries, modes=tuple(args.modes))
        report["after_placements"] = placements(a, queries, "hybrid")
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    for m in args.modes:
        for when in ("before", "after"):
            g = report[when]["modes"][m]["groups"]
            print(f"{m:8s} {when:6s} " + "  ".join(f"{k.split('=')[-1]} {v['recall']:.3f}/{v['mrr']:.3f}"
                                                   for k, v in g.items() if k.startswith(("kind=", "ALL"))))
    for when in ("before", "after"):
        print(when, report[f"{when}_placements"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
