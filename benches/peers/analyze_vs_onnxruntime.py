#!/usr/bin/env python3
"""Whole-process `opinio analyze` against ONNX Runtime's tokenize + encode, at f32 and int8,
interleaved in one run.

Four contenders, one round each per repetition so that a shared machine's drifting speed hits
all alike:

- ONNX Runtime fp32: the encoder file as shipped (Python, 2 intra-op threads, length-sorted
  batches of 32, tokenize + encode + mean-pool);
- ONNX Runtime int8: the same, on the file `quantize_dynamic(per_channel=True,
  weight_type=QInt8)` writes (made once before timing);
- `opinio analyze --model models/restaurants` (whole process: model load, segmenting, encoder,
  head, JSON out) at `--precision fp32` and `--precision int8`;
- on a CPU with AVX-512F, also `opinio fp32` with `OPINIO_FP32_KERNEL=tract` (tract's f32
  products instead of opinio's tile), to show what the tile is worth.

The bars (issue 17): opinio fp32 at most 0.8x ONNX Runtime fp32; opinio int8 at most 1.0x
ONNX Runtime int8. Printed: best and median of each, and opinio/peer both best to best and as
the median of the per-round ratios.

Sentences: the first 2000 of MAMS-ACSA train (Apache-2.0) when ../shared/data/mams is
beside the checkout, else the repository's own sample reviews and fixtures, repeated.
Needs `pip install onnxruntime onnx tokenizers` and `cargo build --release`.
"""
import json
import os
import platform
import statistics
import sys
import tempfile
import time

from common import ROOT, embed, mams_sentences, quantized_encoder, repo_documents, run_opinio, session, tokenizer, write_jsonl

# The README's default model; OPINIO_MODEL=restaurants-zero-shot measures the zero-shot one.
MODEL = os.path.join(ROOT, "models", os.environ.get("OPINIO_MODEL", "restaurants"))
N = 2000
RUNS = int(os.environ.get("RUNS", "5"))


def sentences():
    mams = mams_sentences(N)
    if mams:
        return mams, "MAMS-ACSA train"
    docs = repo_documents()
    return (docs * (N // len(docs) + 1))[:N], "repository samples"


def cpu():
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
        name = next(l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("model name"))
        flags = next(l.split(":", 1)[1].split() for l in info.splitlines() if l.startswith("flags"))
        simd = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx_vnni") if f in flags]
        return f"{name} ({', '.join(simd)}), {os.cpu_count()} cores"
    except (OSError, StopIteration):
        return platform.processor()


def main():
    texts, source = sentences()
    tok = tokenizer()
    with tempfile.TemporaryDirectory() as tmp:
        sessions = {"fp32": session(2), "int8": session(2, quantized_encoder(os.path.join(tmp, "model.int8.onnx")))}
        path = write_jsonl(texts)
        contenders = {"fp32": "fp32", "int8": "int8"}
        if "avx512f" in cpu():
            contenders["fp32 tract"] = "fp32"
        times = {k: [] for k in ("ort fp32", "ort int8", *(f"opinio {c}" for c in contenders))}
        peak = {}
        try:
            for _ in range(RUNS):
                for precision, sess in sessions.items():
                    start = time.perf_counter()
                    embed(sess, tok, texts, 32)
                    times[f"ort {precision}"].append(time.perf_counter() - start)
                for contender, precision in contenders.items():
                    args = ["analyze", "--model", MODEL, "--precision", precision, path]
                    tract = contender.endswith("tract")
                    os.environ["OPINIO_FP32_KERNEL"] = "tract" if tract else ""
                    seconds, out, rss = run_opinio(args)
                    assert len(json.loads(out)["documents"]) == len(texts)
                    times[f"opinio {contender}"].append(seconds)
                    peak[contender] = max(peak.get(contender, 0), rss)
        finally:
            os.unlink(path)
    print(f"{len(texts)} sentences from {source}, model {os.path.basename(MODEL)}, {RUNS} interleaved rounds")
    print(f"machine: {cpu()}")
    for name, runs in times.items():
        print(f"{name:17s} best {min(runs):6.2f} s  median {statistics.median(runs):6.2f} s  "
              f"{len(texts) / min(runs):6.0f} sentences/s (best)")
    for precision, bar in (("fp32", 0.8), ("int8", 1.0)):
        ours, theirs = times[f"opinio {precision}"], times[f"ort {precision}"]
        pairs = [o / t for o, t in zip(ours, theirs)]
        print(f"opinio/onnxruntime {precision}: {min(ours) / min(theirs):.2f}x best to best, "
              f"{statistics.median(pairs):.2f}x median of rounds (bar: <= {bar}x); "
              f"opinio peak RSS {peak[precision]:.0f} MB")
    if "fp32 tract" in peak:
        ours, tract = times["opinio fp32"], times["opinio fp32 tract"]
        pairs = [o / t for o, t in zip(ours, tract)]
        print(f"opinio fp32, tile/tract: {min(ours) / min(tract):.2f}x best to best, "
              f"{statistics.median(pairs):.2f}x median of rounds")


if __name__ == "__main__":
    sys.exit(main())
