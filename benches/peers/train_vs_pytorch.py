#!/usr/bin/env python3
"""`opinio train` against the same recipe in PyTorch, same data, same machine, same run.

The recipe is opinio's default: all-MiniLM-L6-v2 fine-tuned whole with one attention head
per class over the token states (detection by sigmoid, label by softmax), 4 epochs, AdamW
(encoder lr 4e-5, heads 2e-3, weight decay 0.01, 10% warm-up then linear decay), batches of
32 length-sorted sentences, 128 tokens at most; each class's present examples weigh its
ratio of absent to present sentences, between 1/4 and 4, in the detection loss
(`pos_weight`), and `ln w` comes off its detection bias after training (issue 18's
recipe; `--positive-weight-cap 0` gives issue 4's, without the weights, on both sides).
The encoder's weights are read from the same ONNX file opinio starts from, so both sides
start equal.

    python3 benches/peers/train_vs_pytorch.py TRAIN.jsonl TEST.jsonl [--opinio BIN] [--threads 2]
        [--freeze-word-embeddings] [--positive-weight-cap 4] [--seed 42] [--reference]

`--reference` trains issue 18's PyTorch reference recipe on the PyTorch side instead
(opinio's side is unchanged): each class's layers read the sentence mean after the
attended vector, dropout 0.1 on that and Hugging Face BERT's dropout 0.1 in the encoder,
the weights' tilt left in the decisions, 96 tokens; `--sentence-mean`, `--head-dropout`,
`--encoder-dropout`, `--max-tokens` and `--keep-tilt` set each part alone.

TRAIN/TEST are labeled documents (e.g. `scripts/acsa_to_jsonl.py --split 0.15 --seed 7` of
SemEval-2014 restaurants train: the official test set is never used). Prints detection and
joint micro-F1 and seconds in the training loop for each side, and the time ratio.
Needs `pip install torch onnx tokenizers numpy`; without `--opinio` only PyTorch runs.
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import numpy_helper
from tokenizers import Tokenizer

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENCODER = os.path.join(ROOT, "models", "all-MiniLM-L6-v2")


def read(path):
    """(text, {class: label}) per segment of a labeled-documents JSONL file."""
    out = []
    for line in open(path, encoding="utf-8"):
        doc = json.loads(line)
        for seg in doc["segments"]:
            out.append((seg["text"], {t["class"]: t["label"] for t in seg.get("tags", [])}))
    return out


def weights():
    """The encoder's parameters by Hugging Face name, dense weights as [in, out]."""
    model = onnx.load(os.path.join(ENCODER, "model.onnx"))
    g = model.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    out = {}
    for name, value in inits.items():
        if "." in name:
            out[name.split(".", 1)[1] if name.startswith("m.") else name] = value
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    for n in g.node:
        if n.op_type != "MatMul" or n.input[1] not in inits:
            continue
        for add in consumers.get(n.output[0], []):
            bias = [i for i in add.input if i in inits and i.endswith(".bias")]
            if add.op_type == "Add" and bias:
                key = bias[0].split(".", 1)[1] if bias[0].startswith("m.") else bias[0]
                out[key[: -len("bias")] + "weight"] = inits[n.input[1]]
    return {k: torch.tensor(np.array(v, dtype=np.float32)) for k, v in out.items()}


class Bert(torch.nn.Module):
    def __init__(self, w, layers=6, heads=12, dropout=0.0):
        super().__init__()
        self.heads, self.layers, self.dropout = heads, layers, dropout
        self.p = torch.nn.ParameterDict({k.replace(".", "__"): torch.nn.Parameter(v) for k, v in w.items()})

    def w(self, name):
        return self.p[name.replace(".", "__")]

    def ln(self, x, prefix):
        return F.layer_norm(x, x.shape[-1:], self.w(prefix + ".weight"), self.w(prefix + ".bias"), eps=1e-12)

    def dense(self, x, prefix):
        return x @ self.w(prefix + ".weight") + self.w(prefix + ".bias")

    def forward(self, ids, mask):
        b, t = ids.shape
        x = self.w("embeddings.word_embeddings.weight")[ids]
        x = x + self.w("embeddings.position_embeddings.weight")[:t] + self.w("embeddings.token_type_embeddings.weight")[0]
        x = self.drop(self.ln(x, "embeddings.LayerNorm"))
        h = x.shape[-1]
        dh = h // self.heads
        bias = ((mask - 1.0) * 10000.0)[:, None, None, :]
        for l in range(self.layers):
            p = f"encoder.layer.{l}."
            split = lambda y: y.view(b, t, self.heads, dh).transpose(1, 2)
            q, k, v = (split(self.dense(x, p + "attention.self." + n)) for n in ("query", "key", "value"))
            s = q @ k.transpose(2, 3) / math.sqrt(dh) + bias
            ctx = (self.drop(s.softmax(-1)) @ v).transpose(1, 2).reshape(b, t, h)
            x = self.ln(self.drop(self.dense(ctx, p + "attention.output.dense")) + x, p + "attention.output.LayerNorm")
            inner = F.gelu(self.dense(x, p + "intermediate.dense"))
            x = self.ln(self.drop(self.dense(inner, p + "output.dense")) + x, p + "output.LayerNorm")
        return x

    def drop(self, x):
        """Hugging Face BERT's dropout (on the embeddings, attention weights and each
        sub-layer's output) while training; none by default, as in opinio."""
        return F.dropout(x, self.dropout, self.training) if self.dropout > 0 else x


class Head(torch.nn.Module):
    """opinio's attention head (src/train/head.rs), same initialisation scale. With
    `sentence_mean`, each class's layers read the sentence's mean token state after the
    attended vector, with `dropout` on both while training (issue 18's reference)."""

    def __init__(self, classes, labels, h, sentence_mean=False, dropout=0.0):
        super().__init__()
        n = lambda *s: torch.nn.Parameter(torch.randn(*s) * 0.02)
        self.sentence_mean, self.dropout = sentence_mean, dropout
        width = 2 * h if sentence_mean else h
        self.query, self.detect_w, self.label_w = n(classes, h), n(classes, width), n(classes, labels, width)
        self.detect_b = torch.nn.Parameter(torch.zeros(classes))
        self.label_b = torch.nn.Parameter(torch.zeros(classes, labels))

    def forward(self, states, mask):
        h = states.shape[-1]
        scores = (states @ self.query.t()).transpose(1, 2) / math.sqrt(h)  # [B, C, T]
        scores = scores + ((mask - 1.0) * 10000.0)[:, None, :]
        pooled = scores.softmax(-1) @ states  # [B, C, H]
        if self.sentence_mean:
            mean = (states * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)  # [B, H]
            pooled = torch.cat([pooled, mean[:, None, :].expand_as(pooled)], -1)
        if self.dropout > 0:
            pooled = F.dropout(pooled, self.dropout, self.training)
        detect = (pooled * self.detect_w).sum(-1) + self.detect_b
        labels = torch.einsum("bch,clh->bcl", pooled, self.label_w) + self.label_b
        return detect, labels


def batches(lengths, size, rng):
    keyed = sorted(range(len(lengths)), key=lambda i: lengths[i] + rng.random() * 3.0)
    out = [keyed[i : i + size] for i in range(0, len(keyed), size)]
    rng.shuffle(out)
    return out


def pytorch(train, test, classes, labels, args):
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    tok = Tokenizer.from_file(os.path.join(ENCODER, "tokenizer.json"))
    tok.enable_truncation(args.max_tokens)
    tok.no_padding()
    enc = lambda rows: [tok.encode(t).ids for t, _ in rows]
    train_ids, test_ids = enc(train), enc(test)
    bert = Bert(weights(), dropout=args.encoder_dropout)
    head = Head(len(classes), len(labels), 384, args.sentence_mean, args.head_dropout)
    if args.freeze_word_embeddings:
        bert.w("embeddings.word_embeddings.weight").requires_grad_(False)
    decay = lambda ps: [p for p in ps if p.requires_grad and p.dim() >= 2]
    no_decay = lambda ps: [p for p in ps if p.requires_grad and p.dim() < 2]
    groups = [
        {"params": decay(bert.parameters()), "lr": args.encoder_lr, "weight_decay": 0.01},
        {"params": no_decay(bert.parameters()), "lr": args.encoder_lr, "weight_decay": 0.0},
        {"params": decay(head.parameters()), "lr": args.head_lr, "weight_decay": 0.01},
        {"params": no_decay(head.parameters()), "lr": args.head_lr, "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, betas=(0.9, 0.999), eps=1e-8)
    rng = random.Random(args.seed)
    per_epoch = math.ceil(len(train) / 32)
    steps, warmup = per_epoch * args.epochs, per_epoch * args.epochs // 10
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warmup if s + 1 <= warmup else max(0.0, (steps - s - 1) / max(1, steps - warmup))
    )
    lab = {l: i for i, l in enumerate(labels)}
    pos_weight = positive_weights(train, classes, args.positive_weight_cap)

    def tensors(idx, ids):
        t = max(len(ids[i]) for i in idx)
        x = torch.zeros(len(idx), t, dtype=torch.long)
        m = torch.zeros(len(idx), t)
        for r, i in enumerate(idx):
            x[r, : len(ids[i])] = torch.tensor(ids[i])
            m[r, : len(ids[i])] = 1
        return x, m

    start = time.perf_counter()
    step = 0
    for _ in range(args.epochs):
        for idx in batches([len(i) for i in train_ids], 32, rng):
            step += 1
            if step % 20 == 0:
                print(f"  pytorch step {step}/{steps}, {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
            x, m = tensors(idx, train_ids)
            present = torch.tensor([[1.0 if c in train[i][1] else 0.0 for c in classes] for i in idx])
            gold = torch.tensor([[lab.get(train[i][1].get(c), 0) for c in classes] for i in idx])
            known = torch.tensor([[1.0 if train[i][1].get(c) in lab else 0.0 for c in classes] for i in idx])
            detect, logits = head(bert(x, m), m)
            loss = F.binary_cross_entropy_with_logits(detect, present, pos_weight=pos_weight)
            nll = F.cross_entropy(logits.reshape(-1, len(labels)), gold.reshape(-1), reduction="none")
            loss = loss + (nll * known.reshape(-1)).sum() / known.sum().clamp(min=1.0)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    seconds = time.perf_counter() - start
    preds = []
    bert.eval()
    head.eval()
    with torch.no_grad():
        if pos_weight is not None and not args.keep_tilt:
            head.detect_b -= pos_weight.log()
        for i in range(0, len(test_ids), 64):
            idx = list(range(i, min(i + 64, len(test_ids))))
            x, m = tensors(idx, test_ids)
            detect, logits = head(bert(x, m), m)
            for r in range(len(idx)):
                preds.append({c: labels[int(logits[r, k].argmax())] for k, c in enumerate(classes) if detect[r, k] > 0})
    return preds, seconds


def positive_weights(train, classes, cap):
    """opinio's `train::head::positive_weights`: per class, absent / present sentences,
    between 1/cap and cap (cap for a class never present); None when cap is 0."""
    if cap <= 0:
        return None
    n = len(train)
    present = [sum(1 for _, t in train if c in t) for c in classes]
    return torch.tensor([min(max((n - p) / p, 1.0 / cap), cap) if p else cap for p in present])


def f1(gold, pred):
    tp = sum(len(g & p) for g, p in zip(gold, pred))
    np_, ng = sum(len(p) for p in pred), sum(len(g) for g in gold)
    return 2 * tp / (np_ + ng) if np_ + ng else 1.0


def scores(test, preds):
    det = f1([set(t) for _, t in test], [set(p) for p in preds])
    joint = f1([set(t.items()) for _, t in test], [set(p.items()) for p in preds])
    return det, joint


def opinio(binary, train_path, test_path, epochs, cap, seed):
    with tempfile.TemporaryDirectory() as work:
        start = time.perf_counter()
        run = subprocess.run(
            [binary, "train", "--type", "ABSA", "--train", train_path, "--test", test_path,
             "--out", os.path.join(work, "model"), "--epochs", str(epochs), "--positive-weight-cap", str(cap),
             "--seed", str(seed)],
            capture_output=True, text=True, check=True,
        )
        wall = time.perf_counter() - start
    meta = json.loads(run.stdout)
    loop = [l for l in run.stderr.replace("\r", "\n").splitlines() if l.startswith("trained on")]
    return meta["metrics"]["detection"]["micro"]["f1"], meta["score"], wall, loop[-1] if loop else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("--opinio")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--encoder-lr", type=float, default=4e-5)
    ap.add_argument("--head-lr", type=float, default=2e-3)
    ap.add_argument("--freeze-word-embeddings", action="store_true")
    ap.add_argument("--positive-weight-cap", type=float, default=4.0)
    ap.add_argument("--sentence-mean", action="store_true")
    ap.add_argument("--head-dropout", type=float)
    ap.add_argument("--encoder-dropout", type=float)
    ap.add_argument("--max-tokens", type=int)
    ap.add_argument("--keep-tilt", action="store_true", help="leave ln w on the detection biases")
    ap.add_argument(
        "--reference", action="store_true",
        help="issue 18's PyTorch reference recipe on the PyTorch side: sentence mean and head dropout 0.1, "
        "Hugging Face's encoder dropout 0.1, the weights' tilt kept, 96 tokens",
    )
    args = ap.parse_args()
    # Each option given on the command line wins over the recipe's.
    recipe = {"head_dropout": 0.1, "encoder_dropout": 0.1, "max_tokens": 96} if args.reference else {}
    for name, default in {"head_dropout": 0.0, "encoder_dropout": 0.0, "max_tokens": 128}.items():
        if getattr(args, name) is None:
            setattr(args, name, recipe.get(name, default))
    if args.reference:
        args.sentence_mean, args.keep_tilt = True, True
    print(
        f"pytorch recipe: sentence mean {args.sentence_mean}, head dropout {args.head_dropout}, encoder dropout "
        f"{args.encoder_dropout}, {args.max_tokens} tokens, weight cap {args.positive_weight_cap}"
        f"{' (tilt kept)' if args.keep_tilt else ''}, seed {args.seed}"
    )
    train, test = read(args.train), read(args.test)
    classes = sorted({c for _, t in train for c in t})
    labels = sorted({l for _, t in train for l in t.values()})
    preds, seconds = pytorch(train, test, classes, labels, args)
    det, joint = scores(test, preds)
    print(f"pytorch: detection {det:.4f} joint {joint:.4f}, training loop {seconds:.1f} s ({len(train)} sentences)")
    if args.opinio:
        odet, ojoint, wall, line = opinio(
            args.opinio, args.train, args.test, args.epochs, args.positive_weight_cap, args.seed
        )
        print(f"opinio:  detection {odet:.4f} joint {ojoint:.4f}, whole process {wall:.1f} s; {line}")
        print(f"time ratio opinio / pytorch: {wall / seconds:.2f}x (opinio's includes load and scoring)")


if __name__ == "__main__":
    sys.exit(main())
