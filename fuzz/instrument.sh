#!/bin/sh
# RUSTC_WRAPPER for the CI fuzz build (run.sh): adds libFuzzer's coverage instrumentation to
# opinio's own code only, and passes every other crate through untouched.
#
# Why: an instrumented build of every dependency (tract, hayro, image, candle...) is a
# second full build, 15-20 minutes on CI's two cores. Instrumenting opinio alone lets cargo
# reuse the dependencies the test build already compiled, and the coverage that guides the
# fuzzer is where opinio's parsers are. run.sh marks the instrumented opinio apart from the
# test build's by turning on debug assertions and overflow checks for it (per-package
# profile settings, which change its artifact's hash), and this wrapper keys on those.
#
# Invoked by cargo as: instrument.sh RUSTC ARGS...
rustc=$1
shift
case " $* " in
*" --crate-name opinio "*"-C debug-assertions=on"*)
    exec "$rustc" "$@" \
        -Cpasses=sancov-module \
        -Cllvm-args=-sanitizer-coverage-level=4 \
        -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
        -Cllvm-args=-sanitizer-coverage-pc-table \
        -Cllvm-args=-sanitizer-coverage-trace-compares \
        --cfg fuzzing
    ;;
esac
exec "$rustc" "$@"
