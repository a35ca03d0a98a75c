#!/usr/bin/env bash
# Rebuilds models/restaurants: an ABSA model fine-tuned from MAMS-ACSA (Apache-2.0) by the
# repository's own `opinio train`, scored on the MAMS-ACSA validation set.
#
#   scripts/build-restaurants.sh [MAMS_DIR]     # MAMS_DIR holds MAMS-ACSA_train.xml and _val.xml
#
# MAMS_DIR defaults to ../shared/data/mams; EPOCHS (default 4) sets the passes. Needs python3
# (standard library) and cargo; uses the release binary (built if missing or stale).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mams="${1:-$root/../shared/data/mams}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 "$root/scripts/acsa_to_jsonl.py" "$mams/MAMS-ACSA_train.xml" > "$work/train.jsonl"
python3 "$root/scripts/acsa_to_jsonl.py" "$mams/MAMS-ACSA_val.xml" > "$work/val.jsonl"

cargo build --release --bin opinio --manifest-path "$root/Cargo.toml"
rm -rf "$root/models/restaurants.new"
time "$root/target/release/opinio" train --type ABSA --name restaurants --epochs "${EPOCHS:-4}" \
  --train "$work/train.jsonl" --test "$work/val.jsonl" \
  --out "$root/models/restaurants.new" > "$work/meta.json"
# Keep the hand-written README across rebuilds.
if [ -f "$root/models/restaurants/README.md" ]; then
  cp "$root/models/restaurants/README.md" "$root/models/restaurants.new/"
fi
rm -rf "$root/models/restaurants"
mv "$root/models/restaurants.new" "$root/models/restaurants"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); x=m["metrics"]; print("score (joint micro-F1):", round(m["score"],4), "detection F1:", round(x["detection"]["micro"]["f1"],4))' "$work/meta.json"
