"""What the peer comparisons share: the repository's text, ONNX Runtime set up like opinio's
encoder, and timing of a whole `opinio` process.

The text is the same as `benches/common/mod.rs` uses: the sample reviews and the English
segmentation fixtures (inputs), so criterion and the peers measure the same sentences.
"""
import json
import os
import re
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENCODER_DIR = os.path.join(ROOT, "models", "all-MiniLM-L6-v2")
OPINIO = os.path.join(ROOT, "target", "release", "opinio")


def repo_documents():
    """The sample reviews and the English fixture inputs, as in benches/common/mod.rs."""
    docs = []
    with open(os.path.join(ROOT, "samples", "reviews.jsonl"), encoding="utf-8") as f:
        docs += [json.loads(line)["text"] for line in f if line.strip()]
    with open(os.path.join(ROOT, "tests", "fixtures", "segment", "en.txt"), encoding="utf-8") as f:
        for case in f.read().split("\n===\n"):
            lines = []
            for line in case.splitlines():
                if line == "---":
                    break
                if not line.startswith("#"):
                    lines.append(line)
            docs.append(" ".join(lines))
    return docs


def repeat_to_bytes(texts, size):
    """`texts` repeated to at least `size` bytes of UTF-8."""
    unit = sum(len(t.encode()) for t in texts)
    return texts * (size // unit + 1)


def mams_sentences(n):
    """The first `n` sentences of MAMS-ACSA train (Apache-2.0) when ../shared is beside the
    checkout, else None."""
    path = os.path.join(ROOT, "..", "shared", "data", "mams", "MAMS-ACSA_train.xml")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        found = re.findall(r"<text>(.*?)</text>", f.read())
    unescape = {"&quot;": '"', "&amp;": "&", "&apos;": "'", "&lt;": "<", "&gt;": ">"}
    return [re.sub("|".join(unescape), lambda m: unescape[m.group(0)], s) for s in found[:n]]


def tokenizer():
    """The encoder's tokenizer, without the fixed padding baked into the file."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(os.path.join(ENCODER_DIR, "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_length=256)
    return tok


def quantized_encoder(path):
    """Writes the encoder with ONNX Runtime's dynamic int8 quantisation to `path` (weights
    per output channel, int8; activations quantised on the fly), as a user would make it."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(os.path.join(ENCODER_DIR, "model.onnx"), path, per_channel=True, weight_type=QuantType.QInt8)
    return path


def session(threads, model=None):
    """An ONNX Runtime CPU session on the encoder (or the ONNX file `model`), `threads`
    intra-op threads."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    model = model or os.path.join(ENCODER_DIR, "model.onnx")
    return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])


def embed(sess, tok, texts, batch):
    """Tokenize, run length-sorted batches, mean-pool and normalise, as Encoder::embed does."""
    import numpy as np

    encs = tok.encode_batch(texts)
    order = sorted(range(len(texts)), key=lambda i: len(encs[i].ids))
    out = np.zeros((len(texts), 384), dtype=np.float32)
    for start in range(0, len(order), batch):
        idx = order[start:start + batch]
        seq = max(len(encs[i].ids) for i in idx)
        ids = np.zeros((len(idx), seq), dtype=np.int64)
        mask = np.zeros((len(idx), seq), dtype=np.int64)
        for r, i in enumerate(idx):
            n = len(encs[i].ids)
            ids[r, :n] = encs[i].ids
            mask[r, :n] = 1
        (hidden,) = sess.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
        m = mask[..., None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        out[idx] = pooled
    return out


def write_jsonl(texts):
    """A temporary JSONL file with one `{"id", "text"}` record per text; the caller removes it."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": i, "text": t}) + "\n")
        return f.name


def best_run(args, runs=3):
    """Runs `opinio ARGS` `runs` times; the best wall time in seconds and the last stdout."""
    best, out = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run([OPINIO, *args], check=True, capture_output=True).stdout
        best = min(best, time.perf_counter() - start)
    return best, out


def run_opinio(args):
    """Runs `opinio ARGS` once: wall seconds, stdout, and the process's own peak RSS in MB.

    The peak is the process's VmHWM, read from /proc while it runs: `ru_maxrss` of a child
    forked from this (large, ONNX Runtime holding) Python process would report this process's
    size instead."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen([OPINIO, *args], stdout=out, stderr=subprocess.DEVNULL)
        peak = 0
        while proc.poll() is None:
            try:
                with open(f"/proc/{proc.pid}/status") as f:
                    hwm = next((l for l in f if l.startswith("VmHWM:")), None)
                if hwm:
                    peak = max(peak, int(hwm.split()[1]))
            except OSError:
                pass
            time.sleep(0.01)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            raise subprocess.CalledProcessError(proc.returncode, [OPINIO, *args])
        out.seek(0)
        return seconds, out.read(), peak / 1024
