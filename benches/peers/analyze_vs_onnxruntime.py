#!/usr/bin/env python3
"""Whole-process `opinio analyze` against ONNX Runtime's tokenize + encode, same sentences.

The bar (issue 3): `opinio analyze` over 2000 review sentences, whole process with model
load, in at most 1.3x the time ONNX Runtime (Python, 2 threads, length-sorted batches of 32)
takes just to tokenize and encode them with the same encoder file.

Sentences: the first 2000 of MAMS-ACSA train (Apache-2.0) when ../shared/data/mams is
beside the checkout, else the repository's own sample reviews and fixtures, repeated.
Needs `pip install onnxruntime tokenizers` and `cargo build --release`.
"""
import os
import resource
import sys
import time

from common import ROOT, best_run, embed, mams_sentences, repo_documents, session, tokenizer, write_jsonl

# The README's default model; OPINIO_MODEL=restaurants-zero-shot measures the zero-shot one.
MODEL = os.path.join(ROOT, "models", os.environ.get("OPINIO_MODEL", "restaurants"))
N = 2000
RUNS = 5


def sentences():
    mams = mams_sentences(N)
    if mams:
        return mams, "MAMS-ACSA train"
    docs = repo_documents()
    return (docs * (N // len(docs) + 1))[:N], "repository samples"


def main():
    texts, source = sentences()
    tok, sess = tokenizer(), session(2)
    path = write_jsonl(texts)
    # Interleaved, so that a shared machine's drifting speed hits both sides alike.
    ort_runs, op_runs, out = [], [], None
    try:
        for _ in range(RUNS):
            start = time.perf_counter()
            embed(sess, tok, texts, 32)
            ort_runs.append(time.perf_counter() - start)
            op_s, out = best_run(["analyze", "--model", MODEL, path], runs=1)
            op_runs.append(op_s)
    finally:
        os.unlink(path)
    import json

    assert len(json.loads(out)["documents"]) == len(texts)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    ort_s, op_s = min(ort_runs), min(op_runs)
    pairs = sorted(o / r for o, r in zip(op_runs, ort_runs))
    print(f"{len(texts)} sentences from {source}, model {os.path.basename(MODEL)}, {RUNS} interleaved runs each")
    print(f"onnxruntime tokenize+encode (2 threads, sorted batches of 32): {ort_s:6.2f} s  {len(texts) / ort_s:6.0f} sentences/s (best)")
    print(f"opinio analyze, whole process with model load:                 {op_s:6.2f} s  {len(texts) / op_s:6.0f} sentences/s (best)")
    print(f"ratio opinio/onnxruntime: {op_s / ort_s:.2f}x best to best, {pairs[len(pairs) // 2]:.2f}x median of pairs "
          f"(bar: <= 1.3x); peak memory of opinio: {peak:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
