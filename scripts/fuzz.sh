#!/usr/bin/env bash
# Runs every cargo-fuzz target of the bridge for a bounded time and fails on
# the first crash, hang or leak of input to a panic:
#
#   scripts/fuzz.sh [SECONDS]     (default 60 a target; FUZZ_TARGETS to pick)
#
# Each target starts from its committed seed corpus (ims-bridge/fuzz/corpus/)
# and prints libFuzzer's closing line: executions and their rate. New inputs
# go to a scratch copy of the corpus, so runs leave the tree unchanged.
# Needs cargo-fuzz (installed here if missing) and a C++ compiler for
# libFuzzer (scripts/setup.sh); builds with the stable toolchain through
# RUSTC_BOOTSTRAP, without sanitizers (the code under test has no unsafe
# beyond the journal's one audited mapping write).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

seconds=${1:-60}
targets=${FUZZ_TARGETS:-"decode peer wal admin"}
# Instrumented builds of their own, kept between runs like the main one.
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/ims-ledger/fuzz-target}"
export RUSTC_BOOTSTRAP=1

if ! command -v cargo-fuzz >/dev/null 2>&1; then
	echo "==> installing cargo-fuzz"
	cargo install --locked cargo-fuzz --version 0.13.2
fi

# Largest input of each target: a log needs two halves of at least two
# pages each; Diameter messages and admin frames stay small.
max_len() {
	case "$1" in
	wal) echo 40000 ;;
	*) echo 8192 ;;
	esac
}

cd ims-bridge/fuzz
timed "cargo fuzz build (every target)" cargo fuzz build --sanitizer none -O
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in $targets; do
	mkdir -p "$scratch/$target"
	cp -r "corpus/$target/." "$scratch/$target/" 2>/dev/null || true
	log="$scratch/$target.log"
	status=0
	cargo fuzz run --sanitizer none -O "$target" "$scratch/$target" -- \
		-max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=10 \
		-print_final_stats=1 >"$log" 2>&1 || status=$?
	runs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log")
	rate=$(awk '/stat::average_exec_per_sec/ { print $2 }' "$log")
	edges=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	echo "==> fuzz $target: ${runs:-0} executions in ${seconds}s (${rate:-0}/s), ${edges:-0} edges (exit $status)"
	if [ "$status" -ne 0 ]; then
		tail -40 "$log"
		exit "$status"
	fi
done
