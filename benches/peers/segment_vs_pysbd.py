#!/usr/bin/env python3
"""Whole-process segmentation throughput: `opinio segment` against pySBD, same text, same machine.

Builds about 1 MB of review text (JSONL) from the repository's samples and English fixtures,
then times
  - pySBD (`pip install pysbd`) segmenting every document in-process (import excluded), and
  - `target/release/opinio segment corpus.jsonl` as a whole process (start-up, JSONL in,
    JSON out), best of three runs,
and prints both in MB/s and their ratio. Run `cargo build --release` first.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def corpus_texts():
    texts = []
    with open(os.path.join(ROOT, "samples", "reviews.jsonl"), encoding="utf-8") as f:
        texts += [json.loads(line)["text"] for line in f if line.strip()]
    with open(os.path.join(ROOT, "tests", "fixtures", "segment", "en.txt"), encoding="utf-8") as f:
        for case in f.read().split("\n===\n"):
            lines = []
            for line in case.splitlines():
                if line == "---":
                    break
                if not line.startswith("#"):
                    lines.append(line)
            texts.append(" ".join(lines))
    unit = sum(len(t.encode()) for t in texts)
    copies = (1 << 20) // unit + 1
    return texts * copies


def main():
    import pysbd

    texts = corpus_texts()
    size_mb = sum(len(t.encode()) for t in texts) / 1e6
    seg = pysbd.Segmenter(language="en", clean=False, char_span=False)
    start = time.perf_counter()
    n_py = sum(len(seg.segment(t)) for t in texts)
    py_s = time.perf_counter() - start

    binary = os.path.join(ROOT, "target", "release", "opinio")
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": i, "text": t}) + "\n")
        path = f.name
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        out = subprocess.run([binary, "segment", "--lang", "en", path], check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    n_op = sum(len(d["segments"]) for d in json.loads(out.stdout)["documents"])
    os.unlink(path)

    print(f"corpus: {len(texts)} documents, {size_mb:.2f} MB")
    print(f"pysbd {pysbd.__version__}: {size_mb / py_s:8.3f} MB/s ({n_py} sentences, {py_s:.2f} s)")
    print(f"opinio segment (whole process): {size_mb / best:8.3f} MB/s ({n_op} sentences, {best:.3f} s)")
    print(f"ratio opinio/pysbd: {py_s / best:.1f}x")


if __name__ == "__main__":
    sys.exit(main())
