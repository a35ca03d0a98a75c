#!/usr/bin/env python3
"""Whole-process `opinio analyze` against ONNX Runtime's tokenize + encode, same sentences.

The bar (issue 3): `opinio analyze` over 2000 review sentences, whole process with model
load, in at most 1.3x the time ONNX Runtime (Python, 2 threads, length-sorted batches of 32)
takes just to tokenize and encode them with the same encoder file.

Sentences: the first 2000 of MAMS-ACSA train (Apache-2.0) when ../shared/data/mams is
beside the checkout, else the repository's own sample reviews and fixtures, repeated.
Needs `pip install onnxruntime tokenizers` and `cargo build --release`.
"""
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENCODER = os.path.join(ROOT, "models", "all-MiniLM-L6-v2")
MODEL = os.path.join(ROOT, "models", "restaurants-zero-shot")
N = 2000


def sentences():
    mams = os.path.join(ROOT, "..", "shared", "data", "mams", "MAMS-ACSA_train.xml")
    if os.path.exists(mams):
        with open(mams, encoding="utf-8") as f:
            found = re.findall(r"<text>(.*?)</text>", f.read())
        return [s.replace("&quot;", '"').replace("&amp;", "&").replace("&apos;", "'") for s in found[:N]], "MAMS-ACSA train"
    texts = []
    with open(os.path.join(ROOT, "samples", "reviews.jsonl"), encoding="utf-8") as f:
        texts += [json.loads(line)["text"] for line in f if line.strip()]
    with open(os.path.join(ROOT, "tests", "fixtures", "segment", "en.txt"), encoding="utf-8") as f:
        for case in f.read().split("\n===\n"):
            texts += [l for l in case.split("\n---\n")[-1].splitlines() if l and not l.startswith("#")]
    return (texts * (N // len(texts) + 1))[:N], "repository samples"


def onnxruntime_seconds(texts, threads=2, batch=32):
    import numpy as np
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(os.path.join(ENCODER, "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(256)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(os.path.join(ENCODER, "model.onnx"), opts, providers=["CPUExecutionProvider"])
    start = time.perf_counter()
    enc = tok.encode_batch(texts)
    order = sorted(range(len(texts)), key=lambda i: len(enc[i].ids))
    for b in range(0, len(order), batch):
        idx = order[b : b + batch]
        width = max(len(enc[i].ids) for i in idx)
        ids = np.zeros((len(idx), width), dtype=np.int64)
        mask = np.zeros((len(idx), width), dtype=np.int64)
        for r, i in enumerate(idx):
            n = len(enc[i].ids)
            ids[r, :n] = enc[i].ids
            mask[r, :n] = 1
        sess.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
    return time.perf_counter() - start


def opinio_seconds(texts):
    binary = os.path.join(ROOT, "target", "release", "opinio")
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": i, "text": t}) + "\n")
        path = f.name
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        out = subprocess.run([binary, "analyze", "--model", MODEL, path], check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    os.unlink(path)
    docs = json.loads(out.stdout)["documents"]
    assert len(docs) == len(texts)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return best, peak_mb


def main():
    texts, source = sentences()
    ort_s = min(onnxruntime_seconds(texts) for _ in range(2))
    op_s, peak = opinio_seconds(texts)
    print(f"{len(texts)} sentences from {source}")
    print(f"onnxruntime tokenize+encode (2 threads, sorted batches of 32): {ort_s:6.2f} s  {len(texts) / ort_s:6.0f} sentences/s")
    print(f"opinio analyze, whole process with model load:                 {op_s:6.2f} s  {len(texts) / op_s:6.0f} sentences/s")
    print(f"ratio opinio/onnxruntime: {op_s / ort_s:.2f}x (bar: <= 1.3x); peak memory of opinio: {peak:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
