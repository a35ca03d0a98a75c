#!/usr/bin/env python3
"""Convert SROIE receipts (box/NNN.csv OCR lines, key/NNN.json answers, img/NNN.jpg) into
opinio's annotated-document layout: OUT/NNN.words.json (CONTRACT section 3) and
OUT/NNN.answers.json ({"company", "date", "address", "total"}).

Each OCR line is split into words whose boxes share the line's height and divide its width
in proportion to their length, as a word-level OCR engine would report them. The page size
is read from the JPEG header (falling back to the extent of the boxes).

    python3 scripts/sroie_to_words.py /work/shared/data/sroie OUT [--only 000,001]

Standard library only. The SROIE data is research-only: write OUT outside the repository.
"""
import json
import os
import struct
import sys


def jpeg_size(path):
    """(width, height) from the first SOF marker, or None."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + length
    return None


def words_of_line(line):
    parts = line.rstrip("\r\n").split(",", 8)
    if len(parts) < 9:
        return []
    try:
        xs = [float(v) for v in parts[0:8:2]]
        ys = [float(v) for v in parts[1:8:2]]
    except ValueError:
        return []
    text = parts[8].strip()
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    tokens = text.split()
    total = sum(len(t) for t in tokens) + max(len(tokens) - 1, 0)
    if not tokens or total == 0:
        return []
    per_char = (x1 - x0) / total
    out, at = [], 0
    for t in tokens:
        wx0 = x0 + at * per_char
        wx1 = wx0 + len(t) * per_char
        out.append({"text": t, "bbox": [round(wx0, 1), y0, round(wx1, 1), y1], "confidence": 1.0})
        at += len(t) + 1
    return out


def convert(src, out, only=None):
    os.makedirs(out, exist_ok=True)
    names = sorted(n[:-4] for n in os.listdir(os.path.join(src, "box")) if n.endswith(".csv"))
    if only:
        names = [n for n in names if n in only]
    for name in names:
        with open(os.path.join(src, "box", name + ".csv"), encoding="utf-8", errors="replace") as f:
            words = [w for line in f for w in words_of_line(line)]
        size = jpeg_size(os.path.join(src, "img", name + ".jpg"))
        if size is None:
            size = (max((w["bbox"][2] for w in words), default=1) + 10, max((w["bbox"][3] for w in words), default=1) + 10)
        page = {"width": size[0], "height": size[1], "words": words}
        with open(os.path.join(out, name + ".words.json"), "w", encoding="utf-8") as f:
            json.dump({"pages": [page]}, f, ensure_ascii=False)
        key = os.path.join(src, "key", name + ".json")
        if os.path.exists(key):
            with open(key, encoding="utf-8") as f:
                answers = json.load(f)
            with open(os.path.join(out, name + ".answers.json"), "w", encoding="utf-8") as f:
                json.dump(answers, f, ensure_ascii=False, indent=1)
    return names


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: sroie_to_words.py SROIE_DIR OUT_DIR [--only 000,001]")
    only = None
    if len(sys.argv) >= 5 and sys.argv[3] == "--only":
        only = set(sys.argv[4].split(","))
    done = convert(sys.argv[1], sys.argv[2], only)
    print(f"{len(done)} receipts written to {sys.argv[2]}", file=sys.stderr)
