#!/usr/bin/env python3
"""Encoder throughput of ONNX Runtime on the sentences `cargo bench --bench encode` uses.

Same model file (models/all-MiniLM-L6-v2/model.onnx), same tokenizer.json (no padding beyond
each batch's longest, truncation at 256), same length-sorted batches, same pooling: the time
covers tokenize + run + mean pooling + normalisation, as opinio's `Encoder::embed`. ONNX
Runtime runs on the CPU with intra-op threads 1 and 2 (inter-op 1), batch 1, 8 and 32, and
the median of several passes is compared with criterion's median. Tokenization runs on one
thread (TOKENIZERS_PARALLELISM=false), as it is a small share of the time.

If criterion's results exist (target/criterion/encode/<T>_threads/<B>/new/estimates.json),
each line also prints opinio's sentences/s and the ratio opinio / onnxruntime (> 1 means
opinio is faster).

    pip install onnxruntime tokenizers numpy
    cargo bench --bench encode          # writes target/bench-encode-sentences.txt
    python3 benches/peers/encode_vs_onnxruntime.py
"""
import json
import os
import sys
import time

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import onnxruntime as ort

from common import ROOT, embed, session, tokenizer

SENTENCES = os.path.join(ROOT, "target", "bench-encode-sentences.txt")
CRITERION = os.path.join(ROOT, "target", "criterion", "encode")


def criterion_rate(threads, batch, n):
    path = os.path.join(CRITERION, f"{threads}_threads", str(batch), "new", "estimates.json")
    try:
        with open(path, encoding="utf-8") as f:
            ns = json.load(f)["median"]["point_estimate"]
    except (OSError, KeyError, ValueError):
        return None
    return n / (ns / 1e9)


def main():
    if not os.path.exists(SENTENCES):
        sys.exit(f"{SENTENCES} is missing: run `cargo bench --bench encode` first")
    with open(SENTENCES, encoding="utf-8") as f:
        texts = [line.rstrip("\n") for line in f if line.strip()]
    tok = tokenizer()
    print(f"{len(texts)} sentences, onnxruntime {ort.__version__}")
    print(f"{'threads':>7} {'batch':>5} {'onnxruntime/s':>14} {'opinio/s':>9} {'ratio':>6}")
    for threads in (1, 2):
        sess = session(threads)
        for batch in (1, 8, 32):
            embed(sess, tok, texts, batch)  # warm-up
            times = []
            deadline = time.perf_counter() + 10
            while len(times) < 3 or (time.perf_counter() < deadline and len(times) < 10):
                t0 = time.perf_counter()
                embed(sess, tok, texts, batch)
                times.append(time.perf_counter() - t0)
            ort_rate = len(texts) / sorted(times)[len(times) // 2]
            ours = criterion_rate(threads, batch, len(texts))
            ours_s = f"{ours:9.1f}" if ours else f"{'-':>9}"
            ratio = f"{ours / ort_rate:6.2f}" if ours else f"{'-':>6}"
            print(f"{threads:>7} {batch:>5} {ort_rate:14.1f} {ours_s} {ratio}", flush=True)


if __name__ == "__main__":
    main()
