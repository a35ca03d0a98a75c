#!/usr/bin/env bash
# Builds the fuzz targets and runs each for SECONDS (default 30), starting from the seed
# corpus in fuzz/corpus/TARGET; new inputs go to a temporary folder, so the repository's
# seeds stay as committed. Exits non-zero on the first crash, timeout or out-of-memory,
# leaving the input in fuzz/artifacts/TARGET/ (turn it into a regression test in the normal
# suite).
#
#   fuzz/run.sh [SECONDS [TARGET...]]
#   FUZZ_RUNS=10000000 fuzz/run.sh 0 segment    # a number of executions instead of a time
#
# The build: libFuzzer (C++: needs g++) with coverage instrumentation on opinio's own code
# and no sanitizer (fuzz/instrument.sh says why). Cargo reuses the dependencies of
# `cargo test --release` from target/release, so after the test build it takes a minute or
# two, not twenty. For AddressSanitizer over every crate (slower per input; catches memory
# errors in unsafe code: the SIMD kernels, the C ABI), use cargo-fuzz as README.md says.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(segment ingest words_json manifests pages c_requests)

# Debug assertions and overflow checks in opinio, as cargo-fuzz does: more bugs become
# crashes, and the instrumented opinio gets its own artifact beside the test build's.
RUSTC_WRAPPER="$PWD/fuzz/instrument.sh" cargo build --release -p opinio-fuzz \
    --config profile.release.package.opinio.debug-assertions=true \
    --config profile.release.package.opinio.overflow-checks=true
bin=target/release

budget="$seconds s"
[ -z "${FUZZ_RUNS:-}" ] || budget="$FUZZ_RUNS runs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in "${targets[@]}"; do
    mkdir -p "$work/$target" "fuzz/artifacts/$target"
    echo "== $target: $budget"
    status=0
    "$bin/$target" "$work/$target" "fuzz/corpus/$target" \
        -max_total_time="$seconds" -runs="${FUZZ_RUNS:--1}" -rss_limit_mb=4096 -timeout=30 -print_final_stats=1 \
        -artifact_prefix="fuzz/artifacts/$target/" >"$work/$target.log" 2>&1 || status=$?
    # Coverage of opinio's code is what guides the fuzzer: if the wrapper stopped matching
    # (cargo passing its flags differently), the run would be blind, so that fails too.
    counters=$(sed -nE 's/^INFO: Loaded 1 modules +\(([0-9]+) inline 8-bit counters.*/\1/p' "$work/$target.log")
    if [ "${counters:-0}" -lt 1000 ]; then
        head -n 20 "$work/$target.log"
        echo "fuzz target $target: only ${counters:-no} coverage counters; is opinio instrumented (fuzz/instrument.sh)?"
        exit 1
    fi
    grep -E "^(INFO: seed|#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss_mb)" "$work/$target.log" || true
    if [ "$status" -ne 0 ]; then
        tail -n 60 "$work/$target.log"
        echo "fuzz target $target failed (exit $status): $(ls "fuzz/artifacts/$target")"
        exit 1
    fi
done
