#!/usr/bin/env bash
# Fuzzes the signaling and tunnel decoders with libFuzzer (the Fuzz/ package) for a
# while, then keeps whatever broke them as regression inputs.
#
# Usage: scripts/fuzz.sh            (or `make fuzz`)
#   FUZZ_SECONDS  how long to fuzz (default 60)
#   FUZZ_JOBS     parallel fuzzing processes (default 1; more uses libFuzzer's -fork)
#   FUZZ_CONFIG   release (default, about 7x the executions) or debug
#
# The corpus grows in Fuzz/corpus/ (git-ignored) from the seeds in Fuzz/Seeds/. Inputs
# that crash, leak, time out or run out of memory are copied to
# Tests/GLMWireTests/Regressions/, which RegressionInputTests replays; the script then
# exits 1. Everything libFuzzer printed is in Fuzz/.build/fuzz.log.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-60}"
jobs="${FUZZ_JOBS:-1}"
config="${FUZZ_CONFIG:-release}"
for value in "$seconds" "$jobs"; do
    if ! [[ "$value" =~ ^[1-9][0-9]*$ ]]; then
        echo "fuzz: FUZZ_SECONDS and FUZZ_JOBS must be positive integers, got '$value'" >&2
        exit 2
    fi
done
if [[ "$config" != release && "$config" != debug ]]; then
    echo "fuzz: FUZZ_CONFIG must be release or debug, got '$config'" >&2
    exit 2
fi

corpus=Fuzz/corpus
artifacts=Fuzz/.build/fuzz-artifacts
log=Fuzz/.build/fuzz.log
regressions=Tests/GLMWireTests/Regressions
build=(swift build -c "$config" --package-path Fuzz -Xswiftc -sanitize=fuzzer,address)

echo "fuzz: building the fuzz target ($config, -sanitize=fuzzer,address)"
# gold warns once per ASan helper symbol that it cannot export; nothing is wrong.
"${build[@]}" 2>&1 | { grep -v "Cannot export local symbol" || true; }
binary="$("${build[@]}" --show-bin-path)/GLMWireFuzz"

mkdir -p "$corpus"
cp -n Fuzz/Seeds/*.bin "$corpus"/
rm -rf "$artifacts"
mkdir -p "$artifacts"

options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1
         -artifact_prefix="$artifacts/")
if [ "$jobs" -gt 1 ]; then
    options+=(-fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
fi

# Swift's own crash backtracer reads process memory in a way ASan reports as an
# overflow; without it a failed property reaches libFuzzer's handler and its stack.
export SWIFT_BACKTRACE=enable=no

echo "fuzz: $seconds s with $jobs job(s), corpus $corpus ($(ls "$corpus" | wc -l) inputs), log $log"
status=0
"$binary" "${options[@]}" "$corpus" >"$log" 2>&1 || status=$?

# One process prints its final stats; -fork prints '#executions: cov: ...' lines.
executions="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
if [ -z "$executions" ]; then
    executions="$(sed -n 's/^#\([0-9][0-9]*\): cov:.*/\1/p' "$log" | tail -1)"
fi
found=()
for file in "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*; do
    [ -e "$file" ] && found+=("$file")
done
echo "fuzz: ${executions:-unknown} executions, ${#found[@]} crash input(s), corpus now $(ls "$corpus" | wc -l) inputs"

if [ ${#found[@]} -gt 0 ]; then
    # -fork keeps no child's report, so replay each input alone for its stack.
    mkdir -p "$artifacts/reports"
    for file in "${found[@]}"; do
        name="$(basename "$file")"
        cp "$file" "$regressions/$name"
        "$binary" "$file" 2>&1 | swift demangle --simplified >"$artifacts/reports/$name.txt" || true
        echo
        echo "fuzz: $regressions/$name"
        echo "  input: $(od -An -v -tx1 "$file" | tr -d ' \n')"
        grep -m1 -A30 -E "Fatal error|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)" \
            "$artifacts/reports/$name.txt" | grep -E "Fatal error|ERROR|^ *#[0-9]+ " | head -20 | sed 's/^/  /' || true
    done
    echo
    echo "fuzz: full reports in $artifacts/reports/; the inputs are now regression tests"
    exit 1
fi
if [ "$status" -ne 0 ]; then
    echo "fuzz: libFuzzer exited with status $status and kept no input; see $log" >&2
    tail -20 "$log" >&2
    exit 1
fi
