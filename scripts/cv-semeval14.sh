#!/usr/bin/env bash
# Cross-validates a training recipe on SemEval-2014 restaurants' TRAIN file (research-only
# data: nothing of it is committed; the official test set is never used): N folds of the
# sentences shuffled with seed 7, each fold held out once, and prints each fold's held-out
# detection and joint micro-F1 and their means.
#
#   scripts/cv-semeval14.sh N "FOLDS" [SEMEVAL_DIR] [OPINIO_BINARY] [TRAIN_OPTIONS...]
#
# e.g. `scripts/cv-semeval14.sh 3 "1 2 3" ../shared/data/semeval14 target/release/opinio --sentence-mean true`
# FOLDS picks which folds run (all of "1 2 3" for a full cross-validation). TRAIN_XML (an
# environment variable) names another ACSA training file instead, e.g. MAMS-ACSA_train.xml.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
n="$1"
folds="$2"
data="${3:-$root/../shared/data/semeval14}"
bin="${4:-$root/target/release/opinio}"
shift $(( $# < 4 ? $# : 4 ))
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for k in $folds; do
  python3 "$root/scripts/acsa_to_jsonl.py" --fold "$k/$n" --seed 7 \
    "${TRAIN_XML:-$data/Restaurants_Train_v2.xml}" "$work/train.jsonl" "$work/held.jsonl"
  start=$(date +%s)
  "$bin" train --type ABSA --name "semeval14-fold$k" \
    --train "$work/train.jsonl" --test "$work/held.jsonl" --out "$work/model" "$@" > "$work/meta$k.json" 2>/dev/null
  echo "fold $k/$n: $(( $(date +%s) - start )) s"
done
python3 - "$work" $folds <<'PY'
import json, sys
work, folds = sys.argv[1], sys.argv[2:]
rows = []
for k in folds:
    m = json.load(open(f"{work}/meta{k}.json"))
    d, j = m["metrics"]["detection"]["micro"]["f1"], m["score"]
    rows.append((d, j))
    print(f"fold {k}: detection micro-F1 {d:.4f}, joint micro-F1 {j:.4f}")
print(f"mean of {len(rows)}: detection {sum(r[0] for r in rows) / len(rows):.4f}, joint {sum(r[1] for r in rows) / len(rows):.4f}")
PY
