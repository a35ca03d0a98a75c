#!/usr/bin/env python3
"""Segmentation throughput: `opinio segment` against pySBD and sentencex, same text, one run.

Builds about 1 MB of review text (JSONL) from the repository's samples and English fixtures,
then, for each of `--rounds` interleaved rounds, times
  - pySBD (`pip install pysbd`) segmenting every document in-process (import excluded),
  - sentencex (`pip install sentencex`, Rust underneath) the same, in-process, and
  - `target/release/opinio segment corpus.jsonl` as a whole process (start-up, JSONL in,
    JSON out),
and prints best and median MB/s of each and opinio's speed as a multiple of each peer's
(best against best, median against median). Run `cargo build --release` first.

    python3 benches/peers/segment_vs_pysbd.py [--rounds 5]
"""
import argparse
import json
import os
import statistics
import sys
import time

from common import best_run, repeat_to_bytes, repo_documents, write_jsonl


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import pysbd
    import sentencex

    texts = repeat_to_bytes(repo_documents(), 1 << 20)
    size_mb = sum(len(t.encode()) for t in texts) / 1e6
    seg = pysbd.Segmenter(language="en", clean=False, char_span=False)
    peers = {
        f"pysbd {pysbd.__version__}": lambda t: len(seg.segment(t)),
        "sentencex": lambda t: sum(1 for _ in sentencex.segment("en", t)),
    }
    times = {name: [] for name in [*peers, "opinio segment (whole process)"]}
    counts = {}
    path = write_jsonl(texts)
    try:
        for _ in range(args.rounds):
            for name, run in peers.items():
                start = time.perf_counter()
                counts[name] = sum(run(t) for t in texts)
                times[name].append(time.perf_counter() - start)
            seconds, out = best_run(["segment", "--lang", "en", path], runs=1)
            times["opinio segment (whole process)"].append(seconds)
            counts["opinio segment (whole process)"] = sum(len(d["segments"]) for d in json.loads(out)["documents"])
    finally:
        os.unlink(path)

    print(f"corpus: {len(texts)} documents, {size_mb:.2f} MB; {args.rounds} interleaved rounds")
    for name, ts in times.items():
        print(f"{name:32} best {size_mb / min(ts):8.3f} MB/s  median {size_mb / statistics.median(ts):8.3f} MB/s"
              f"  ({counts[name]} sentences)")
    ours = times["opinio segment (whole process)"]
    for name in peers:
        print(f"opinio speed / {name}: best {min(times[name]) / min(ours):.2f}x, "
              f"median {statistics.median(times[name]) / statistics.median(ours):.2f}x")


if __name__ == "__main__":
    sys.exit(main())
