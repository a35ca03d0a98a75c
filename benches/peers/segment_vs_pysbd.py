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
import sys
import time

from common import best_run, repeat_to_bytes, repo_documents, write_jsonl


def main():
    import pysbd

    texts = repeat_to_bytes(repo_documents(), 1 << 20)
    size_mb = sum(len(t.encode()) for t in texts) / 1e6
    seg = pysbd.Segmenter(language="en", clean=False, char_span=False)
    start = time.perf_counter()
    n_py = sum(len(seg.segment(t)) for t in texts)
    py_s = time.perf_counter() - start

    path = write_jsonl(texts)
    try:
        best, out = best_run(["segment", "--lang", "en", path])
    finally:
        os.unlink(path)
    n_op = sum(len(d["segments"]) for d in json.loads(out)["documents"])

    print(f"corpus: {len(texts)} documents, {size_mb:.2f} MB")
    print(f"pysbd {pysbd.__version__}: {size_mb / py_s:8.3f} MB/s ({n_py} sentences, {py_s:.2f} s)")
    print(f"opinio segment (whole process): {size_mb / best:8.3f} MB/s ({n_op} sentences, {best:.3f} s)")
    print(f"ratio opinio/pysbd: {py_s / best:.1f}x")


if __name__ == "__main__":
    sys.exit(main())
