#!/usr/bin/env python3
"""Reference embeddings from ONNX Runtime for the encoder tests, so anyone can recheck them.

Runs the shipped models/all-MiniLM-L6-v2/model.onnx with its tokenizer.json through ONNX
Runtime (CPU) and the `tokenizers` Python package: no padding, truncation at 256 tokens,
attention-masked mean pooling, L2 normalisation, as opinio's encoder does. Prints the first
five dimensions of each sentence's vector (hard-coded in tests/encoder.rs) and writes the full
vectors to tests/fixtures/encoder/onnxruntime_reference.json (read by the same test).

    pip install onnxruntime tokenizers numpy
    python3 benches/peers/encoder_reference.py
"""
import json
import os

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = os.path.join(ROOT, "models", "all-MiniLM-L6-v2")
OUT = os.path.join(ROOT, "tests", "fixtures", "encoder", "onnxruntime_reference.json")

# The first two are the known-value sentences of tests/encoder.rs; keep them first.
SENTENCES = [
    "The food was delicious and the staff were friendly.",
    "Das Zimmer war leider sehr laut.",
    "The train left at noon.",
    "Check-in took 45 minutes, which is ridiculous!!!",
    "",
    "Excellent value for money 👍",
]


def embed(session, tokenizer, text):
    enc = tokenizer.encode(text)
    ids = np.array([enc.ids], dtype=np.int64)
    mask = np.array([enc.attention_mask], dtype=np.int64)
    types = np.array([enc.type_ids], dtype=np.int64)
    (hidden,) = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
    m = mask[..., None].astype(np.float32)
    pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
    pooled = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    return pooled[0]


def main():
    tokenizer = Tokenizer.from_file(os.path.join(MODEL, "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=256)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    session = ort.InferenceSession(os.path.join(MODEL, "model.onnx"), opts, providers=["CPUExecutionProvider"])
    vectors = [embed(session, tokenizer, s) for s in SENTENCES]
    for s, v in zip(SENTENCES, vectors):
        print(f"{s!r}: [{', '.join(f'{x:.6f}' for x in v[:5])}]")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(
            {
                "model": "models/all-MiniLM-L6-v2/model.onnx",
                "runtime": f"onnxruntime {ort.__version__}",
                "pooling": "attention-masked mean, L2-normalised; no padding, truncation 256",
                "sentences": [{"text": s, "embedding": [round(float(x), 7) for x in v]} for s, v in zip(SENTENCES, vectors)],
            },
            f,
            ensure_ascii=False,
            indent=1,
        )
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
