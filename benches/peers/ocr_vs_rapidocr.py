#!/usr/bin/env python3
"""Whole-process `opinio extract` on SROIE receipt scans against RapidOCR reading them with
the same PP-OCRv5 det/rec/cls files, interleaved in one run.

opinio: `opinio extract --model models/receipts FILE...` on the N receipts as one process
(model load, OCR and extraction). RapidOCR (rapidocr-onnxruntime, ONNX Runtime, 2 intra-op
threads): one Python process on the same N receipts (interpreter start, imports and engine
creation included), plus its engine creation and per-receipt reading times on their own.
RapidOCR runs as models/pp-ocrv5/README.md says a fair peer does: detector input with its
longer side at most 960, ImageNet mean/std. RapidOCR 1.4.x ignores `det_limit_side_len` when
`det_limit_type="max"` (it picks 960/1500/2000 from the image size: 2000 on most receipts),
so the worker pins the detector's resize to the asked side.

--reach: the share of key-field answers (company, date, address, total of key/NNN.json) that
occur verbatim, case and whitespace ignored, anywhere in each side's reading joined as text:
RapidOCR's lines, and the words of `opinio read`.

Receipts: the scans of ../shared/data/sroie (40), then those of ../shared/data/sroie_extra
(160), in name order. Needs a venv with rapidocr-onnxruntime (--python; by default
/tmp/rapid-venv/bin/python when it exists):

    python3 -m venv /tmp/rapid-venv && /tmp/rapid-venv/bin/pip install rapidocr-onnxruntime
    cargo build --release
    python3 benches/peers/ocr_vs_rapidocr.py [--receipts 20] [--rounds 3] [--reach]
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time

from common import OPINIO, ROOT

SHARED = os.path.join(os.path.dirname(ROOT), "shared")
SHARED_FALLBACK = "/work/shared"
RECEIPT_MODEL = os.path.join(ROOT, "models", "receipts")
DET_MEAN, DET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
DET_SIDE = 960
FIELDS = ("company", "date", "address", "total")
VENV_PYTHON = "/tmp/rapid-venv/bin/python"


def shared_dir():
    for d in (SHARED, SHARED_FALLBACK):
        if os.path.isdir(os.path.join(d, "data", "sroie")):
            return d
    sys.exit(f"no SROIE data: neither {SHARED}/data/sroie nor {SHARED_FALLBACK}/data/sroie")


def models_dir(arg):
    if arg:
        return arg
    for d in (os.path.join(ROOT, "models", "pp-ocrv5"), os.path.join(SHARED_FALLBACK, "models", "pp-ocrv5")):
        if os.path.exists(os.path.join(d, "det.onnx")):
            return d
    sys.exit("no PP-OCRv5 models in models/pp-ocrv5 nor /work/shared/models/pp-ocrv5; give --models DIR")


def receipts(n):
    """The first `n` receipts with a scan: [(image, key json)], sroie first, then sroie_extra."""
    data = os.path.join(shared_dir(), "data")
    found = []
    for folder in ("sroie", "sroie_extra"):
        for img in sorted(glob.glob(os.path.join(data, folder, "img", "*.jpg"))):
            stem = os.path.splitext(os.path.basename(img))[0]
            found.append((img, os.path.join(data, folder, "key", stem + ".json")))
    if len(found) < n:
        sys.exit(f"only {len(found)} receipts with a scan, asked for {n}")
    return found[:n]


# ---------------------------------------------------------------- RapidOCR worker (venv side)

def rapid_engine(models, threads, det_side=DET_SIDE):
    """RapidOCR on the PP-OCRv5 files, detector at longer side <= det_side (0: RapidOCR's own
    choice), ImageNet mean/std."""
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR(
        det_model_path=os.path.join(models, "det.onnx"),
        rec_model_path=os.path.join(models, "rec.onnx"),
        cls_model_path=os.path.join(models, "cls.onnx"),
        rec_keys_path=os.path.join(models, "ppocrv5_dict.txt"),
        det_limit_type="max",
        det_limit_side_len=det_side or DET_SIDE,
        det_mean=DET_MEAN,
        det_std=DET_STD,
        intra_op_num_threads=threads,
        inter_op_num_threads=1,
    )
    det = engine.text_det
    if det_side and hasattr(det, "get_preprocess"):  # 1.4.x: the side is picked from the image, not the config
        from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

        det.get_preprocess = lambda _max_wh: DetPreProcess(det_side, "max", DET_MEAN, DET_STD)
    return engine


def worker(args):
    """Runs in the RapidOCR venv: reads the files, prints {version, init_s, read_s, texts}."""
    import cv2

    cv2.setNumThreads(args.threads)
    start = time.perf_counter()
    engine = rapid_engine(args.models, args.threads, args.det_side)
    init_s = time.perf_counter() - start
    read_s, texts = [], []
    for path in args.files:
        start = time.perf_counter()
        result, _ = engine(path)
        read_s.append(time.perf_counter() - start)
        texts.append([line[1] for line in result or []])
    from importlib.metadata import version

    json.dump({"version": version("rapidocr-onnxruntime"), "init_s": init_s, "read_s": read_s, "texts": texts}, sys.stdout)


# ---------------------------------------------------------------- driver

def run_measured(cmd):
    """Runs `cmd`; (wall seconds, stdout bytes, peak RSS in MB or None)."""
    tool = "/usr/bin/time"
    with tempfile.NamedTemporaryFile(suffix=".time", delete=False) as f:
        tfile = f.name
    try:
        if os.access(tool, os.X_OK):
            full = [tool, "-v", "-o", tfile, *cmd]
        else:
            full = cmd
        start = time.perf_counter()
        proc = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = proc.communicate()
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            sys.exit(f"{' '.join(cmd[:3])} ... failed ({proc.returncode}):\n{err.decode(errors='replace')[-3000:]}")
        peak = None
        if full is not cmd:
            with open(tfile) as f:
                m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read())
            peak = int(m.group(1)) / 1024 if m else None
        return wall, out, peak
    finally:
        os.unlink(tfile)


def children_peak_mb():
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def rapid_cmd(args, files):
    return [args.python, os.path.abspath(__file__), "--worker", "--models", args.models,
            "--threads", str(args.threads), "--det-side", str(args.det_side), *files]


def norm(s):
    return re.sub(r"\s+", "", s).casefold()


def reach(keys, texts):
    """(found, total, per-field found) of key answers occurring in the joined texts."""
    per = {f: 0 for f in FIELDS}
    total = 0
    for key, text in zip(keys, texts):
        hay = norm(text)
        for f in FIELDS:
            answer = norm(key.get(f, ""))
            if not answer:
                continue
            total += 1
            if answer in hay:
                per[f] += 1
    return sum(per.values()), total, per


def opinio_read_texts(opinio, files):
    """`opinio read FILES`: one {"pages": [{"words": [{"text"}...]}]} line per file, in order."""
    _, out, _ = run_measured([opinio, "read", *files])
    lines = [l for l in out.decode().splitlines() if l.strip()]
    assert len(lines) == len(files), f"opinio read gave {len(lines)} lines for {len(files)} files"
    return [" ".join(w["text"] for p in json.loads(l)["pages"] for w in p.get("words", [])) for l in lines]


def print_misses(picked, keys, readings):
    """Each receipt's key fields not found in its reading (a list of lines, matched as
    `reach` matches them), and the reading's start."""
    for (img, _), key, lines in zip(picked, keys, readings):
        missed = [f for f in FIELDS if norm(key[f]) not in norm("\n".join(lines))]
        print(f"  {os.path.basename(img)} missed {missed}: {' | '.join(lines)[:300]}")


def fmt_pct(found, total):
    return f"{found} / {total} ({100 * found / max(total, 1):.0f}%)"


def do_reach(args, picked):
    files = [img for img, _ in picked]
    keys = []
    for _, key in picked:
        with open(key, encoding="utf-8") as f:
            keys.append(json.load(f))
    n = len(files)
    print(f"reach on {n} SROIE receipts: key-field answers occurring verbatim (case, whitespace ignored) in the reading")
    if args.only != "opinio":
        wall, out, _ = run_measured(rapid_cmd(args, files))
        res = json.loads(out)
        found, total, per = reach(keys, ["\n".join(t) for t in res["texts"]])
        fields = ", ".join(f"{f} {per[f]}" for f in FIELDS)
        print(f"RapidOCR {res['version']} (PP-OCRv5, det <= {args.det_side or 'auto'}): {fmt_pct(found, total)}  [{fields}]  "
              f"{sum(res['read_s']) / n:.2f} s/receipt reading")
        if args.verbose:
            print_misses(picked, keys, res["texts"])
    if args.only != "rapidocr":
        texts = opinio_read_texts(args.opinio, files)
        found, total, per = reach(keys, texts)
        fields = ", ".join(f"{f} {per[f]}" for f in FIELDS)
        print(f"opinio read:                       {fmt_pct(found, total)}  [{fields}]")
        if args.verbose:
            print_misses(picked, keys, [[t] for t in texts])


def stats(xs):
    s = sorted(xs)
    return s[0], s[len(s) // 2]


def do_bench(args, picked):
    files = [img for img, _ in picked]
    n = len(files)
    rapid_runs, rapid_init, rapid_read, op_runs = [], [], [], []
    rapid_peak = op_peak = None
    version = None
    # Interleaved, so that a shared machine's drifting speed hits both sides alike.
    for r in range(args.rounds):
        if args.only != "opinio":
            wall, out, peak = run_measured(rapid_cmd(args, files))
            res = json.loads(out)
            version = res["version"]
            assert len(res["texts"]) == n
            rapid_runs.append(wall)
            rapid_init.append(res["init_s"])
            rapid_read.append(sum(res["read_s"]))
            rapid_peak = max(rapid_peak or 0, peak or 0) or None
        if args.only != "rapidocr":
            wall, out, peak = run_measured([args.opinio, "extract", "--model", args.model, *files])
            docs = json.loads(out)["documents"]
            assert len(docs) == n, f"opinio extract gave {len(docs)} documents for {n} files"
            op_runs.append(wall)
            op_peak = max(op_peak or 0, peak or 0) or None
        print(f"  round {r + 1}: " + ", ".join(
            s for s in (f"RapidOCR {rapid_runs[-1]:.2f} s" if rapid_runs else "",
                        f"opinio {op_runs[-1]:.2f} s" if op_runs else "") if s), file=sys.stderr)
    if rapid_peak is None and op_peak is None:
        # No /usr/bin/time: only the largest child's peak is known.
        rapid_peak = op_peak = children_peak_mb()

    print(f"{n} SROIE receipt scans, {args.rounds} interleaved rounds; seconds per receipt, best / median")
    if rapid_runs:
        (rb, rm), (ib, im), (db, dm) = stats(rapid_runs), stats(rapid_init), stats(rapid_read)
        print(f"RapidOCR {version} (ONNX Runtime, {args.threads} threads, PP-OCRv5 det <= {args.det_side or 'auto'}, ImageNet mean/std):")
        print(f"  whole process (python, imports, engine):  {rb / n:6.3f} / {rm / n:6.3f} s/receipt   peak RSS {rapid_peak or 0:.0f} MB")
        print(f"  engine creation:                          {ib:6.3f} / {im:6.3f} s")
        print(f"  reading only:                             {db / n:6.3f} / {dm / n:6.3f} s/receipt")
    if op_runs:
        ob, om = stats(op_runs)
        print(f"opinio extract --model {os.path.relpath(args.model, ROOT)}, whole process with model load:")
        print(f"  whole process:                            {ob / n:6.3f} / {om / n:6.3f} s/receipt   peak RSS {op_peak or 0:.0f} MB")
    if rapid_runs and op_runs:
        pairs = sorted(o / r for o, r in zip(op_runs, rapid_runs))
        read_pairs = sorted(o / r for o, r in zip(op_runs, rapid_read))
        print(f"ratio opinio/RapidOCR, whole process: {ob / rb:.2f}x best to best, {pairs[len(pairs) // 2]:.2f}x median of pairs")
        print(f"ratio opinio (whole process)/RapidOCR (reading only): {ob / db:.2f}x best to best, "
              f"{read_pairs[len(read_pairs) // 2]:.2f}x median of pairs")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--receipts", type=int, default=20, help="how many receipt scans (default 20)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    p.add_argument("--opinio", default=OPINIO, help="the opinio binary (default target/release/opinio)")
    p.add_argument("--model", default=RECEIPT_MODEL, help="opinio's extraction model (default models/receipts)")
    p.add_argument("--models", help="the PP-OCRv5 folder (default models/pp-ocrv5, else /work/shared/models/pp-ocrv5)")
    p.add_argument("--python", help="a Python with rapidocr-onnxruntime (default /tmp/rapid-venv/bin/python if there)")
    p.add_argument("--threads", type=int, default=2, help="RapidOCR's ONNX Runtime intra-op threads (default 2)")
    p.add_argument("--det-side", type=int, default=DET_SIDE,
                   help="RapidOCR's detector input, longer side at most (default 960; 0: RapidOCR's own choice)")
    p.add_argument("--reach", action="store_true", help="measure reach instead of time")
    p.add_argument("--only", choices=("opinio", "rapidocr"), help="run one side only")
    p.add_argument("-v", "--verbose", action="store_true", help="--reach: show each receipt's misses")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    args = p.parse_args()
    args.models = models_dir(args.models)
    if args.worker:
        return worker(args)

    if not args.python:
        args.python = VENV_PYTHON if os.access(VENV_PYTHON, os.X_OK) else sys.executable
    if args.only != "rapidocr" and not os.access(args.opinio, os.X_OK):
        if args.only == "opinio":
            sys.exit(f"no opinio binary at {args.opinio}: cargo build --release")
        print(f"no opinio binary at {args.opinio} (cargo build --release): RapidOCR side only", file=sys.stderr)
        args.only = "rapidocr"
    picked = receipts(args.receipts)
    if args.reach:
        do_reach(args, picked)
    else:
        do_bench(args, picked)


if __name__ == "__main__":
    sys.exit(main())
