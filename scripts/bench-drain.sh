#!/usr/bin/env bash
# How fast the bridge's submitter empties a full journal into
# `ims-node --dev`: BENCH_RECORDS audit records (200,000 by default) are
# journaled, then submitted as `audit.submit` batches until all are
# finalized. Prints records per second. Method: ims-bridge/README.md,
# "Benchmarks".
#
#   scripts/bench-drain.sh
#   BENCH_RECORDS=500000 scripts/bench-drain.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
# The build of scripts/test.sh (the whole workspace's tests and binaries,
# ims-node included), so that nothing is compiled again after it with
# other features.
cargo test --locked --release --workspace --no-run
cargo test --locked --release --workspace --test kamailio -- \
	--ignored --nocapture --test-threads 1 audit_drain_rate
