#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this script):
# formatting, clippy with warnings denied, the release build of the node and
# every test of the workspace (runtime unit tests, node integration tests
# that start the real ims-node binary, one of them through @polkadot/api),
# then a minute of each fuzz target of the bridge.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

./scripts/setup.sh

suite_start=$(date +%s)
timed "cargo fmt --check" cargo fmt --all --check

# Clippy needs no Wasm runtime: SKIP_WASM_BUILD keeps it from building one.
# It runs in the release profile so that it shares build scripts and
# proc-macros with the build below. One pass covers the whole workspace
# with the benchmarking build (`--features runtime-benchmarks`, used to
# generate weights): the features only add code, and two passes would
# compile the FRAME crates twice. The few lines compiled only without the
# feature (the node's "benchmarks not compiled in" message) are compiled by
# the release build below.
SKIP_WASM_BUILD=1 timed "cargo clippy (runtime-benchmarks)" \
	cargo clippy --locked --release --workspace --all-targets \
	--features ims-node/runtime-benchmarks,ims-runtime/runtime-benchmarks \
	--features pallet-ims-identity/runtime-benchmarks,pallet-ims-access/runtime-benchmarks \
	--features pallet-ims-audit/runtime-benchmarks,pallet-ims-authority/runtime-benchmarks \
	-- -D warnings
# The runtime's try-runtime build (`try_state` hooks) must keep compiling
# too; it is checked apart because the benchmarking CLI's own dependencies
# do not build with try-runtime.
SKIP_WASM_BUILD=1 timed "cargo clippy (try-runtime)" \
	cargo clippy --locked --release -p ims-runtime -p pallet-ims-identity -p pallet-ims-access \
	-p pallet-ims-audit -p pallet-ims-authority \
	--features ims-runtime/try-runtime,pallet-ims-identity/try-runtime \
	--features pallet-ims-access/try-runtime,pallet-ims-audit/try-runtime \
	--features pallet-ims-authority/try-runtime --all-targets -- -D warnings

# One build of everything the tests run, the ims-node binary included, the
# same as scripts/dev.sh's (see build_all in scripts/env.sh).
build_all

# The npm packages node/tests/integration/polkadot_js.rs runs (@polkadot/api), at the
# versions package-lock.json pins.
timed "npm ci (node/tests/polkadot-js)" \
	npm ci --prefix node/tests/polkadot-js --no-audit --no-fund --loglevel=error

# A failing test does not stop the suite: the benchmark tests and the
# closing summary still run, and the script fails at the end.
failed=0
test_log=$(mktemp)
trap 'rm -f "$test_log"' EXIT
timed "cargo test (release)" cargo test --locked --release --workspace --no-fail-fast 2>&1 |
	tee "$test_log" || failed=1
# Every pallet benchmark, run once against the pallet's test runtime.
timed "cargo test (pallet benchmarks)" cargo test --locked --release -p pallet-ims-identity \
	-p pallet-ims-access -p pallet-ims-audit -p pallet-ims-authority --features runtime-benchmarks \
	--no-fail-fast 2>&1 |
	tee -a "$test_log" || failed=1

# Every fuzz target of the bridge for a minute from its seed corpus
# (scripts/fuzz.sh); a crash or a hang fails the suite.
timed "fuzz (60 s a target)" scripts/fuzz.sh 60 || failed=1

echo "==> test suite: $(($(date +%s) - suite_start))s"
# One closing line for the whole suite, summed over every test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' \
	"$test_log"
exit "$failed"
