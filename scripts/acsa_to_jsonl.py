#!/usr/bin/env python3
"""Converts an aspect-category XML file (MAMS-ACSA, SemEval-2014 restaurants) into the
seed's labeled documents, one JSON document per line: each sentence is a document with one
segment spanning its whole text, tagged with its aspect categories and their polarity.

    python3 scripts/acsa_to_jsonl.py IN.xml > OUT.jsonl
    python3 scripts/acsa_to_jsonl.py --split 0.1 --seed 7 IN.xml TRAIN.jsonl HELDOUT.jsonl
    python3 scripts/acsa_to_jsonl.py --fold 2/5 --seed 7 IN.xml TRAIN.jsonl HELDOUT.jsonl

`--split F` keeps a random share F of the sentences apart (a held-out set made from a
training file, never a test file). `--fold K/N` shuffles the same way and keeps the K-th of
N equal parts apart (K from 1), for cross-validation. Python standard library only.
"""
import json
import random
import sys
import xml.etree.ElementTree as ET

POLARITY = {"positive": "POS", "negative": "NEG", "neutral": "NEU", "conflict": "CON"}


def documents(path):
    for sentence in ET.parse(path).getroot().iter("sentence"):
        text = sentence.findtext("text") or ""
        if not text.strip():
            continue
        tags = []
        for cat in sentence.iter("aspectCategory"):
            polarity = cat.get("polarity")
            if polarity not in POLARITY:
                raise SystemExit(f"{path}: unknown polarity {polarity!r} in {text!r}")
            tags.append({"class": cat.get("category"), "label": POLARITY[polarity]})
        doc = {"text": text, "segments": [{"text": text, "span": [0, len(text)], "tags": tags}]}
        if sentence.get("id") is not None:
            doc["id"] = sentence.get("id")
        yield doc


def write(docs, out):
    for doc in docs:
        out.write(json.dumps(doc, ensure_ascii=False) + "\n")


def main(argv):
    if len(argv) >= 2 and argv[0] in ("--split", "--fold"):
        fold = None
        if argv[0] == "--fold":
            k, n = (int(x) for x in argv[1].split("/"))
            if not 1 <= k <= n:
                raise SystemExit(f"--fold {argv[1]}: use K/N with 1 <= K <= N")
            fold = (k, n)
        else:
            share = float(argv[1])
        seed = 7
        rest = argv[2:]
        if len(rest) >= 2 and rest[0] == "--seed":
            seed = int(rest[1])
            rest = rest[2:]
        if len(rest) != 3:
            raise SystemExit(__doc__)
        docs = list(documents(rest[0]))
        random.Random(seed).shuffle(docs)
        if fold is None:
            lo, hi = 0, int(round(len(docs) * share))
        else:
            k, n = fold
            lo, hi = (k - 1) * len(docs) // n, k * len(docs) // n
        with open(rest[1], "w", encoding="utf-8") as train, open(rest[2], "w", encoding="utf-8") as held:
            write(docs[:lo] + docs[hi:], train)
            write(docs[lo:hi], held)
    elif len(argv) == 1:
        write(documents(argv[0]), sys.stdout)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
