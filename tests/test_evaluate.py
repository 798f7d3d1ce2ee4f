"""The evaluate command scores exactly as the reference scorer (../shared/eval/score.py) on the same run file."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from archive.config import Settings
from archive.evaluate import evaluate, is_hit
from archive.service import Archive

from .conftest import ROOT

SCORE_PY = ROOT.parent / "shared" / "eval" / "score.py"

FILLER = ("We continue to invest in the business and expect steady progress across every region this year, "
          "with disciplined spending and a strong balance sheet supporting our plans.")


def _call(topic: str) -> dict:
    return {
        "prepared_remarks": [
            {"speaker": "Operator", "speech": "Good day and welcome to the call."},
            {"speaker": "Jane Roe", "speech": f"Thank you. This quarter {topic} was the main story.\n{FILLER}"},
            {"speaker": "Duration: 40 minutes", "speech": ""}],
        "q_and_a": [
            {"speaker": "Operator", "speech": "Our first question comes from Sam Poe with Big Bank."},
            {"speaker": "Sam Poe", "speech": f"Can you say more about {topic}?"},
            {"speaker": "Jane Roe", "speech": f"Yes. On {topic}, we saw the backlog grow 12% and pricing hold. {FILLER}"},
        ],
        "participants": ["Jane Roe--Chief Executive Officer", "Sam Poe--Big Bank -- Analyst"],
    }


def test_is_hit_rules():
    target = {"file": "A_q1_2021.txt", "turn_index": 3}
    turn = " ".join(f"w{i}" for i in range(40))
    assert is_hit(target, {"file": "x/A_q1_2021.txt", "text": turn}, turn)
    assert is_hit(target, {"file": "A_q1_2021.txt", "text": "Jane Roe: " + turn}, turn, "Jane Roe")
    assert is_hit(target, {"file": "A_q1_2021.txt", "text": " ".join(turn.split()[:15])}, turn)
    assert not is_hit(target, {"file": "A_q1_2021.txt", "text": " ".join(turn.split()[:14])}, turn)
    assert not is_hit(target, {"file": "B_q1_2021.txt", "text": turn}, turn)
    assert is_hit({"file": "A_q1_2021.txt"}, {"file": "A_q1_2021.txt", "text": "anything"}, None)


def test_evaluate_agrees_with_score_py(tmp_path):
    if not SCORE_PY.is_file():
        pytest.skip("../shared/eval/score.py not available")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    topics = {"ACME_q1_2021.txt": "turbine orders", "BOLT_q2_2021.txt": "store remodels",
              "CRUX_q3_2021.txt": "freight rates", "DYNO_q1_2020.txt": "turbine maintenance"}
    for name, topic in topics.items():
        (corpus / name).write_text(json.dumps(_call(topic)))
    queries = [
        {"id": "d1", "query": "turbine orders backlog", "filters": {},
         "target": {"file": "ACME_q1_2021.txt", "turn_index": 4, "speaker": "Jane Roe"}, "kind": "paraphrase"},
        {"id": "d2", "query": "store remodels", "filters": {"ticker": "BOLT"},
         "target": {"file": "BOLT_q2_2021.txt", "turn_index": 3, "speaker": "Sam Poe"}, "kind": "keyword"},
        {"id": "d3", "query": "freight rates pricing", "filters": {"year": 2020},
         "target": {"file": "CRUX_q3_2021.txt", "turn_index": 4, "speaker": "Jane Roe"}, "kind": "keyword"},
        {"id": "s1", "query": "turbine maintenance backlog grew 12%", "filters": {},
         "target": {"file": "DYNO_q1_2020.txt"}, "kind": "summary"},
    ]
    qfile = tmp_path / "queries.jsonl"
    qfile.write_text("".join(json.dumps(q) + "\n" for q in queries))
    with Archive.open(Settings(home=tmp_path / "home", encoder="hash")) as a:
        assert a.ingest([corpus]).ok
        a.reindex()
        report = evaluate(a, [qfile], modes=("lexical", "hybrid"), run_dir=tmp_path / "runs")
    for mode in ("lexical", "hybrid"):
        out = subprocess.run([sys.executable, str(SCORE_PY), "--queries", str(qfile), "--corpus", str(corpus),
                              "--run", str(tmp_path / "runs" / f"run_{mode}.jsonl")],
                             capture_output=True, text=True, check=True).stdout
        theirs = {}
        for line in out.splitlines()[1:]:
            g, n, r, m = line.split()
            theirs[g] = (int(n), float(r), float(m))
        ours = {g: (s["n"], round(s["recall"], 3), round(s["mrr"], 3)) for g, s in report["modes"][mode]["groups"].items()}
        assert ours == theirs, (mode, ours, theirs)
    # the known answers are found (d3 is filtered to the wrong year on purpose: a miss)
    groups = report["modes"]["lexical"]["groups"]
    assert groups["ALL"]["recall"] == 0.75 and groups["kind=summary"]["recall"] == 1.0
