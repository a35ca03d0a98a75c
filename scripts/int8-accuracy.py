#!/usr/bin/env python3
"""int8 against fp32 on MAMS-ACSA validation: what the issue-17 accuracy bars measure.

    python3 scripts/int8-accuracy.py [MAMS_DIR]      # default ../shared/data/mams

For `models/restaurants` (trained) and `models/restaurants-zero-shot` (zero-shot), at both
precisions: `opinio evaluate` on the 400 validation sentences (joint (aspect, sentiment)
micro-F1 and aspect detection micro-F1), and `opinio analyze` on the same sentences to count
the segments whose (class, label) tag set is the same at int8 as at fp32.
Bars (issue 17): the trained model's joint F1 within 0.01 of fp32 and at least 97% of
segments tagged the same; the zero-shot model's detection F1 within 0.01.
Needs `cargo build --release` and python3 (standard library).
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPINIO = os.path.join(ROOT, "target", "release", "opinio")


def opinio(*args):
    return json.loads(subprocess.run([OPINIO, *args], check=True, capture_output=True).stdout)


def main():
    mams = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "data", "mams")
    with tempfile.TemporaryDirectory() as tmp:
        labeled = os.path.join(tmp, "val.jsonl")
        with open(labeled, "w") as f:
            subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "acsa_to_jsonl.py"),
                            os.path.join(mams, "MAMS-ACSA_val.xml")], check=True, stdout=f)
        texts = os.path.join(tmp, "texts.jsonl")
        with open(labeled) as src, open(texts, "w") as dst:
            for i, line in enumerate(src):
                dst.write(json.dumps({"id": i, "text": json.loads(line)["text"]}) + "\n")
        ok = True
        for name in ("restaurants", "restaurants-zero-shot"):
            model = os.path.join(ROOT, "models", name)
            scores, tags = {}, {}
            for precision in ("fp32", "int8"):
                ev = opinio("evaluate", "--model", model, "--precision", precision, labeled)
                scores[precision] = (ev["score"], ev["metrics"]["detection"]["micro"]["f1"])
                out = opinio("analyze", "--model", model, "--precision", precision, texts)
                tags[precision] = [
                    sorted((t.get("class"), t.get("label")) for t in s.get("tags", []))
                    for d in out["documents"] for s in d["segments"]
                ]
            same = sum(a == b for a, b in zip(tags["fp32"], tags["int8"])) / len(tags["fp32"])
            (j32, d32), (j8, d8) = scores["fp32"], scores["int8"]
            print(f"{name}: joint F1 fp32 {j32:.4f} int8 {j8:.4f} ({j8 - j32:+.4f}); "
                  f"detection F1 fp32 {d32:.4f} int8 {d8:.4f} ({d8 - d32:+.4f}); "
                  f"same tags on {same:.1%} of {len(tags['fp32'])} segments")
            if name == "restaurants":
                ok &= abs(j8 - j32) <= 0.01 and same >= 0.97
            else:
                ok &= abs(d8 - d32) <= 0.01
        print("bars met" if ok else "BARS MISSED")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
