#!/usr/bin/env bash
# Trains an ABSA model on SemEval-2014 restaurants (research-only data: nothing of it is
# committed) with 15% of its TRAIN file held out (seed 7), and prints the held-out scores.
# The official test set is never used.
#
#   scripts/eval-semeval14.sh [SEMEVAL_DIR] [OPINIO_BINARY] [TRAIN_OPTIONS...]
#
# e.g. `scripts/eval-semeval14.sh ../shared/data/semeval14 target/release/opinio --frozen-layers 2`
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${1:-$root/../shared/data/semeval14}"
bin="${2:-$root/target/release/opinio}"
shift $(( $# < 2 ? $# : 2 ))
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 "$root/scripts/acsa_to_jsonl.py" --split 0.15 --seed 7 \
  "$data/Restaurants_Train_v2.xml" "$work/train.jsonl" "$work/held.jsonl"
time "$bin" train --type ABSA --name semeval14-heldout \
  --train "$work/train.jsonl" --test "$work/held.jsonl" --out "$work/model" "$@" > "$work/meta.json"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); x=m["metrics"]; print("joint micro-F1:", round(m["score"],4), "detection micro-F1:", round(x["detection"]["micro"]["f1"],4))' "$work/meta.json"
