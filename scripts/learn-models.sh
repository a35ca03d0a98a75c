#!/bin/sh
# Rebuilds the shipped extraction models from their specs and annotated documents.
#
#   scripts/learn-models.sh [SHARED_DATA]     (default /work/shared/data)
#
# models/receipts: learned from two views of the SROIE receipts (research-only data:
# converted into a temporary folder, never into the repository):
#   - the dataset's own OCR lines of all 431 receipts of sroie/ and sroie_extra/, as
#     words.json (scripts/sroie_to_words.py);
#   - opinio's own reading (`opinio read`, the default PP-OCRv5 engine) of the 200 receipts
#     that come with their scans, so that the weights also see what the engine really reads.
# Cross-validated on the 200 scans (5 folds, each fold's receipts out of both views), the two
# views together score as well as either alone (docs/extraction.md).
# models/invoices: learned from the synthetic invoices of tests/fixtures/extract/invoices
# (scripts/make_invoices.py).
set -eu
cd "$(dirname "$0")/.."
DATA=${1:-/work/shared/data}
OPINIO=${OPINIO:-target/release/opinio}
[ -x "$OPINIO" ] || cargo build --release --bin opinio
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/both"
for set in sroie sroie_extra; do
    python3 scripts/sroie_to_words.py "$DATA/$set" "$TMP/lines-$set"
    for f in "$TMP/lines-$set"/*; do cp "$f" "$TMP/both/L$set-$(basename "$f")"; done
    # One `opinio read` process for all scans (one words.json object per line, in order).
    ls "$DATA/$set/img/"*.jpg > "$TMP/scans-$set.txt"
    # shellcheck disable=SC2046
    "$OPINIO" read --model models/receipts $(cat "$TMP/scans-$set.txt") > "$TMP/read-$set.jsonl"
    paste -d '\t' "$TMP/scans-$set.txt" "$TMP/read-$set.jsonl" | while IFS="$(printf '\t')" read -r scan words; do
        name=$(basename "$scan" .jpg)
        printf '%s\n' "$words" > "$TMP/both/O$set-$name.words.json"
        cp "$TMP/lines-$set/$name.answers.json" "$TMP/both/O$set-$name.answers.json"
    done
done
"$OPINIO" learn-fields --spec models/receipts/spec.json --annotated "$TMP/both" --out models/receipts
"$OPINIO" learn-fields --spec models/invoices/spec.json --annotated tests/fixtures/extract/invoices --out models/invoices
