#!/usr/bin/env bash
# End-to-end score of the receipts recipe on SROIE scans (research-only data: nothing of it is
# committed). 5 folds: a receipts model is learned from the dataset's own OCR lines
# (words.json) of 32 receipts, as scripts/learn-models.sh learns the shipped one, then reads
# the other 8 receipts' JPEGs through opinio's OCR; the field scores of the 5 folds are summed.
#
#   scripts/eval-sroie-scans.sh [SROIE_DIR] [OPINIO_BINARY]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
sroie="$(realpath "${1:-$root/../shared/data/sroie}")"
bin="$(realpath "${2:-$root/target/release/opinio}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 "$root/scripts/sroie_to_words.py" "$sroie" "$work/all" > /dev/null
names=$(cd "$work/all" && ls *.words.json | sed 's/\.words\.json$//' | sort)
k=5
for fold in $(seq 0 $((k - 1))); do
  mkdir -p "$work/train$fold" "$work/test$fold"
  i=0
  for n in $names; do
    if [ $((i % k)) -eq "$fold" ]; then
      cp "$work/all/$n.answers.json" "$work/test$fold/"
      ln -s "$sroie/img/$n.jpg" "$work/test$fold/$n.jpg"
    else
      cp "$work/all/$n.answers.json" "$work/all/$n.words.json" "$work/train$fold/"
    fi
    i=$((i + 1))
  done
  "$bin" learn-fields --spec "$root/models/receipts/spec.json" --annotated "$work/train$fold" \
    --test "$work/test$fold" > "$work/fold$fold.json"
done
python3 - "$work" "$k" <<'PY'
import json, sys
work, k = sys.argv[1], int(sys.argv[2])
fields, correct, returned, expected, misses = {}, 0, 0, 0, []
for f in range(k):
    t = json.load(open(f"{work}/fold{f}.json"))["test"]
    correct += t["correct"]; returned += t["returned"]; expected += t["expected"]
    for name, (c, r, e) in t["fields"].items():
        a = fields.setdefault(name, [0, 0, 0]); a[0] += c; a[1] += r; a[2] += e
    misses += t.get("misses", [])
p, r = correct / max(returned, 1), correct / max(expected, 1)
print("\n".join(misses))
print("fields (correct, returned, expected):", json.dumps(fields))
print(f"precision {p:.4f} recall {r:.4f} hmean {2 * p * r / max(p + r, 1e-9):.4f}")
PY
