#!/usr/bin/env bash
# Builds the fuzz targets and runs each for SECONDS (default 30), starting from the seed
# corpus in fuzz/corpus/TARGET; new inputs go to a temporary folder, so the repository's
# seeds stay as committed. Exits non-zero on the first crash, leaving the input that crashed
# in fuzz/artifacts/TARGET/ (turn it into a regression test in the normal suite).
#
#   fuzz/run.sh [SECONDS [TARGET...]]
#
# Needs cargo-fuzz (cargo install cargo-fuzz) and a C++ compiler (libFuzzer is C++). The
# toolchain is stable: RUSTC_BOOTSTRAP=1 lets it take the sanitizer flags cargo-fuzz passes.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(segment ingest words_json manifests pages c_requests)
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in "${targets[@]}"; do
    mkdir -p "$work/$target"
    echo "== $target: $seconds s"
    cargo fuzz run -O "$target" "$work/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=30 -print_final_stats=1 2>&1 |
        grep -E "^(INFO: seed|#[0-9]+ *DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY|thread .* panicked)" || true
    # cargo fuzz run exits non-zero on a crash; pipefail carries it through grep's `|| true`
    # only for grep itself, so check for an artifact explicitly.
    if compgen -G "artifacts/$target/*" >/dev/null; then
        echo "fuzz target $target crashed: $(ls artifacts/$target)"
        exit 1
    fi
done
