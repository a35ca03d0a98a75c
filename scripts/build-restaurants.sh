#!/usr/bin/env bash
# Rebuilds models/restaurants: an ABSA model fine-tuned from MAMS-ACSA (Apache-2.0) by the
# repository's own `opinio train`, scored on the MAMS-ACSA validation set.
#
#   scripts/build-restaurants.sh [MAMS_DIR]     # MAMS_DIR holds MAMS-ACSA_train.xml and _val.xml
#
# MAMS_DIR defaults to ../shared/data/mams; EPOCHS (default 4) sets the passes. Needs python3
# (standard library) and cargo. The binary is the dev profile at opt-level 2: dependencies are
# already optimised there, so only opinio itself is rebuilt.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mams="${1:-$root/../shared/data/mams}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 "$root/scripts/acsa_to_jsonl.py" "$mams/MAMS-ACSA_train.xml" > "$work/train.jsonl"
python3 "$root/scripts/acsa_to_jsonl.py" "$mams/MAMS-ACSA_val.xml" > "$work/val.jsonl"

CARGO_PROFILE_DEV_OPT_LEVEL=2 cargo build --bin opinio --manifest-path "$root/Cargo.toml"
rm -rf "$root/models/restaurants.new"
time "$root/target/debug/opinio" train --type ABSA --name restaurants --epochs "${EPOCHS:-4}" \
  --train "$work/train.jsonl" --test "$work/val.jsonl" \
  --out "$root/models/restaurants.new" > "$work/meta.json"
# Keep the hand-written README across rebuilds.
if [ -f "$root/models/restaurants/README.md" ]; then
  cp "$root/models/restaurants/README.md" "$root/models/restaurants.new/"
fi
rm -rf "$root/models/restaurants"
mv "$root/models/restaurants.new" "$root/models/restaurants"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); x=m["metrics"]; print("score (joint micro-F1):", round(m["score"],4), "detection F1:", round(x["detection"]["f1"],4))' "$work/meta.json"
