#!/bin/sh
# Rebuilds the shipped extraction models from their specs and annotated documents.
#
#   scripts/learn-models.sh [SROIE_DIR]     (default /work/shared/data/sroie)
#
# models/receipts: learned from the SROIE receipts (research-only data: converted into a
# temporary folder, never into the repository). models/invoices: learned from the synthetic
# invoices of tests/fixtures/extract/invoices (scripts/make_invoices.py).
set -eu
cd "$(dirname "$0")/.."
SROIE=${1:-/work/shared/data/sroie}
OPINIO=${OPINIO:-target/debug/opinio}
[ -x "$OPINIO" ] || cargo build --bin opinio
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
python3 scripts/sroie_to_words.py "$SROIE" "$TMP/sroie"
"$OPINIO" learn-fields --spec models/receipts/spec.json --annotated "$TMP/sroie" --out models/receipts
"$OPINIO" learn-fields --spec models/invoices/spec.json --annotated tests/fixtures/extract/invoices --out models/invoices
